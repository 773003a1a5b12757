"""What evaluate and train read of the split tables on Spark (issue 16): the model's input
schema from the Parquet schema and Spark aggregates, the segments' source columns and SHAP's
rows, equal to what the local functions give on the whole table read by pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import io
from churnlab.config.columns import CUSTOMER_KEY, TARGET
from churnlab.data.input_contract import input_schema
from churnlab.engine import holdout
from churnlab.engine import input_schema as on_spark
from churnlab.errors import UserError
from churnlab.evaluation.segments import segment_columns
from churnlab.features.groups import feature_frame
from conftest import small_params

pytestmark = pytest.mark.e2e  # a Spark session


def split_table(n: int = 300) -> pd.DataFrame:
    """Every kind of column: few-valued text (with gaps), free text, numbers with NaN, a flag,
    a date, a timestamp, a tenure in months."""
    rng = np.random.default_rng(11)
    plan = rng.choice(["basic", "standard", "premium"], n).astype(object)
    plan[::17] = None
    return pd.DataFrame(
        {
            CUSTOMER_KEY: [f"{i:08x}" for i in rng.permutation(n)],
            TARGET: (rng.random(n) < 0.3).astype("int8"),
            "plan": plan,
            "channel": rng.choice(["web", "shop"], n),
            "constant": "EU",
            "notes": [f"note {i}" for i in range(n)],
            "fee": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(5, 90, n)),
            "tenure": rng.integers(0, 72, n),
            "autopay": rng.random(n) < 0.5,
            "signup": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D"),
            "birthday": [pd.Timestamp("1990-01-01").date()] * n,
        }
    )


@pytest.fixture(scope="module")
def tables(spark, tmp_path_factory):
    """The table written by pyarrow, read whole by pandas and as a Spark DataFrame."""
    where = tmp_path_factory.mktemp("holdout") / "test.parquet"
    split_table().sort_values(CUSTOMER_KEY).to_parquet(where, index=False)
    return io.read_table(where), spark.read.parquet(str(where))


def test_input_schema_on_spark_equals_the_local_one(tables):
    local, frame = tables
    expected = input_schema(feature_frame(local))
    assert on_spark.input_schema(frame) == expected
    assert expected["notes"]["kind"] == "text" and expected["fee"]["required"] is False
    assert expected["plan"]["categories"] == ["basic", "premium", "standard"]


@pytest.mark.parametrize("names", [["plan", "tenure_band", "contract"], ["channel", "plan"]])
def test_user_data_segments_from_the_collected_columns_equal_the_local_ones(tables, names):
    local, frame = tables
    e = small_params(evaluate={"segments": names}).evaluate
    sources = holdout.segment_sources(frame, e, True, 8)
    assert "notes" not in sources and "fee" not in sources
    narrow = frame.select(CUSTOMER_KEY, TARGET, *sources).orderBy(CUSTOMER_KEY).toPandas()
    expected = segment_columns(local, names, e.tenure_band_days, True, 8)
    got = segment_columns(narrow, names, e.tenure_band_days, True, 8)
    pd.testing.assert_frame_equal(got, expected)


def test_a_missing_segment_of_synthetic_data_is_the_local_error(tables):
    local, frame = tables
    e = small_params(evaluate={"segments": ["plan", "contract"]}).evaluate
    with pytest.raises(UserError) as expected:
        segment_columns(local, e.segments, e.tenure_band_days)
    with pytest.raises(UserError) as got:
        holdout.segment_sources(frame, e, False, 8)
    assert str(got.value) == str(expected.value)


def test_shap_rows_are_the_sample_and_the_top_risk_customers(tables):
    local, frame = tables
    scores = np.random.default_rng(2).random(len(local))
    e = small_params(evaluate={"explain_rows": 100, "top_customers": 5}).evaluate
    rows, row_scores, explain_params = holdout.explained(frame, local[CUSTOMER_KEY], scores, e)
    top = np.argsort(-scores)[:5]
    assert len(rows) == explain_params.explain_rows <= 105
    assert set(local[CUSTOMER_KEY].to_numpy()[top]) <= set(rows[CUSTOMER_KEY])
    expected = local.set_index(CUSTOMER_KEY).loc[rows[CUSTOMER_KEY]].reset_index()
    pd.testing.assert_frame_equal(rows, expected)
    lookup = dict(zip(local[CUSTOMER_KEY], scores, strict=True))
    np.testing.assert_array_equal(row_scores, [lookup[k] for k in rows[CUSTOMER_KEY]])
