"""XGBoost (``train.model: xgboost``, the default): gradient-boosted trees, early-stopped on
validation, explained by exact TreeSHAP from the booster.

:func:`contributions` is the one XGBoost explanation path: the evaluate stage and the API both
reach it through the registry. For requests of up to ``SMALL_BATCH`` customers it and
:func:`probability` run a one-thread copy of the booster: waking XGBoost's thread pool cost
~20 ms per call on 2 cores (measured), far more than the trees themselves; the values are the
same.

The training curve (:func:`train_curve`) is computed after the fit from the trees, not by
XGBoost's per-round evaluation: see there.
"""

from __future__ import annotations

import json
import weakref

import numpy as np
import pandas as pd
import xgboost as xgb

from churnlab import progress
from churnlab.config.models import TrainParams, XGBoostParams
from churnlab.modeling.spec import Contributions, ModelSpec, per_feature, qualified
from churnlab.modeling.zoo.common import as_matrix, positive_weight

# The train-side learning curve is only a picture; scoring all of a 700k-row train set after
# every round cost 270 of the 412 s the train stage took on 1M customers (measured). A fixed
# subsample draws the same curve. Early stopping reads the last eval set (validation), so
# the fitted model does not depend on this. 10,000 rows, not all 35,000 of the default train
# split: their per-round logloss and AUC were most of the per-round evaluation, about 28 % of
# the default train stage's CPU (profiled). The curve stays a seeded sample of train rows.
TRAIN_CURVE_ROWS = 10_000

# Requests up to this many customers run on one thread (see the module docstring).
SMALL_BATCH = 64

# One fit on at least this many rows shows a bar of its boosting rounds on a terminal. Smaller
# fits are quick, and up to training.REFIT_MAX_ROWS the refit's folds have their own bar.
ROUNDS_BAR_ROWS = 20_000


def make(p: TrainParams, y: np.ndarray) -> xgb.XGBClassifier:
    # train.xgboost's fields are XGBClassifier arguments.
    return xgb.XGBClassifier(
        **p.xgboost.model_dump(),
        eval_metric=["logloss", "auc"],
        scale_pos_weight=positive_weight(y, p),
        tree_method="hist",
        random_state=p.seed,
    )


def train_curve_sample(X, y, seed: int, rows: int | None = None):
    """At most ``rows`` training rows (a seeded draw, original order) for the train curve."""
    rows = TRAIN_CURVE_ROWS if rows is None else rows
    if len(y) <= rows:
        return X, y
    keep = np.sort(np.random.default_rng(seed).choice(len(y), size=rows, replace=False))
    return X.iloc[keep], y[keep]


class RoundsBar(xgb.callback.TrainingCallback):
    """Advances a :func:`churnlab.progress.bar` by one per boosting round."""

    def __init__(self, total: int) -> None:
        super().__init__()
        self.shown = progress.bar(desc="xgboost rounds", total=total, unit="round")

    def after_iteration(self, model, epoch: int, evals_log) -> bool:
        self.shown.update(1)
        return False  # never stops training: early stopping decides

    def after_training(self, model):
        self.shown.close()
        return model


def _round_margins(booster: xgb.Booster, values: np.ndarray) -> np.ndarray:
    """The log-odds of each row after each boosting round (rounds x rows, float32), summed
    tree by tree in XGBoost's order, as its evaluation cache sums them: round 0 is XGBoost's
    own prediction (base score + first tree), then each tree's leaf value is added."""
    data = xgb.DMatrix(values)
    leaves = booster.predict(data, pred_leaf=True, validate_features=False).astype(np.intp)
    trees = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"]
    margins = np.empty((len(trees), len(values)), dtype=np.float32)
    margins[0] = booster.predict(
        data, output_margin=True, iteration_range=(0, 1), validate_features=False
    )
    for i in range(1, len(trees)):  # a leaf's value is its split_condition in XGBoost's JSON
        leaf_values = np.asarray(trees[i]["split_conditions"], dtype=np.float32)
        margins[i] = margins[i - 1] + leaf_values[leaves[:, i]]
    return margins


