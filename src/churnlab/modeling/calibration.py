"""Probability calibration on the validation split, and how much it helped.

The fitted model is frozen (``FrozenEstimator``) and a sigmoid or isotonic map from its scores
to probabilities is fitted on the validation customers with ``CalibratedClassifierCV``
(scikit-learn 1.9's replacement for ``cv="prefit"``). Calibration is monotone, so it never
changes ROC-AUC (isotonic can merge close scores into ties), only the probabilities that the
profit threshold, the Brier score and the business figures read.

Brier and expected calibration error (ECE) are reported before and after. "After" measured on
the same customers the map was fitted on flatters it, so a 2-fold cross-fitted Brier (fit on
one half of validation, score the other) is reported too: it is the honest check that
calibration does not make the probabilities worse.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted


class LogOdds(ClassifierMixin, BaseEstimator):
    """A fitted classifier seen through its log-odds (``decision_function``).

    ``CalibratedClassifierCV`` fits its sigmoid on ``decision_function`` when there is one and
    on the probability otherwise; a sigmoid of a linear function of a probability cannot even
    express "leave it as it is", and on a model that was already well calibrated (XGBoost)
    it made the Brier score worse. On the log-odds it is Platt scaling, identity included.
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def __sklearn_is_fitted__(self) -> bool:
        # Fitted when the wrapped model is: this view never fits it (its fit is a no-op).
        try:
            check_is_fitted(self.estimator)
        except (NotFittedError, TypeError):  # TypeError: no estimator at all
            return False
        return True

    @property
    def classes_(self) -> np.ndarray:
        return self.estimator.classes_

    def fit(self, X, y):  # the model is fitted already; calibration freezes it
        return self

    def predict_proba(self, X) -> np.ndarray:
        return self.estimator.predict_proba(X)

    def decision_function(self, X) -> np.ndarray:
        return log_odds(self.predict_proba(X)[:, 1])

    def predict(self, X) -> np.ndarray:
        return self.estimator.predict(X)


def log_odds(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p).astype("float64"), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def calibrated_from_base(model, base_probability: np.ndarray) -> np.ndarray | None:
    """``model.predict_proba(X)[:, 1]`` of a model made by :func:`calibrate`, computed from its
    wrapped model's churn probability on ``X`` without calling it again (what
    ``CalibratedClassifierCV`` does for a binary frozen model, step by step); None when
    ``model`` is not shaped that way. Serving uses it to score one customer in microseconds.
    """
    calibrated = getattr(model, "calibrated_classifiers_", None)
    if not calibrated or len(model.classes_) != 2:
        return None
    margin = log_odds(base_probability)
    total = np.zeros(len(margin))
    for classifier in calibrated:
        inner = getattr(classifier.estimator, "estimator", None)
        if not isinstance(inner, LogOdds) or len(classifier.calibrators) != 1:
            return None
        proba = classifier.calibrators[0].predict(margin)
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        total += proba
    return total / len(calibrated)


def calibrate(model, X_valid, y_valid, method: str):
    """``model`` wrapped in a calibrator fitted on validation (``method`` none: unchanged)."""
    if method == "none":
        return model
    frozen = FrozenEstimator(LogOdds(model))
    return CalibratedClassifierCV(frozen, method=method).fit(X_valid, y_valid)


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """Mean |observed churn rate − mean predicted probability| over equal-width bins,
    weighted by the share of customers in each bin."""
    y = np.asarray(y, dtype="float64")
    p = np.asarray(p, dtype="float64")
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    observed = np.bincount(bins, weights=y, minlength=n_bins)
    predicted = np.bincount(bins, weights=p, minlength=n_bins)
    filled = counts > 0
    gaps = np.abs(observed[filled] - predicted[filled])  # = count × |rate − mean prediction|
    return float(gaps.sum() / len(y))


def reliability_frame(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Reliability diagram data: per equal-width bin, mean prediction and observed rate."""
    y = np.asarray(y, dtype="float64")
    p = np.asarray(p, dtype="float64")
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    frame = pd.DataFrame({"bin": bins, "p": p, "y": y}).groupby("bin")
    out = frame.agg(mean_predicted=("p", "mean"), observed_rate=("y", "mean"), n=("y", "size"))
    return out.reset_index(drop=True)


def crossfit_scores(model, X_valid, y_valid, method: str, seed: int) -> np.ndarray:
    """Calibrated validation scores where each customer's map was fitted on the other half."""
    y_valid = np.asarray(y_valid)
    out = np.empty(len(y_valid), dtype="float64")
    folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    for fit_rows, score_rows in folds.split(np.zeros(len(y_valid)), y_valid):
        part = X_valid.iloc if hasattr(X_valid, "iloc") else X_valid
        calibrated = calibrate(model, part[fit_rows], y_valid[fit_rows], method)
        out[score_rows] = calibrated.predict_proba(part[score_rows])[:, 1]
    return out


def calibration_report(
    y: np.ndarray, before: np.ndarray, after: np.ndarray, crossfit: np.ndarray | None, bins: int
) -> dict:
    """Brier and ECE of the validation scores before and after calibration."""
    report = {
        "brier_before": brier_score_loss(y, before),
        "brier_after": brier_score_loss(y, after),
        "ece_before": expected_calibration_error(y, before, bins),
        "ece_after": expected_calibration_error(y, after, bins),
    }
    if crossfit is not None:
        report["brier_after_crossfit"] = brier_score_loss(y, crossfit)
        report["ece_after_crossfit"] = expected_calibration_error(y, crossfit, bins)
    return {k: round(float(v), 6) for k, v in report.items()}
