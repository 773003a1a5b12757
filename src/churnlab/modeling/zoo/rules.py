"""Today's business rules as a baseline model (``train.model: rules``).

It reads the prepared customer columns, not the featurizer's matrix. Explained per signal: the
log-odds gained over "no signal" is shared equally among the signals a customer triggers.
The argument defaults are those of ``train.rules`` (``RulesParams``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from churnlab.config.models import RulesParams, TrainParams
from churnlab.modeling.calibration import log_odds
from churnlab.modeling.spec import Contributions, ModelSpec, no_importance, qualified

_DEFAULT = RulesParams()


class RuleBasedModel(ClassifierMixin, BaseEstimator):
    """Today's business rules as a baseline: points for each risk signal, probability = share.

    Signals: month-to-month contract, no login for ``recency_days``, satisfaction at or below
    ``min_satisfaction``, tenure under ``max_tenure_days``, a failed payment, a recent ticket.
    Each point level's probability is the churn rate seen at that level in training.
    """

    def __init__(
        self,
        recency_days: float = _DEFAULT.recency_days,
        min_satisfaction: float = _DEFAULT.min_satisfaction,
        max_tenure_days: float = _DEFAULT.max_tenure_days,
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


def make(p: TrainParams, y: np.ndarray) -> RuleBasedModel:
    return RuleBasedModel(**p.rules.model_dump())


def contributions(model: RuleBasedModel, X: pd.DataFrame) -> Contributions:
    signals = model.signals(X)
    points = signals.sum(axis=1).to_numpy()
    margin = log_odds(model.rate_by_points_[np.clip(points, 0, 6)])
    base = np.full(len(X), float(log_odds(model.rate_by_points_[:1])[0]))
    share = np.divide(margin - base, points, out=np.zeros(len(X)), where=points > 0)
    return signals.astype("float64").mul(share, axis=0), base


SPECS = (
    ModelSpec(
        name="rules",
        params=RulesParams,
        make=make,
        estimator=RuleBasedModel,
        uses_features=False,
        complexity=0,
        importance=no_importance,
        contributions=contributions,
        trusted_types=(qualified(RuleBasedModel),),
    ),
)
