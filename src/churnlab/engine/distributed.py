"""Distributed training on Spark (``engine.spark.distributed: true``): XGBoost on the executors.

``xgboost.spark.SparkXGBClassifier`` is fitted on the train and validation features (one table,
``validation_indicator_col`` marking validation rows, so early stopping reads validation as
locally) with ``engine.spark.num_workers`` workers and the ``train.xgboost`` hyper-parameters
(``n_jobs`` is Spark's ``spark.task.cpus`` there). Its booster is loaded into a scikit-learn
``XGBClassifier``, so the saved inference pipeline, serving, batch scoring, drift and the
registry work unchanged; calibration and the threshold are then fitted on the collected
validation features (small) by :func:`churnlab.modeling.training.train`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import xgboost as xgb

from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.engine import tables
from churnlab.engine.session import spark_session
from churnlab.errors import UserError
from churnlab.modeling.zoo.common import positive_weight

VALID_FLAG = "_is_valid"


def estimator_params(params: Params, n_rows: int, n_positive: int) -> dict:
    """``train.xgboost`` as ``SparkXGBClassifier`` arguments (the local model's, without
    ``n_jobs``)."""
    p = params.train
    hyper = p.xgboost.model_dump()
    hyper.pop("n_jobs")
    # positive_weight reads only the count and the sum of the labels.
    labels = np.zeros(n_rows, dtype=np.int8)
    labels[:n_positive] = 1
    return {
        **hyper,
        "eval_metric": ["logloss", "auc"],
        "scale_pos_weight": positive_weight(labels, p),
        "tree_method": "hist",
        "random_state": p.seed,
        "num_workers": params.engine.spark.num_workers,
    }


def as_sklearn(booster: xgb.Booster, hyper: dict) -> xgb.XGBClassifier:
    """A scikit-learn ``XGBClassifier`` serving ``booster`` (through XGBoost's JSON model)."""
    local = {k: v for k, v in hyper.items() if k != "num_workers"}
    model = xgb.XGBClassifier(**local)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "booster.json"
        booster.save_model(path)
        model.load_model(path)
    model.evals_result_ = {}  # the curves stay on the executors; train logs final figures
    return model


def fit(params: Params, train, valid) -> xgb.XGBClassifier:
    """Fit on the executors; ``train``/``valid`` are feature tables with the label."""
    from pyspark.sql import functions as F
    from xgboost.spark import SparkXGBClassifier

    if params.train.model != "xgboost":
        raise UserError("engine.spark.distributed needs train.model: xgboost")
    names = [c for c in train.columns if c != TARGET]
    data = train.withColumn(VALID_FLAG, F.lit(False)).unionByName(
        valid.withColumn(VALID_FLAG, F.lit(True))
    )
    counts = train.agg(F.count(F.lit(1)).alias("n"), F.sum(TARGET).alias("pos")).first()
    hyper = estimator_params(params, int(counts["n"]), int(counts["pos"] or 0))
    estimator = SparkXGBClassifier(
        features_col=names, label_col=TARGET, validation_indicator_col=VALID_FLAG, **hyper
    )
    # One partition per worker before the barrier stage (a union of the two tables cannot
    # run in barrier mode as it is).
    data = data.withColumn(TARGET, F.col(TARGET).cast("double")).repartition(hyper["num_workers"])
    fitted = estimator.fit(data)
    booster = fitted.get_booster()
    booster.feature_names = names  # the featurizer's output columns, as the local model
    return as_sklearn(booster, hyper)


def fit_from_tables(params: Params) -> xgb.XGBClassifier:
    """The train stage's distributed fit: from the train and valid features tables."""
    sp = params.engine.spark
    spark = spark_session(sp)
    train, valid = (
        tables.read(spark, tables.location(sp, paths.FEATURES / f"{name}.parquet"))
        for name in ("train", "valid")
    )
    return fit(params, train, valid)
