"""The synthetic raw tables written chunk by chunk as partitioned Parquet, locally or on Spark.

:func:`churnlab.data.synth.generate_chunk` makes one chunk of customers from (seed, chunk)
alone; here each chunk's tables are written as one part file per table,
``<dest>/<table>.parquet/part-<chunk>.parquet`` (customers, logins, payments, tickets, truth,
and follow_up when asked), so memory is bounded by one chunk per process (per task on Spark)
whatever the population. A population of one chunk (the default data) is written as one
plain file per table, ``<dest>/<table>.parquet``, the bytes prepare always wrote for it. A
table directory reads as one table with pyarrow, pandas, DuckDB
(``<table>.parquet/*.parquet``) and Spark, and its part files in name order hold the rows of
:func:`churnlab.data.synth.generate` in order.

:func:`write_local` loops over the chunks in this process; :func:`write_spark` hands the chunk
ids to the executors (``mapInPandas`` over ``spark.range``, one chunk per task), each writing
its chunk's files itself. Both call :func:`write_chunk`, and the Parquet writer stamps no
wall-clock metadata, so both engines write the same bytes. The destination must be a file
system every executor sees (the machine's disk for ``local[N]``, a shared mount on a
cluster). Tables are written to a staging directory and moved into place at the end, so a
failed run leaves the previous tables.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from churnlab import io
from churnlab.config.params import Params
from churnlab.data import synth

log = logging.getLogger(__name__)
STAGING = ".generate.tmp"


@dataclass(frozen=True)
class SynthSpec:
    """Everything a chunk depends on (small and picklable: it is shipped to the executors)."""

    n_customers: int
    seed: int
    snapshot_date: dt.date
    churn_window_days: int
    history_days: int = 180
    drift: str = "none"
    follow_up_days: int = 0
    campaign_share: float = 0.0
    chunk_customers: int = synth.CHUNK_CUSTOMERS

    @classmethod
    def from_params(cls, params: Params, **overrides) -> SynthSpec:
        s, d = params.synthetic, params.data
        fields = {
            "chunk_customers": synth.CHUNK_CUSTOMERS,  # read now: tests make chunks smaller
            "n_customers": s.n_customers,
            "seed": s.seed,
            "snapshot_date": d.snapshot_date,
            "churn_window_days": d.churn_window_days,
            "history_days": s.history_days,
            "campaign_share": s.campaign_share,
        }
        return cls(**{**fields, **overrides})

    def chunks(self) -> list[synth.Chunk]:
        return synth.chunks(self.n_customers, self.chunk_customers)

    @property
    def single(self) -> bool:
        """One chunk: each table is one plain Parquet file, not a directory of parts."""
        return self.n_customers <= self.chunk_customers


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def write_chunk(spec: SynthSpec, chunk: synth.Chunk, root: str) -> dict[str, int]:
    """Generate one chunk and write its part file of every table under ``root``; row counts."""
    arguments = {
        k: v for k, v in asdict(spec).items() if k not in ("n_customers", "chunk_customers")
    }
    raw = synth.generate_chunk(chunk, **arguments)
    tables = {**raw.tables(), "truth": raw.truth}
    if raw.follow_up is not None:
        tables["follow_up"] = raw.follow_up
    for name, frame in tables.items():
        table = Path(root) / f"{name}.parquet"
        io.write_table(frame, table if spec.single else table / part_name(chunk.index))
    return {name: len(frame) for name, frame in tables.items()}


def _staging(dest: Path) -> Path:
    staging = dest / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def _publish(staging: Path, dest: Path) -> None:
    """Move every staged table directory into place, replacing the previous one."""
    for table in sorted(staging.iterdir()):
        target = dest / table.name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        table.rename(target)
    staging.rmdir()


def _totals(counts: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for chunk_counts in counts:
        for name, rows in chunk_counts.items():
            out[name] = out.get(name, 0) + rows
    return out


def write_local(spec: SynthSpec, dest: Path | str) -> dict[str, int]:
    """Write every chunk from this process, one after the other; total rows per table."""
    dest = Path(dest)
    staging = _staging(dest)
    counts = []
    for chunk in spec.chunks():
        counts.append(write_chunk(spec, chunk, str(staging)))
        log.info("chunk %d: %d customers written", chunk.index, chunk.size)
    _publish(staging, dest)
    return _totals(counts)


def write_spark(spark, spec: SynthSpec, dest: Path | str) -> dict[str, int]:
    """Write the chunks from Spark's executors (one task per chunk); total rows per table."""
    dest = Path(dest).resolve()
    staging = _staging(dest)
    plan = {chunk.index: chunk for chunk in spec.chunks()}
    root = str(staging)

    def make(batches):
        for batch in batches:
            for index in batch["id"].tolist():
                counts = write_chunk(spec, plan[index], root)
                yield pd.DataFrame(
                    {"chunk": index, "table": list(counts), "rows": list(counts.values())}
                )

    ids = spark.range(0, len(plan), numPartitions=len(plan))
    rows = ids.mapInPandas(make, "chunk long, table string, rows long").collect()
    if sorted({row["chunk"] for row in rows}) != sorted(plan):
        raise RuntimeError("Spark did not write every chunk")  # a bug, not a user error
    _publish(staging, dest)
    return _totals([{row["table"]: row["rows"]} for row in rows])
