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

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self)
        when = [pd.to_datetime(X[name], errors="coerce") for name in self.feature_names_in_]
        return self.apply(np.column_stack([w.to_numpy() for w in when]))

    def apply(self, when: np.ndarray) -> np.ndarray:
        """:meth:`transform` on a ``datetime64`` matrix, one column per date column, NaT when
        missing (also the serving fast path's entry)."""
        reference = np.datetime64(pd.Timestamp(self.reference).to_datetime64())
        months = when.astype("datetime64[M]").astype("int64")
        days = when.astype("datetime64[D]").astype("int64")
        fields = {
            "year": months // 12 + 1970,
            "quarter": (months % 12) // 3 + 1,
            "month": months % 12 + 1,
            "dayofweek": (days + 3) % 7,  # 1970-01-01 was a Thursday; Monday = 0 as in pandas
            # Seconds first, then days, as pandas' total_seconds() / 86_400 (the same bits).
            "days_before_snapshot": (reference - when) / np.timedelta64(1, "s") / 86_400.0,
        }
        missing = np.isnat(when)
        columns = [
            np.where(missing[:, j], np.nan, fields[part][:, j].astype("float64"))
            for j in range(when.shape[1])
            for part in self._parts()
        ]
        return np.column_stack(columns)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(
            [f"{c}_{p}" for c in self.feature_names_in_ for p in self._parts()], dtype=object
        )
