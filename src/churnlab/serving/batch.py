"""Batch scoring: ``churnlab score INPUT OUTPUT`` for CSV or Parquet files of any size.

The input is read in chunks of ``serve.chunk_rows`` rows (pyarrow ``iter_batches`` for Parquet,
pandas chunks for CSV) and each chunk is written before the next is read, so memory is bounded
by the chunk size, not the file. Rows go through the API's validation; a bad row keeps its
place in the output with an ``error`` message and no score, and the other rows are scored.
The output is written to a temporary file and renamed at the end, so a failed run leaves no
half file behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm import tqdm

from churnlab import io
from churnlab.data.input_contract import ID_COLUMN, check_columns
from churnlab.errors import UserError
from churnlab.serving.scorer import Scorer

log = logging.getLogger(__name__)

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def file_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise UserError(f"{path}: unsupported format; use one of {sorted(FORMATS)}") from None


def _parquet_chunks(path: Path, rows: int) -> tuple[int, list[str], Iterator[pd.DataFrame]]:
    try:
        reader = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise UserError(f"{path} is not a readable parquet file: {exc}") from None
    columns = reader.schema_arrow.names
    chunks = (b.to_pandas() for b in reader.iter_batches(batch_size=rows))
    return reader.metadata.num_rows, columns, chunks


def _csv_chunks(path: Path, rows: int) -> tuple[int | None, list[str], Iterator[pd.DataFrame]]:
    try:
        columns = list(pd.read_csv(path, nrows=0).columns)
    except (OSError, ValueError) as exc:
        raise UserError(f"{path} is not a readable CSV file: {exc}") from None
    # Every cell is read as text and parsed by the validator, which names the bad cells per
    # row instead of failing the whole chunk (and a category that looks like a number stays
    # a string).
    chunks = pd.read_csv(path, chunksize=rows, dtype="str", keep_default_na=True)
    return None, columns, chunks


def score_file(scorer: Scorer, source: Path | str, target: Path | str) -> dict[str, int]:
    """Score ``source`` into ``target``; returns counts of scored and rejected rows."""
    source, target = Path(source), Path(target)
    if not source.exists():
        raise UserError(f"{source} does not exist")
    out_format = file_format(target)
    rows = scorer.serve.chunk_rows
    if file_format(source) == "parquet":
        total, columns, chunks = _parquet_chunks(source, rows)
    else:
        total, columns, chunks = _csv_chunks(source, rows)
    check_columns(columns, scorer.schema)
    counts = {"rows": 0, "scored": 0, "rejected": 0}
    with io.atomic_path(target) as tmp, tqdm(total=total, unit="row", desc="scoring") as bar:
        writer = None
        try:
            for chunk in chunks:
                try:
                    result = scorer.score(chunk)
                except ValueError as exc:  # a whole chunk the featurizer cannot read
                    raise UserError(f"{source}: rows {counts['rows']}+: {exc}") from None
                if ID_COLUMN in chunk:
                    result.insert(0, ID_COLUMN, chunk[ID_COLUMN].astype("str").to_numpy())
                table = pa.Table.from_pandas(result.reset_index(drop=True), preserve_index=False)
                writer = writer or _Writer(tmp, out_format, table.schema)
                writer.write(table)
                bad = int(result["error"].notna().sum())
                counts["rows"] += len(chunk)
                counts["rejected"] += bad
                counts["scored"] += len(chunk) - bad
                bar.update(len(chunk))
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            raise UserError(f"{source} has no rows")
    log.info("scored %(scored)d of %(rows)d rows, %(rejected)d rejected", counts)
    return counts


class _Writer:
    """Parquet or CSV writer that casts every chunk to the first chunk's schema (a column
    that is all null in one chunk would otherwise have another type)."""

    def __init__(self, tmp: Path, out_format: str, schema: pa.Schema):
        self.schema = schema
        if out_format == "parquet":
            self.writer = pq.ParquetWriter(tmp, schema, compression="zstd")
        else:
            self.writer = pacsv.CSVWriter(tmp, schema)

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table.cast(self.schema))

    def close(self) -> None:
        self.writer.close()
