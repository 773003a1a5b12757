"""The Spark side of the stages: what ``churnlab split|featurize|evaluate`` do with
``engine.name: spark`` (the stage modules dispatch here and stay thin).

Each function opens the stage's one session, reads its input tables where
``engine.spark.storage`` says, and writes its outputs sorted by customer key, so that the local
stages that follow read the same rows in the same order as on the local engine.
"""

from __future__ import annotations

import logging

import numpy as np

from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import CUSTOMER_KEY, TARGET
from churnlab.config.params import Params
from churnlab.engine import tables
from churnlab.engine.session import spark_session
from churnlab.features.fit import Featurized

log = logging.getLogger(__name__)


def split(params: Params) -> None:
    from churnlab.engine.split import split_tables

    sp = params.engine.spark
    spark = spark_session(sp)
    customers = tables.read(spark, tables.location(sp, paths.PREPARED))
    for name, part in split_tables(customers, params.split, TARGET).items():
        tables.write_sorted(
            part, tables.location(sp, paths.SPLIT / f"{name}.parquet"), CUSTOMER_KEY
        )
        log.info("%s: written with Spark", name)


def featurize(params: Params) -> Featurized:
    """Fit on the driver, write every split's features (sorted by key, key dropped)."""
    from churnlab.engine import featurize as spark_features

    sp = params.engine.spark
    spark = spark_session(sp)
    splits = {
        name: tables.read(spark, tables.location(sp, paths.SPLIT / f"{name}.parquet"))
        for name in paths.SPLIT_NAMES
    }
    schema = io.read_json(paths.SCHEMA) if paths.SCHEMA.exists() else None
    done = spark_features.fit_on_driver(
        splits["train"],
        params.featurize,
        params.data.snapshot_date,
        schema,
        sp.fit_rows,
        sp.sample_seed,
    )
    for name, frame in splits.items():
        matrix = spark_features.apply(frame, done.featurizer, params.featurize, name == "train")
        where = tables.location(sp, paths.FEATURES / f"{name}.parquet")
        tables.write_sorted(matrix, where, CUSTOMER_KEY, drop_key=True)
        log.info("%s: features written with Spark", name)
    return done


def test_scores(params: Params, pipeline, test) -> np.ndarray:
    """The test split scored on the executors, in the order of ``test`` (read locally)."""
    from churnlab.engine import score

    sp = params.engine.spark
    spark = spark_session(sp)
    frame = tables.read(spark, tables.location(sp, paths.SPLIT / "test.parquet"))
    return score.aligned(score.probabilities(frame, pipeline), test[CUSTOMER_KEY])
