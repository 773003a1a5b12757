"""prepare on Spark equals prepare on the local engine (issue 16): the same prepared rows,
customer keys, truth and data-quality figures from the same raw tables; the DuckDB snapshot
SQL translated to Spark SQL; bad input stops with one line and leaves earlier outputs."""

from __future__ import annotations

import pandas as pd
import pytest

from churnlab import io
from churnlab.config import paths
from conftest import run_stages, small_params

# A Spark session and a snapshot over 2,000 customers: tens of seconds on this machine.
pytestmark = pytest.mark.e2e


def spark_params(**spark):
    return small_params(engine={"name": "spark", "spark": {"master": "local[2]", **spark}})


@pytest.fixture(scope="module")
def spark_run(spark, tmp_path_factory) -> object:
    return run_stages(tmp_path_factory.mktemp("spark_prepare"), spark_params())


def assert_same_table(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=0, atol=1e-9)


def test_prepared_rows_and_keys_equal_the_local_engine(spark_run, prepare_run):
    assert (spark_run / paths.PREPARED).is_dir()  # really written by Spark
    got = io.read_table(spark_run / paths.PREPARED)
    expected = io.read_table(prepare_run / paths.PREPARED)
    assert got["customer_key"].tolist() == expected["customer_key"].tolist()
    assert got["customer_key"].is_unique and "customer_id" not in got
    assert_same_table(got, expected)
    assert_same_table(
        io.read_table(spark_run / paths.TRUTH), io.read_table(prepare_run / paths.TRUTH)
    )


def test_quality_figures_and_schema_equal_the_local_engine(spark_run, prepare_run):
    for relative in (paths.METRICS / "data_quality.json", paths.SCHEMA):
        assert io.read_json(spark_run / relative) == io.read_json(prepare_run / relative)
    dq = io.read_json(spark_run / paths.METRICS / "data_quality.json")
    # The synthetic data has misspelt categories, duplicate rows and impossible ages.
    assert dq["duplicates_removed"]["customers"] > 0
    assert sum(dq["spelling_fixed"].values()) > 0
    assert dq["identifiers_dropped"] == ["name", "email", "phone"]
    assert (spark_run / paths.QUALITY_REPORT).read_text() == (
        prepare_run / paths.QUALITY_REPORT
    ).read_text()


def test_the_snapshot_sql_is_translated_not_rewritten():
    from churnlab.data.snapshot import _SNAPSHOT_SQL
    from churnlab.engine.dialect import to_spark

    sql = to_spark(_SNAPSHOT_SQL)
    assert "to_days" not in sql.lower() and "make_dt_interval(:short)" in sql.lower()
    assert "LISTAGG" in sql.upper()  # string_agg ... ORDER BY
    assert "CAST(86400.0 AS DOUBLE)" in sql  # a double division, as DuckDB's
