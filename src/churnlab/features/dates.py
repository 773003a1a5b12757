"""Feature family ``dates``: calendar parts and days elapsed before the snapshot.

Elapsed days since the last activity (``days_since_last_login``) and the windowed event
aggregates come from the prepare stage's point-in-time SQL (``churnlab.data.snapshot``); this module
turns each date column of the prepared table into year, quarter, month, day of week and the
days between the date and the snapshot (for ``signup_date``: the tenure in days).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted


class DateParts(TransformerMixin, BaseEstimator):
    """Year, quarter, month, day of week and days elapsed until ``reference`` per date column."""

    PARTS = ("year", "quarter", "month", "dayofweek", "days_before_snapshot")

    def __init__(self, reference: dt.date | None = None, parts: tuple[str, ...] | None = None):
        self.reference = reference
        self.parts = parts

    def _parts(self) -> tuple[str, ...]:
        return tuple(self.parts) if self.parts else self.PARTS

    def fit(self, X: pd.DataFrame, y=None):
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def _part(self, when: pd.Series, part: str) -> pd.Series:
        if part == "days_before_snapshot":
            return (pd.Timestamp(self.reference) - when).dt.total_seconds() / 86_400.0
        return getattr(when.dt, "day_of_week" if part == "dayofweek" else part)

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self)
        columns = []
        for name in self.feature_names_in_:
            when = pd.to_datetime(X[name], errors="coerce")
            columns += [self._part(when, part) for part in self._parts()]
        return np.column_stack([c.to_numpy(dtype="float64", na_value=np.nan) for c in columns])

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(
            [f"{c}_{p}" for c in self.feature_names_in_ for p in self._parts()], dtype=object
        )
