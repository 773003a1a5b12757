"""Section ``engine`` of ``params.yaml``: which engine runs the stages (issue 16).

``local`` is the DuckDB/pandas path on one machine; ``spark`` runs prepare (the synthetic
source and a user's tables and event logs), split, featurize, train and evaluate through a
SparkSession (:mod:`churnlab.engine`).
The Spark-only sizes (the featurizer's fit sample, the driver's training sample, distributed
training) live under ``engine.spark`` so that switching engines never changes the local path's
params.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from churnlab.config.base import Strict


class SparkParams(Strict):
    """Section ``engine.spark``: where the Spark driver connects and how big its samples are."""

    master: str = "local[2]"
    """The Spark master URL: `local[N]`, `spark://host:7077`, `yarn`, `k8s://...`, or a Spark
    Connect `sc://host:15002`."""
    conf: dict[str, str] = Field(default_factory=dict)
    """Spark configuration passed to the session builder, e.g. `{spark.driver.memory: 4g}`."""
    storage: str = ""
    """Where large tables live: empty for the repository's `data/`, or a URI such as
    `s3a://bucket/churn`, `abfss://...`, `hdfs://...`, `file:///...`."""
    fit_rows: int = Field(200_000, gt=0)
    """The featurizer is fitted on the driver on a seeded stratified sample of at most this many
    train rows (all rows when train is smaller, which gives exactly the local result); a user
    table's schema is inferred from at most this many rows the same way."""
    driver_rows: int = Field(2_000_000, gt=0)
    """Training on the driver (`distributed: false`) collects at most this many train rows (a
    seeded stratified sample beyond)."""
    distributed: bool = False
    """Train with `xgboost.spark.SparkXGBClassifier` on the executors instead of on the driver
    (only for `train.model: xgboost`)."""
    num_workers: int = Field(2, gt=0)
    """Number of XGBoost workers (Spark tasks) for distributed training."""
    sample_seed: int = Field(42, ge=0)
    """Seed of the featurizer's and the driver's samples."""


class EngineParams(Strict):
    """Section ``engine``: the local engine (DuckDB/pandas) or Apache Spark."""

    name: Literal["local", "spark"] = "local"
    """`local` (one machine, DuckDB/pandas) or `spark` (a SparkSession, see `engine.spark`)."""
    spark: SparkParams = SparkParams()
    """The Spark session and the Spark engine's sample sizes."""
