"""prepare on a chunked population (issue 16): the raw tables are written one chunk at a time
(:mod:`churnlab.engine.generate`) as directories of part files that DuckDB reads back, and the
prepared table is the one the in-memory generator's tables give; a population of one chunk
(the default data) still gets plain files with the same bytes as before."""

from __future__ import annotations

import pandas as pd
import pytest

from churnlab import io
from churnlab.config import paths
from churnlab.data import privacy, raw_tables, synth
from churnlab.engine import generate
from conftest import (
    N_CUSTOMERS,
    SALT,
    run_stages,
    small_params,
    snapshot_from_raw,
    write_raw,
)

CHUNK = 800  # three chunks of the 2,000 test customers


def in_memory(chunk_customers: int) -> synth.RawData:
    """The raw tables of the test params from the in-memory generator."""
    spec = generate.SynthSpec.from_params(small_params())
    assert spec.n_customers == N_CUSTOMERS
    return synth.generate(
        spec.n_customers,
        spec.seed,
        spec.snapshot_date,
        spec.churn_window_days,
        spec.history_days,
        campaign_share=spec.campaign_share,
        chunk_customers=chunk_customers,
    )


@pytest.fixture(scope="module")
def chunked_run(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synth, "CHUNK_CUSTOMERS", CHUNK)
        return run_stages(tmp_path_factory.mktemp("chunked"), small_params())


def test_one_chunk_keeps_the_plain_files_and_their_bytes(prepare_run, tmp_path):
    raw = in_memory(N_CUSTOMERS)
    expected = write_raw({**raw.tables(), "truth": raw.truth}, tmp_path)
    for table in (*raw_tables.RAW_TABLES, "truth"):
        written = prepare_run / paths.RAW / f"{table}.parquet"
        assert written.is_file()
        assert written.read_bytes() == (expected / f"{table}.parquet").read_bytes()


def test_chunked_raw_tables_are_directories_of_parts(chunked_run):
    for table in (*raw_tables.RAW_TABLES, "truth"):
        where = chunked_run / paths.RAW / f"{table}.parquet"
        assert sorted(p.name for p in where.iterdir()) == [generate.part_name(i) for i in range(3)]
    assert not (chunked_run / paths.RAW / generate.STAGING).exists()


def test_chunked_prepare_equals_the_in_memory_tables(chunked_run, tmp_path):
    raw = write_raw(in_memory(CHUNK).tables(), tmp_path)
    expected, _ = privacy.drop_direct_identifiers(snapshot_from_raw(raw))
    expected.insert(0, "customer_key", privacy.pseudonymise(expected.pop("customer_id"), SALT))
    got = io.read_table(chunked_run / paths.PREPARED)
    assert len(got) > 0.9 * N_CUSTOMERS and got["customer_key"].is_unique
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_categorical=False)
    truth = io.read_table(chunked_run / paths.TRUTH)
    assert truth["customer_key"].tolist() == sorted(got["customer_key"])
