"""The split on Spark equals the local split (issue 16): the same customers in each part, in
the same order, whatever the partitioning; and the split is a pure function of key, label, seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import CUSTOMER_KEY, TARGET
from churnlab.config.params import SplitParams
from churnlab.data.splitting import split_customers, split_hash
from churnlab.errors import UserError
from churnlab.stages import split
from conftest import small_params

pytestmark = pytest.mark.e2e


def spark_params(**spark):
    return small_params(engine={"name": "spark", "spark": {"master": "local[2]", **spark}})


def test_hash_rank_is_the_same_in_spark_sql(spark):
    keys = pd.Series([f"k{i}" for i in range(50)] + ["", "é-ü"])
    from churnlab.engine.split import hash_column

    frame = spark.createDataFrame(pd.DataFrame({CUSTOMER_KEY: keys}))
    got = frame.select(CUSTOMER_KEY, hash_column(7).alias("h")).toPandas()
    expected = split_hash(keys, 7)
    assert (got.set_index(CUSTOMER_KEY)["h"].loc[keys].to_numpy() == expected).all()
    assert not (split_hash(keys, 8) == expected).all()  # the seed matters


def test_split_stage_on_spark_equals_local(spark, prepared, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # Written shuffled and in several files' worth of partitions: the split must not care.
    io.write_table(prepared.sample(frac=1.0, random_state=3), paths.PREPARED)
    split.main(spark_params(conf={"spark.sql.shuffle.partitions": "3"}))
    local = split_customers(prepared, small_params().split, TARGET)
    for name in paths.SPLIT_NAMES:
        on_spark = io.read_table(paths.SPLIT / f"{name}.parquet")
        assert (paths.SPLIT / f"{name}.parquet").is_dir()
        assert on_spark[CUSTOMER_KEY].tolist() == local[name][CUSTOMER_KEY].tolist()
        pd.testing.assert_frame_equal(on_spark, local[name], check_dtype=False)
    sizes = {name: len(local[name]) for name in paths.SPLIT_NAMES}
    assert sum(sizes.values()) == len(prepared)
    rates = [local[name][TARGET].mean() for name in paths.SPLIT_NAMES]
    assert np.ptp(rates) < 0.01  # stratified: the same churn rate in every part


def test_the_split_is_a_function_of_key_label_and_seed(prepared):
    p = SplitParams()
    parts = split_customers(prepared, p, TARGET)
    shuffled = split_customers(prepared.sample(frac=1.0, random_state=1), p, TARGET)
    half = split_customers(prepared.iloc[: len(prepared) // 2], p, TARGET)
    for name in ("train", "valid", "test"):
        pd.testing.assert_frame_equal(parts[name], shuffled[name])
    # Ranks, not positions: a customer keeps its part when the table is reordered, and the
    # train part of half the customers is mostly a subset of the full train part.
    overlap = half["train"][CUSTOMER_KEY].isin(parts["train"][CUSTOMER_KEY]).mean()
    assert overlap > 0.9


def test_time_split_is_local_only_on_spark(spark, prepared, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    io.write_table(prepared, paths.PREPARED)
    params = spark_params().model_copy(update={"split": SplitParams(method="time")})
    with pytest.raises(UserError, match="local engine only"):
        split.main(params)
    assert not paths.SPLIT.exists()  # nothing written
