"""Use all the labelled data: refit on train+valid, calibrate on out-of-fold scores.

``train.refit: train_valid`` (the default) works in three steps, none of which reads the test
split:

1. **Rounds.** The model is fitted on train with early stopping on valid, as ``train.refit:
   train`` does; a boosted model's best number of rounds is kept (``best_iteration`` + 1).
2. **Out-of-fold scores.** ``train.refit_folds`` stratified folds over train+valid; each
   fold's model is fitted on the other folds with the rounds scaled by its row count
   (``rounds × fold rows / train rows``: the same trees per row as the early-stopped fit),
   and scores its held-out fold. Every train+valid customer gets one honest score.
3. **Final model.** Fitted on all of train+valid with ``rounds × (train+valid rows) / train
   rows``. The calibration map (sigmoid / isotonic on the log-odds) and the threshold are
   fitted on the out-of-fold scores, then put around the final model.

The fold models are returned too: :mod:`churnlab.modeling.bagging` averages them when
``train.bagging`` asks for it. Models without boosting rounds (logistic regression, forests)
skip step 1's rounds and are refitted as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedKFold

from churnlab import progress
from churnlab.config.params import TrainParams
from churnlab.modeling.calibration import LogOdds
from churnlab.modeling.registry import spec_for

# The argument that sets a boosted model's number of rounds; other models have none.
ROUNDS_PARAM = {"xgboost": "n_estimators", "lightgbm": "n_estimators", "catboost": "iterations"}


def rows(X, index):
    return X.iloc[index] if hasattr(X, "iloc") else X[index]


def stack(X, X_valid):
    """Train and valid rows as one matrix (train first)."""
    if isinstance(X, pd.DataFrame):
        return pd.concat([X, X_valid], ignore_index=True)
    return np.vstack([X, X_valid])


def best_rounds(name: str, model) -> int | None:
    """Rounds the early-stopped ``model`` kept (None: not a boosted model)."""
    best = getattr(model, "best_iteration", None) if name in ROUNDS_PARAM else None
    if best is None:
        return None
    # LightGBM counts its best iteration from 1, XGBoost and CatBoost from 0.
    return int(best) + (0 if name == "lightgbm" else 1)


def scaled_rounds(rounds: int | None, fit_rows: int, train_rows: int) -> int | None:
    """``rounds`` found on ``train_rows`` rows, for a fit on ``fit_rows`` rows."""
    if rounds is None:
        return None
    return max(1, round(rounds * fit_rows / train_rows))


def fit_fixed(name: str, p: TrainParams, X, y, rounds: int | None):
    """``name`` fitted on (X, y) with ``rounds`` boosting rounds and no early stopping."""
    spec = spec_for(name)
    model = spec.make(p, y)
    if rounds is not None:
        model.set_params(**{ROUNDS_PARAM[name]: rounds})
    if isinstance(model, xgb.XGBClassifier):
        return model.set_params(early_stopping_rounds=None).fit(X, y, verbose=False)
    return spec.fit(model, X, y, None, None)


@dataclass(frozen=True)
class OutOfFold:
    scores: np.ndarray  # one held-out churn probability per train+valid row
    models: list  # the fold models (fold-bagging averages them)
    rounds: int | None  # rounds of the early-stopped fit on train


def out_of_fold(name: str, p: TrainParams, X_all, y_all, train_rows: int, rounds, folds: int):
    """Held-out scores of every row of (X_all, y_all) from ``folds`` stratified folds."""
    y_all = np.asarray(y_all)
    scores = np.empty(len(y_all), dtype="float64")
    models = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=p.seed)
    split = splitter.split(np.zeros(len(y_all)), y_all)
    for fit, held_out in progress.bar(split, desc=f"{name} folds", total=folds):
        fold_rounds = scaled_rounds(rounds, len(fit), train_rows)
        model = fit_fixed(name, p, rows(X_all, fit), y_all[fit], fold_rounds)
        scores[held_out] = model.predict_proba(rows(X_all, held_out))[:, 1]
        models.append(model)
    return OutOfFold(scores, models, rounds)


class ScoreColumn(ClassifierMixin, BaseEstimator):
    """Reads a churn probability from the single column of X: lets scikit-learn's calibrator
    be fitted on out-of-fold scores. It never reaches a saved pipeline (:func:`around`)."""

    classes_ = np.array([0, 1])

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def fit(self, X, y):
        return self

    def predict_proba(self, X) -> np.ndarray:
        p = np.asarray(X, dtype="float64")[:, 0]
        return np.column_stack([1 - p, p])


def calibrator_on_scores(scores: np.ndarray, y: np.ndarray, method: str):
    """A calibration map fitted on held-out ``scores`` (a ScoreColumn inside; see around)."""
    frozen = FrozenEstimator(LogOdds(ScoreColumn()))
    return CalibratedClassifierCV(frozen, method=method).fit(np.reshape(scores, (-1, 1)), y)


def apply_calibrator(calibrator, scores: np.ndarray) -> np.ndarray:
    return calibrator.predict_proba(np.reshape(scores, (-1, 1)))[:, 1]


def around(calibrator, model):
    """The fitted map put around ``model``: the same object as ``calibration.calibrate`` makes
    (CalibratedClassifierCV of FrozenEstimator(LogOdds(model))), so serving, explanations and
    the skops allow-list see nothing new."""
    frozen = FrozenEstimator(LogOdds(model))
    calibrator.estimator = frozen
    for calibrated in calibrator.calibrated_classifiers_:
        calibrated.estimator = frozen
    for name in ("n_features_in_", "feature_names_in_"):
        if hasattr(model, name):
            setattr(calibrator, name, getattr(model, name))
        elif name in vars(calibrator):
            delattr(calibrator, name)
    return calibrator


def crossfit_on_scores(scores: np.ndarray, y: np.ndarray, method: str, seed: int):
    """Calibrated scores where each row's map was fitted on the other half (honest Brier)."""
    y = np.asarray(y)
    out = np.empty(len(y), dtype="float64")
    folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    for fit, score in folds.split(np.zeros(len(y)), y):
        out[score] = apply_calibrator(
            calibrator_on_scores(scores[fit], y[fit], method), scores[score]
        )
    return out


def cross_fit(name: str, p: TrainParams, X, y, X_valid, y_valid, folds: int):
    """(model early-stopped on valid, out-of-fold results over train+valid): steps 1 and 2."""
    spec = spec_for(name)
    early = spec.fit(spec.make(p, y), X, y, X_valid, y_valid)
    rounds = best_rounds(name, early)
    X_all, y_all = stack(X, X_valid), np.concatenate([np.asarray(y), np.asarray(y_valid)])
    return early, out_of_fold(name, p, X_all, y_all, len(y), rounds, folds)


def final_fit(name: str, p: TrainParams, X, y, X_valid, y_valid, rounds: int | None):
    """Step 3: ``name`` on all of train+valid with the scaled rounds."""
    y_all = np.concatenate([np.asarray(y), np.asarray(y_valid)])
    scaled = scaled_rounds(rounds, len(y_all), len(y))
    return fit_fixed(name, p, stack(X, X_valid), y_all, scaled)


def refit(
    name: str, p: TrainParams, X, y, X_valid, y_valid, folds: int
) -> tuple[Any, Any, OutOfFold]:
    """(early-stopped model on train, final model on train+valid, out-of-fold results)."""
    early, oof = cross_fit(name, p, X, y, X_valid, y_valid, folds)
    return early, final_fit(name, p, X, y, X_valid, y_valid, oof.rounds), oof
