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
from churnlab.engine import manifest, tables
from churnlab.engine.session import spark_session
from churnlab.features.fit import Featurized

log = logging.getLogger(__name__)


def write_table(spark, sp, frame, relative, drop_key: bool = False) -> None:
    """Write a stage's table where the storage says; outside the repository, its manifest in
    the repository (the stage's DVC output)."""
    where = tables.location(sp, relative)
    tables.write_sorted(frame, where, CUSTOMER_KEY, drop_key)
    if tables.external(sp):
        manifest.write_manifest(spark, where, relative)


def split(params: Params) -> None:
    from churnlab.engine.split import assign_parts, split_tables

    sp = params.engine.spark
    spark = spark_session(sp)
    # prepare runs on the local engine only: its table is in the repository.
    customers = tables.read(spark, str(paths.PREPARED.resolve()))
    assigned = assign_parts(customers, params.split, TARGET).cache()
    for name, part in split_tables(assigned).items():
        write_table(spark, sp, part, paths.SPLIT / f"{name}.parquet")
        log.info("%s: written with Spark", name)
    assigned.unpersist()


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
        write_table(spark, sp, matrix, paths.FEATURES / f"{name}.parquet", drop_key=True)
        log.info("%s: features written with Spark", name)
    return done


def test_scores(params: Params, pipeline, test) -> np.ndarray:
    """The test split scored on the executors, in the order of ``test`` (read locally)."""
    from churnlab.engine import score

    sp = params.engine.spark
    spark = spark_session(sp)
    frame = tables.read(spark, tables.location(sp, paths.SPLIT / "test.parquet"))
    return score.aligned(score.probabilities(frame, pipeline), test[CUSTOMER_KEY])


def fit_distributed(params: Params):
    """XGBoost fitted on the executors from the train and valid features."""
    from churnlab.engine import distributed

    sp = params.engine.spark
    spark = spark_session(sp)
    train, valid = (
        tables.read(spark, tables.location(sp, paths.FEATURES / f"{name}.parquet"))
        for name in ("train", "valid")
    )
    return distributed.fit(params, train, valid)
