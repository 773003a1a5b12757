"""Scoring on Spark: the saved inference pipeline applied on the executors with ``mapInPandas``.

:func:`probabilities` gives the evaluate stage the test split's scores (two columns collected to
the driver, where metrics, intervals and plots are computed as locally:
:mod:`churnlab.engine.holdout`). :func:`score_table` is
``churnlab score --engine spark``: every batch goes through the local :class:`Scorer`'s
``inputs`` + ``score_replayed`` (conversions replayed, bad rows with an ``error`` and no score),
so each row gets the local scorer's output; the result is written as Parquet part files.
Rejected rows are kept with their ``error`` but no rejects file is written on this engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from churnlab.config.columns import CUSTOMER_KEY
from churnlab.errors import UserError
from churnlab.features.groups import feature_frame

PROBABILITY = "churn_probability"
SCHEMA_SAMPLE_ROWS = 50


def probabilities(frame, pipeline) -> pd.Series:
    """The pipeline's churn probability of every row of ``frame``, by customer key."""
    from pyspark.sql import types as T

    def run(batches):
        for batch in batches:
            scores = pipeline.predict_proba(feature_frame(batch))[:, 1]
            yield pd.DataFrame({CUSTOMER_KEY: batch[CUSTOMER_KEY].to_numpy(), PROBABILITY: scores})

    schema = T.StructType([frame.schema[CUSTOMER_KEY], T.StructField(PROBABILITY, T.DoubleType())])
    scored = frame.mapInPandas(run, schema).toArrow().to_pandas()
    return scored.set_index(CUSTOMER_KEY)[PROBABILITY]


def aligned(scores: pd.Series, keys: pd.Series) -> np.ndarray:
    """``scores`` in the order of ``keys`` (every key must have been scored)."""
    return scores.loc[keys.to_numpy()].to_numpy()


def _scored_batches(scorer):
    def run(batches):
        for batch in batches:
            replayed = scorer.inputs(batch.reset_index(drop=True))
            result = scorer.score_replayed(replayed)
            if replayed.ids is not None:
                result.insert(0, replayed.id_column, replayed.ids.to_numpy())
            yield result.reset_index(drop=True)

    return run


def read_source(spark, source: str):
    """A CSV (text columns, as the local reader) or Parquet file or directory."""
    lower = source.lower().rstrip("/")
    if lower.endswith(".csv"):
        return spark.read.option("header", True).option("inferSchema", False).csv(source)
    if lower.endswith((".parquet", ".pq")):
        return spark.read.parquet(source)
    raise UserError(f"{source}: unsupported format; use a .csv or .parquet file or directory")


def score_table(spark, scorer, source: str, target: str) -> int:
    """Score ``source`` into Parquet at ``target``; returns the number of rows written."""
    from pyspark.sql.pandas.types import from_arrow_schema

    if source.rstrip("/") == target.rstrip("/"):
        raise UserError(f"{target} is the input: choose another output")
    frame = read_source(spark, source)
    head = frame.limit(SCHEMA_SAMPLE_ROWS).toArrow().to_pandas()
    sample = next(_scored_batches(scorer)(iter([head])))
    arrow = pa.Schema.from_pandas(sample, preserve_index=False)
    # A column empty in the sample (no reason, no error) is text in the scorer's output.
    arrow = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in arrow])
    schema = from_arrow_schema(arrow)
    scored = frame.mapInPandas(_scored_batches(scorer), schema)
    scored.write.mode("overwrite").parquet(target)
    return spark.read.parquet(target).count()
