"""The chunked synthetic generator (issue 16): chunks seeded from (seed, chunk), the first one
being the unchunked generator, written as partitioned Parquet that reads back as ``generate``'s
tables; Spark's executors write the same files byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from churnlab.data import synth
from churnlab.engine import generate
from conftest import CHURN_WINDOW_DAYS, SNAPSHOT_DATE

N, CHUNK, SEED = 1200, 500, 5
SPEC = generate.SynthSpec(
    N, SEED, SNAPSHOT_DATE, CHURN_WINDOW_DAYS, campaign_share=0.3, chunk_customers=CHUNK
)


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as strings: chunks' dictionaries differ, their values must not."""
    return frame.astype(
        {c: "str" for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)}
    ).reset_index(drop=True)


@pytest.fixture(scope="module")
def chunked() -> synth.RawData:
    return synth.generate(
        N, SEED, SNAPSHOT_DATE, CHURN_WINDOW_DAYS, campaign_share=0.3, chunk_customers=CHUNK
    )


def test_chunks_cover_the_population_once():
    plan = synth.chunks(2500, 1000)
    assert [(c.index, c.first, c.size) for c in plan] == [
        (0, 0, 1000),
        (1, 1000, 1000),
        (2, 2000, 500),
    ]
    assert [c.late_first for c in plan] == [0, 10, 20]  # 1 % late signups per chunk
    assert len(synth.chunks(50_000)) == 1  # the default data is one chunk
    seeds = [synth.chunk_seed(42, i) for i in range(4)]
    assert seeds[0] == 42 and len(set(seeds)) == 4
    assert synth.chunk_seed(43, 1) != seeds[1]
    with pytest.raises(ValueError, match="chunk_customers"):
        synth.chunks(10, 0)


def test_the_first_chunk_is_the_unchunked_generator(chunked):
    alone = synth.generate(CHUNK, SEED, SNAPSHOT_DATE, CHURN_WINDOW_DAYS, campaign_share=0.3)
    for name, table in {**alone.tables(), "truth": alone.truth}.items():
        whole = {**chunked.tables(), "truth": chunked.truth}[name]
        assert len(whole) > len(table)
        pd.testing.assert_frame_equal(plain(whole.iloc[: len(table)]), plain(table))


def test_chunks_number_their_customers_and_tickets_apart(chunked):
    expected = [f"CU{i:08d}" for i in range(1, N + 1)]
    assert chunked.truth["customer_id"].tolist() == expected
    ids = chunked.customers["customer_id"].drop_duplicates()
    late = ids[ids.str.startswith("CL")]
    assert late.is_unique and len(late) == 5 + 5 + 2
    assert chunked.tickets["ticket_id"].is_unique
    owners = set(plain(chunked.logins)["customer_id"])
    assert owners <= set(ids) and len(owners) > 0.9 * len(ids)
    # Another chunk has another stream: the second chunk is not the first one renamed.
    first, second = chunked.truth.iloc[:CHUNK], chunked.truth.iloc[CHUNK : 2 * CHUNK]
    assert (first["churn_probability"].to_numpy() != second["churn_probability"].to_numpy()).any()


def _files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*.parquet"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("raw_local")
    return root, generate.write_local(SPEC, root)


def test_partitioned_tables_read_back_as_generate(written, chunked):
    root, counts = written
    tables = {**chunked.tables(), "truth": chunked.truth}
    assert set(counts) == set(tables)
    for name, expected in tables.items():
        parts = sorted(p.name for p in (root / f"{name}.parquet").iterdir())
        assert parts == [generate.part_name(i) for i in range(3)]
        got = pq.read_table(root / f"{name}.parquet").to_pandas()
        assert counts[name] == len(expected)
        pd.testing.assert_frame_equal(plain(got), plain(expected), check_dtype=False)


def test_a_smaller_run_leaves_no_stale_chunks(tmp_path):
    generate.write_local(SPEC, tmp_path)
    fewer = generate.SynthSpec(700, SEED, SNAPSHOT_DATE, CHURN_WINDOW_DAYS, chunk_customers=CHUNK)
    generate.write_local(fewer, tmp_path)
    assert sorted(p.name for p in (tmp_path / "customers.parquet").iterdir()) == [
        generate.part_name(0),
        generate.part_name(1),
    ]
    assert len(pq.read_table(tmp_path / "truth.parquet")) == 700
    assert not (tmp_path / generate.STAGING).exists()


@pytest.mark.e2e
def test_spark_executors_write_the_same_files(spark, written, tmp_path):
    root, counts = written
    assert generate.write_spark(spark, SPEC, tmp_path) == counts
    assert _files(tmp_path) == _files(root)
    assert len(_files(root)) == 5 * 3
