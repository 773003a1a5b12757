"""Features on Spark equal the local ones (issue 16): the featurizer fitted on the driver on
every train row (train is smaller than ``engine.spark.fit_rows``) and applied with
``mapInPandas`` gives the local matrices to 1e-9, row for row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import io, package
from churnlab.config import paths
from churnlab.config.columns import CUSTOMER_KEY, TARGET
from churnlab.features.fit import featurize as local_featurize
from conftest import small_params

pytestmark = pytest.mark.e2e


def test_featurize_stage_on_spark_equals_local(spark_featurized, split_parts):
    """``spark_featurized`` (conftest): the featurize stage on Spark over ``split_parts``."""
    params = small_params(engine={"name": "spark"})
    local = local_featurize(split_parts, params.featurize, params.data.snapshot_date, None)
    for name in paths.SPLIT_NAMES:
        on_spark = io.read_table(spark_featurized / paths.FEATURES / f"{name}.parquet")
        expected = local.matrices[name]
        assert list(on_spark.columns) == list(expected.columns)
        assert len(on_spark) == len(expected) > 0
        np.testing.assert_allclose(
            on_spark.drop(columns=TARGET).to_numpy(np.float64),
            expected.drop(columns=TARGET).to_numpy(np.float64),
            rtol=0,
            atol=1e-9,
        )
        assert (on_spark[TARGET].to_numpy() == expected[TARGET].to_numpy()).all()
    assert io.read_json(spark_featurized / paths.METRICS / "featurize.json") == local.report
    fitted = package.load(spark_featurized / paths.FEATURIZER)
    assert list(fitted.get_feature_names_out()) == list(local.featurizer.get_feature_names_out())


def test_fit_sample_is_stratified_and_seeded(spark, split_parts):
    from churnlab.engine.featurize import stratified_sample

    train = split_parts["train"]
    frame = spark.createDataFrame(train[[CUSTOMER_KEY, TARGET]])
    sample = stratified_sample(frame, 500, 7, TARGET).toPandas()
    again = stratified_sample(frame.repartition(3), 500, 7, TARGET).toPandas()
    other = stratified_sample(frame, 500, 8, TARGET).toPandas()
    assert 495 <= len(sample) <= 500
    assert abs(sample[TARGET].mean() - train[TARGET].mean()) < 0.01
    pd.testing.assert_frame_equal(sample, again)  # the partitioning does not matter
    assert not sample[CUSTOMER_KEY].equals(other[CUSTOMER_KEY])  # the seed does
    assert sample[CUSTOMER_KEY].is_monotonic_increasing
