"""The featurizer on Spark: fitted on the driver, applied on the executors.

The scikit-learn featurizer is fitted by the local code (:func:`churnlab.features.fit.featurize`)
on a seeded, stratified sample of at most ``engine.spark.fit_rows`` train rows (every row when
train is smaller, so small data gives exactly the local featurizer), then shipped in the
``mapInPandas`` closure (pickled per task, not a Spark broadcast) and applied to every split.
Train rows with too many missing values are left out of the train matrix as locally. Target
encoding is cross-fitted locally on the train rows it is fitted on; here the train matrix is
``transform``-ed, so with target encoding on the train features differ from the local ones
(valid and test do not).
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd

from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import CUSTOMER_KEY, TARGET
from churnlab.config.params import FeaturizeParams, Params
from churnlab.engine import tables
from churnlab.engine.session import spark_session
from churnlab.features.fit import Featurized, featurize
from churnlab.features.groups import feature_frame
from churnlab.features.impute import sparse_rows

log = logging.getLogger(__name__)


def stratified_sample(frame, n_rows: int, seed: int, target: str):
    """At most ``n_rows`` rows, the same share of each class, chosen by the rank of a seeded
    hash of the key (independent of partitioning; ranked in parallel as the split ranks,
    :func:`churnlab.engine.split.class_positions`); all rows, sorted by key, when fewer."""
    import math

    from pyspark.sql import functions as F

    from churnlab.engine.split import class_positions

    total = frame.count()
    if total <= n_rows:
        return frame.orderBy(CUSTOMER_KEY)
    share = n_rows / total
    positions, counts, numbered = class_positions(frame, target, seed)
    numbered.unpersist()  # the ranking is deterministic: the sample recomputes it
    take = F.lit(0)
    for label, count in counts.items():
        take = F.when(F.col(target) == label, math.floor(count * share)).otherwise(take)
    keys = positions.filter(F.col("_pos") < take).select(CUSTOMER_KEY)
    return frame.join(keys, on=CUSTOMER_KEY, how="left_semi").orderBy(CUSTOMER_KEY)


def to_pandas(frame) -> pd.DataFrame:
    """A (small) Spark DataFrame on the driver through Arrow, typed as pyarrow reads Parquet."""
    return frame.toArrow().to_pandas()


def fit_on_driver(
    train, p: FeaturizeParams, snapshot: dt.date, schema: dict | None, fit_rows: int, seed: int
) -> Featurized:
    sample = to_pandas(stratified_sample(train, fit_rows, seed, TARGET))
    return featurize({"train": sample}, p, snapshot, schema)


def matrix_batches(featurizer, missing, drop_sparse: bool):
    """The ``mapInPandas`` function: prepared rows → float32 features + label + key."""

    def run(batches):
        for batch in batches:
            inputs = feature_frame(batch)
            if drop_sparse:
                keep = ~sparse_rows(inputs, missing).to_numpy()
                batch, inputs = batch[keep], inputs[keep]
            matrix = featurizer.transform(inputs).astype("float32")
            matrix[TARGET] = batch[TARGET].to_numpy()
            matrix[CUSTOMER_KEY] = batch[CUSTOMER_KEY].to_numpy()
            yield matrix.reset_index(drop=True)

    return run


def apply(frame, featurizer, p: FeaturizeParams, drop_sparse: bool):
    """Every row of ``frame`` featurized on the executors (key and label kept)."""
    from pyspark.sql import types as T

    names = list(featurizer.get_feature_names_out())
    fields = [T.StructField(name, T.FloatType()) for name in names]
    fields.append(frame.schema[TARGET])
    fields.append(frame.schema[CUSTOMER_KEY])
    run = matrix_batches(featurizer, p.missing, drop_sparse)
    return frame.mapInPandas(run, T.StructType(fields))


def run(params: Params) -> Featurized:
    """The featurize stage on Spark: fit on the driver, write every split's features (sorted
    by key, the key dropped, so the part files read in the local engine's row order)."""
    sp = params.engine.spark
    spark = spark_session(sp)
    splits = {
        name: tables.read(spark, tables.location(sp, paths.SPLIT / f"{name}.parquet"))
        for name in paths.SPLIT_NAMES
    }
    schema = io.read_json(paths.SCHEMA) if paths.SCHEMA.exists() else None
    snapshot = params.data.snapshot_date
    done = fit_on_driver(
        splits["train"], params.featurize, snapshot, schema, sp.fit_rows, sp.sample_seed
    )
    for name, frame in splits.items():
        matrix = apply(frame, done.featurizer, params.featurize, name == "train")
        tables.write_stage_table(spark, sp, matrix, paths.FEATURES / f"{name}.parquet", True)
        log.info("%s: features written with Spark", name)
    return done
