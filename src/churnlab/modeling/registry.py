"""The model registry: name → how to build, fit and inspect a churn classifier.

Adding a model is one entry in ``REGISTRY``. Every model follows scikit-learn's classifier API
(``fit`` / ``predict_proba``); ``uses_features`` says whether it takes the featurizer's matrix
or the prepared customer columns directly (the rule-based baseline reads raw columns);
``complexity`` orders the models from simplest to most complex, which breaks leaderboard ties.
The factories beyond the first three live in :mod:`churnlab.modeling.zoo_factories`, their wrappers
in :mod:`churnlab.modeling.zoo`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from churnlab.config.params import TrainParams
from churnlab.errors import UserError
from churnlab.modeling import zoo
from churnlab.modeling import zoo_factories as zf
from churnlab.modeling.calibration import LogOdds


class RuleBasedModel(ClassifierMixin, BaseEstimator):
    """Today's business rules as a baseline: points for each risk signal, probability = share.

    Signals: month-to-month contract, no login for ``recency_days``, satisfaction at or below
    ``min_satisfaction``, tenure under ``max_tenure_days``, a failed payment, a recent ticket.
    Each point level's probability is the churn rate seen at that level in training.
    """

    def __init__(
        self,
        recency_days: float = 21.0,
        min_satisfaction: float = 2.0,
        max_tenure_days: float = 180.0,
    ):
        self.recency_days = recency_days
        self.min_satisfaction = min_satisfaction
        self.max_tenure_days = max_tenure_days

    def signals(self, X: pd.DataFrame) -> pd.DataFrame:
        """One boolean column per business rule, named after what it flags."""

        def col(name: str) -> pd.Series:
            if name in X:
                return pd.to_numeric(X[name], errors="coerce")
            return pd.Series(np.nan, index=X.index)

        def windowed(prefix: str) -> pd.Series:
            # Window lengths come from params (e.g. tickets_90d); take whichever is present.
            names = sorted(c for c in X.columns if re.fullmatch(rf"{prefix}_\d+d", str(c)))
            return col(names[-1]) if names else col(prefix)

        contract = X["contract"].astype("str") if "contract" in X else pd.Series("", X.index)
        return (
            pd.DataFrame(
                {
                    "month_to_month_contract": contract == "month-to-month",
                    "no_recent_login": col("days_since_last_login").fillna(np.inf)
                    > self.recency_days,
                    "low_satisfaction": col("satisfaction") <= self.min_satisfaction,
                    "new_customer": col("tenure_days") < self.max_tenure_days,
                    "failed_payment": windowed("failed_payments") > 0,
                    "recent_ticket": windowed("tickets") > 0,
                },
                index=X.index,
            )
            .fillna(False)
            .astype(bool)
        )

    def _points(self, X: pd.DataFrame) -> np.ndarray:
        return self.signals(X).sum(axis=1).to_numpy()

    def fit(self, X: pd.DataFrame, y):
        points = self._points(X)
        y = np.asarray(y, dtype=float)
        self.classes_ = np.array([0, 1])
        prior = y.mean()
        # Smoothed churn rate per point level (levels never seen fall back to the prior).
        self.rate_by_points_ = np.array(
            [(y[points == k].sum() + prior * 10) / ((points == k).sum() + 10) for k in range(7)]
        )
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self)
        p = self.rate_by_points_[np.clip(self._points(X), 0, 6)]
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


_positive_weight = zoo.positive_weight


def _make_xgboost(p: TrainParams, y: np.ndarray):
    # train.xgboost's fields are XGBClassifier arguments (as in churnlab.modeling.zoo_factories).
    return xgb.XGBClassifier(
        **p.xgboost.model_dump(),
        eval_metric=["logloss", "auc"],
        scale_pos_weight=_positive_weight(y, p),
        tree_method="hist",
        random_state=p.seed,
    )


def _make_logreg(p: TrainParams, y: np.ndarray):
    # scikit-learn 1.8+ spells the penalty as l1_ratio (0: L2, 1: L1, between: elastic net).
    lr = p.logreg
    l1_ratio = {"l2": 0.0, "l1": 1.0, "elasticnet": lr.l1_ratio}[lr.penalty]
    return LogisticRegression(
        C=lr.C,
        l1_ratio=l1_ratio,
        solver="lbfgs" if l1_ratio == 0 else "saga",
        max_iter=lr.max_iter,
        random_state=p.seed,
        class_weight=zoo.class_weight(p),
    )


def _make_rules(p: TrainParams, y: np.ndarray):
    r = p.rules
    return RuleBasedModel(r.recency_days, r.min_satisfaction, r.max_tenure_days)


# The train-side learning curve is only a picture; scoring all of a 700k-row train set after
# every round cost 270 of the 412 s the train stage took on 1M customers (measured). A fixed
# subsample draws the same curve. Early stopping reads the last eval set (validation), so
# the fitted model does not depend on this.
TRAIN_CURVE_ROWS = 50_000


def train_curve_sample(X, y, seed: int, rows: int | None = None):
    """At most ``rows`` training rows (a seeded draw, original order) for the train curve."""
    rows = TRAIN_CURVE_ROWS if rows is None else rows
    if len(y) <= rows:
        return X, y
    keep = np.sort(np.random.default_rng(seed).choice(len(y), size=rows, replace=False))
    return X.iloc[keep], y[keep]


def _fit_xgboost(model, X, y, X_valid, y_valid):
    X_curve, y_curve = train_curve_sample(X, y, model.random_state)
    return model.fit(X, y, eval_set=[(X_curve, y_curve), (X_valid, y_valid)], verbose=False)


def _fit_plain(model, X, y, X_valid, y_valid):
    return model.fit(X, y)


def _xgb_importance(model, names) -> pd.Series:
    gain = model.get_booster().get_score(importance_type="total_gain")
    by_index = {
        int(k[1:]) if k.startswith("f") and k[1:].isdigit() else k: v for k, v in gain.items()
    }
    values = [by_index.get(i, by_index.get(n, 0.0)) for i, n in enumerate(names)]
    return pd.Series(values, index=names, name="total_gain")


def _coef_importance(model, names) -> pd.Series:
    return pd.Series(np.abs(model.coef_[0]), index=names, name="abs_coefficient")


def _rules_importance(model, names) -> pd.Series:
    return pd.Series(dtype=float, name="none")


def _sklearn_importance(model, names) -> pd.Series:
    return pd.Series(model.feature_importances_, index=names, name="impurity_decrease")


def _lightgbm_importance(model, names) -> pd.Series:
    gain = model.booster_.feature_importance(importance_type="gain")
    return pd.Series(gain, index=names, name="total_gain")


def _catboost_importance(model, names) -> pd.Series:
    values = model.booster_.get_feature_importance()
    return pd.Series(values, index=names, name="prediction_values_change")


def _svm_importance(model, names) -> pd.Series:
    inner = model.estimator_
    inner = inner.steps[-1][1] if hasattr(inner, "steps") else inner  # after the scaler
    if hasattr(inner, "coef_"):
        return pd.Series(np.abs(inner.coef_[0]), index=names, name="abs_coefficient")
    return pd.Series(dtype=float, name="none")


@dataclass(frozen=True)
class ModelSpec:
    make: Callable[[TrainParams, np.ndarray], BaseEstimator]
    fit: Callable
    importance: Callable[[BaseEstimator, list[str]], pd.Series]
    uses_features: bool = True
    complexity: int = 0  # leaderboard ties go to the lowest


REGISTRY: dict[str, ModelSpec] = {
    "rules": ModelSpec(_make_rules, _fit_plain, _rules_importance, False, 0),
    "logreg": ModelSpec(_make_logreg, _fit_plain, _coef_importance, True, 1),
    "svm_linear": ModelSpec(zf.make_svm_linear, _fit_plain, _svm_importance, True, 2),
    "tree": ModelSpec(zf.make_tree, _fit_plain, _sklearn_importance, True, 3),
    "svm_rbf": ModelSpec(zf.make_svm_rbf, _fit_plain, _svm_importance, True, 4),
    "mlp": ModelSpec(zf.make_mlp, zf.fit_mlp, _rules_importance, True, 5),
    "forest": ModelSpec(zf.make_forest, _fit_plain, _sklearn_importance, True, 6),
    "lightgbm": ModelSpec(zf.make_lightgbm, zf.fit_native, _lightgbm_importance, True, 7),
    "xgboost": ModelSpec(_make_xgboost, _fit_xgboost, _xgb_importance, True, 8),
    "catboost": ModelSpec(zf.make_catboost, zf.fit_native, _catboost_importance, True, 9),
}


def spec_for(name: str, source: str = "train.model") -> ModelSpec:
    """The registry entry, or a UserError naming the key and the known models."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise UserError(f"{source}: unknown model {name!r}; known: {known}") from None


def base_estimator(model):
    """The fitted model inside a calibration wrapper (the model itself when not wrapped)."""
    calibrated = getattr(model, "calibrated_classifiers_", None)
    if calibrated:
        frozen = calibrated[0].estimator  # FrozenEstimator(LogOdds(model))
        inner = getattr(frozen, "estimator", frozen)
        return inner.estimator if isinstance(inner, LogOdds) else inner
    return model