def _auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC from average ranks (ties count half), the value of XGBoost's ``auc``."""
    order = np.argsort(scores, kind="stable")
    s = scores[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    counts = np.diff(np.r_[starts, len(s)])
    ranks = np.repeat(starts + (counts + 1) / 2, counts)
    n_pos = int(positive.sum())
    n_neg = len(s) - n_pos
    return float((ranks[positive[order]].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def train_curve(model: xgb.XGBClassifier, X, y) -> dict[str, list[float]]:
    """XGBoost's per-round ``logloss`` and ``auc`` of (X, y), computed after the fit.

    XGBoost evaluating the train-curve sample at every round (its AUC sorts the sample each
    round) cost about a quarter of the default train stage's fit (profiled); here one
    ``pred_leaf`` prediction and the trees' leaf values give every round's log-odds. The
    arithmetic follows XGBoost's in float32 (sums per tree, ``Sigmoid``, ``logf``; the
    exponential and logarithm correctly rounded, as glibc's), so the values equal the ones
    XGBoost logged up to the order of its multi-threaded sum (``tests/test_models.py``).
    """
    margins = _round_margins(model.get_booster(), as_matrix(X))
    exp = np.exp(np.minimum(-margins, np.float32(88.7)).astype(np.float64)).astype(np.float32)
    p = np.float32(1) / (exp + np.float32(1))
    positive = np.asarray(y) == 1
    picked = np.maximum(np.where(positive, p, np.float32(1) - p), np.float32(1e-16))
    loss = -np.log(picked.astype(np.float64)).astype(np.float32)
    logloss = loss.astype(np.float64).sum(axis=1) / len(positive)
    return {
        "logloss": [float(v) for v in logloss],
        "auc": [_auc(positive, row) for row in p],
    }


def fit(model: xgb.XGBClassifier, X, y, X_valid, y_valid) -> xgb.XGBClassifier:
    """Early-stopped on validation (evaluated by XGBoost each round); the train curve of a
    seeded sample is computed afterwards (:func:`train_curve`). ``evals_result()`` has both,
    as when XGBoost evaluated ``eval_set=[(train sample), (valid)]``."""
    X_curve, y_curve = train_curve_sample(X, y, model.random_state)
    # The callback is set for this fit only: the saved model keeps callbacks=None (skops).
    # Plain attributes, not set_params: on a fitted model set_params also rewrites the
    # booster's params, and its list-valued eval_metric then breaks the booster.
    model.callbacks = [RoundsBar(model.n_estimators)] if len(y) >= ROUNDS_BAR_ROWS else None
    try:
        model.fit(X, y, eval_set=[(X_valid, y_valid)], verbose=False)
    finally:
        model.callbacks = None
    valid = model.evals_result_["validation_0"]
    curve = train_curve(model, X_curve, y_curve)
    model.evals_result_ = {"validation_0": {m: curve[m] for m in valid}, "validation_1": valid}
    return model


def importance(model: xgb.XGBClassifier, names: list[str]) -> pd.Series:
    gain = model.get_booster().get_score(importance_type="total_gain")
    by_index = {
        int(k[1:]) if k.startswith("f") and k[1:].isdigit() else k: v for k, v in gain.items()
    }
    values = [by_index.get(i, by_index.get(n, 0.0)) for i, n in enumerate(names)]
    return pd.Series(values, index=names, name="total_gain")


def _rounds(model: xgb.XGBClassifier) -> tuple[int, int]:
    """The trees up to the best round (all of them without early stopping)."""
    best = getattr(model, "best_iteration", None)
    return (0, best + 1) if best is not None else (0, 0)


_ONE_THREAD: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _booster(model: xgb.XGBClassifier, rows: int) -> xgb.Booster:
    """The model's booster, or for a small batch its one-thread copy (made once per model)."""
    if rows > SMALL_BATCH:
        return model.get_booster()
    booster = _ONE_THREAD.get(model)
    if booster is None:
        booster = model.get_booster().copy()
        booster.set_param({"nthread": 1})
        _ONE_THREAD[model] = booster
    return booster


def probability(model: xgb.XGBClassifier, X) -> np.ndarray:
    """``predict_proba(X)[:, 1]`` straight from the booster (the same values)."""
    # XGBoost converts to float32 anyway; handing it the array skips its slow per-column
    # pandas conversion.
    values = as_matrix(X)
    return _booster(model, len(values)).inplace_predict(values, iteration_range=_rounds(model))


def _contributions(model: xgb.XGBClassifier, X: pd.DataFrame, approx: bool) -> Contributions:
    values = as_matrix(X)
    small = len(values) <= SMALL_BATCH
    out = _booster(model, len(values)).predict(
        xgb.DMatrix(values, nthread=1 if small else -1),
        pred_contribs=True,
        approx_contribs=approx,
        iteration_range=_rounds(model),
        validate_features=False,
    )
    return per_feature(out[:, :-1], out[:, -1], X)


def contributions(model: xgb.XGBClassifier, X: pd.DataFrame) -> Contributions:
    """Exact TreeSHAP (``pred_contribs``)."""
    return _contributions(model, X, approx=False)


def approx_contributions(model: xgb.XGBClassifier, X: pd.DataFrame) -> Contributions:
    """Saabas' approximation (``approx_contribs``): one path per tree, much cheaper."""
    return _contributions(model, X, approx=True)


SPECS = (
    ModelSpec(
        name="xgboost",
        params=XGBoostParams,
        make=make,
        estimator=xgb.XGBClassifier,
        fit=fit,
        complexity=8,
        importance=importance,
        contributions=contributions,
        approx_contributions=approx_contributions,
        probability=probability,
        single_threaded={"n_jobs": 1},
        trusted_types=(qualified(xgb.XGBClassifier), qualified(xgb.Booster)),
    ),
)
