"""Distributed training on Spark (``engine.spark.distributed: true``): XGBoost on the executors.

``xgboost.spark.SparkXGBClassifier`` is fitted on the train and validation features (one table,
``validation_indicator_col`` marking validation rows, so early stopping reads validation as
locally) with ``engine.spark.num_workers`` workers and the ``train.xgboost`` hyper-parameters
(``n_jobs`` is Spark's ``spark.task.cpus`` there). Its booster is loaded into a scikit-learn
``XGBClassifier``, so the saved inference pipeline, serving, batch scoring, drift and the
registry work unchanged.

When ``train.refit`` says ``train_valid`` (:func:`churnlab.modeling.training.refit_method`),
the three steps of :mod:`churnlab.modeling.refit` run on Spark too: the early-stopped fit's
rounds; ``train.refit_folds`` folds over train+valid, each fitted on the executors on the
other folds with the rounds scaled by its rows and scored there (only the scores and labels
are collected); the final model fitted on all of train+valid with the scaled rounds. A row's
fold is a seeded hash of its values (partition-independent; each class is split at random
rather than exactly stratified, as ``StratifiedKFold`` does locally). Calibration and the
threshold are then fitted on the out-of-fold scores by :func:`churnlab.modeling.training.train`,
as locally; otherwise (``train``) on the collected validation features.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb

from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.engine import tables
from churnlab.engine.session import spark_session
from churnlab.errors import UserError
from churnlab.modeling import refit, training
from churnlab.modeling.zoo.common import positive_weight

VALID_FLAG = "_is_valid"
FOLD = "_fold"


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


def fit_rows(params: Params, data, names: list[str], **fixed) -> xgb.XGBClassifier:
    """``SparkXGBClassifier`` fitted on ``data`` (features and label; validation rows marked
    by ``VALID_FLAG`` when it has that column); ``fixed`` overrides hyper-parameters."""
    from pyspark.sql import functions as F
    from xgboost.spark import SparkXGBClassifier

    fitted_on = data.filter(~F.col(VALID_FLAG)) if VALID_FLAG in data.columns else data
    counts = fitted_on.agg(F.count(F.lit(1)).alias("n"), F.sum(TARGET).alias("pos")).first()
    hyper = estimator_params(params, int(counts["n"]), int(counts["pos"] or 0)) | fixed
    marked = {"validation_indicator_col": VALID_FLAG} if VALID_FLAG in data.columns else {}
    estimator = SparkXGBClassifier(features_col=names, label_col=TARGET, **marked, **hyper)
    # One partition per worker before the barrier stage (a union of the two tables cannot
    # run in barrier mode as it is).
    data = data.withColumn(TARGET, F.col(TARGET).cast("double")).repartition(hyper["num_workers"])
    booster = estimator.fit(data).get_booster()
    booster.feature_names = names  # the featurizer's output columns, as the local model
    return as_sklearn(booster, hyper)


def fit(params: Params, train, valid) -> xgb.XGBClassifier:
    """Fit on the executors, early-stopped on ``valid``; both are feature tables with the
    label."""
    from pyspark.sql import functions as F

    if params.train.model not in ("xgboost", "auto"):  # auto: XGBoost here, whatever the rows
        raise UserError("engine.spark.distributed needs train.model: xgboost (or auto)")
    names = [c for c in train.columns if c != TARGET]
    data = train.withColumn(VALID_FLAG, F.lit(False)).unionByName(
        valid.withColumn(VALID_FLAG, F.lit(True))
    )
    return fit_rows(params, data, names)


def fixed_fit(params: Params, data, names, rounds: int | None, train_rows: int):
    """:func:`churnlab.modeling.refit.fit_fixed` on Spark: no early stopping, ``rounds``
    scaled by the rows of ``data``."""
    scaled = refit.scaled_rounds(rounds, data.count(), train_rows)
    fixed = {"n_estimators": scaled} if scaled is not None else {}
    return fit_rows(params, data, names, early_stopping_rounds=None, **fixed)


def held_out_scores(model, rows, names: list[str]) -> pd.DataFrame:
    """``model``'s churn probability of every row, with its label, computed on the executors."""
    from pyspark.sql import types as T

    def run(batches):
        for batch in batches:
            scores = model.predict_proba(batch[names])[:, 1]
            yield pd.DataFrame({"score": scores, TARGET: batch[TARGET].to_numpy()})

    schema = T.StructType([T.StructField("score", T.DoubleType()), rows.schema[TARGET]])
    return rows.mapInPandas(run, schema).toArrow().to_pandas()


def refit_on_spark(params: Params, train, valid, early) -> training.Refitted:
    """Steps 2 and 3 of :mod:`churnlab.modeling.refit` on the executors."""
    from pyspark.sql import functions as F

    p = params.train
    names = [c for c in train.columns if c != TARGET]
    rounds, n_train = refit.best_rounds("xgboost", early), train.count()
    both = train.unionByName(valid)
    fold = F.pmod(F.xxhash64(F.lit(p.seed), *names, TARGET), F.lit(p.refit_folds))
    tagged = both.withColumn(FOLD, fold).cache()
    try:
        held, models = [], []
        for k in range(p.refit_folds):
            rest = tagged.filter(F.col(FOLD) != k).drop(FOLD)
            models.append(fixed_fit(params, rest, names, rounds, n_train))
            held.append(held_out_scores(models[-1], tagged.filter(F.col(FOLD) == k), names))
    finally:
        tagged.unpersist()
    final = fixed_fit(params, both, names, rounds, n_train)
    scored = pd.concat(held, ignore_index=True)
    oof = refit.OutOfFold(scored["score"].to_numpy(), models, rounds)
    return training.Refitted((early, final, oof), scored[TARGET].to_numpy(), n_train)


def fit_from_tables(params: Params):
    """The train stage's distributed fit from the train and valid features tables: the
    early-stopped model, or with a refit on train+valid a :class:`training.Refitted`."""
    sp = params.engine.spark
    spark = spark_session(sp)
    train, valid = (
        tables.read(spark, tables.location(sp, paths.FEATURES / f"{name}.parquet"))
        for name in ("train", "valid")
    )
    early = fit(params, train, valid)
    rows = train.count() + valid.count()
    if training.refit_method(params, rows) != "train_valid":
        return early
    return refit_on_spark(params, train, valid, early)
