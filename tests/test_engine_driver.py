"""Training on the Spark driver reads at most ``engine.spark.driver_rows`` train rows (issue 16,
item 6): every row, as locally, when train is small; beyond, a seeded stratified sample that
keeps each class's share and does not depend on the partitioning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.engine.driver import train_inputs
from conftest import small_params

pytestmark = pytest.mark.e2e  # a Spark session


def features(n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(rng.normal(size=(n, 3)).astype("float32"), columns=["a", "b", "c"])
    frame[TARGET] = (rng.random(n) < 0.25).astype("int8")
    return frame


def write_with_spark(spark, frame: pd.DataFrame, partitions: int) -> None:
    where = str((paths.FEATURES / "train.parquet").resolve())
    spark.createDataFrame(frame).repartition(partitions).write.mode("overwrite").parquet(where)


def params(driver_rows: int):
    return small_params(engine={"name": "spark", "spark": {"driver_rows": driver_rows}})


def test_small_train_is_read_whole_as_locally(spark, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = features()
    io.write_table(frame, paths.FEATURES / "train.parquet")
    X, y = train_inputs(params(len(frame)), uses_features=True)
    pd.testing.assert_frame_equal(X, frame.drop(columns=[TARGET]))
    assert (y == frame[TARGET].to_numpy()).all()


def test_large_train_is_a_stratified_seeded_sample(spark, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = features()
    write_with_spark(spark, frame, 1)
    X, y = train_inputs(params(150), uses_features=True)
    assert 148 <= len(y) <= 150  # each class's share rounded down
    assert y.mean() == pytest.approx(frame[TARGET].mean(), abs=0.01)
    merged = X.assign(**{TARGET: y}).merge(frame, how="left", indicator=True)
    assert (merged["_merge"] == "both").all()  # real train rows
    write_with_spark(spark, frame.sample(frac=1.0, random_state=2), 4)
    again, _ = train_inputs(params(150), uses_features=True)
    pd.testing.assert_frame_equal(again, X)  # the same rows whatever the partitioning
    other, _ = train_inputs(
        small_params(engine={"name": "spark", "spark": {"driver_rows": 150, "sample_seed": 1}}),
        uses_features=True,
    )
    assert not other.equals(X)  # the seed draws the sample
