"""Feature family ``outliers``: detection bounds learned on train, treatment, flags.

``OutlierBounds`` learns per column a lower and an upper bound on the train split, by the IQR
rule (``q1 - k·IQR``, ``q3 + k·IQR``), the z-score (``mean ± z·sd``) or quantiles
(winsorising). It then caps values at the bounds (``treat: clip``) or applies a signed log1p
to the columns that had outliers in train (``treat: log``), and can add an ``outlier_<column>``
0/1 flag. A column whose spread is zero (mostly-zero counts under the IQR rule) gets no
bounds, so a rare non-zero count is never mistaken for an error. ``UnusualRow`` wraps an
Isolation Forest into an ``is_unusual`` flag and an ``unusual_score`` feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import IsolationForest
from sklearn.utils.validation import check_is_fitted, validate_data


def signed_log1p(values: np.ndarray) -> np.ndarray:
    return np.sign(values) * np.log1p(np.abs(values))


def _as_frame(X) -> pd.DataFrame:
    return X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype="float64"))


class OutlierBounds(TransformerMixin, BaseEstimator):
    """Learn outlier bounds per column on train; clip, log-transform and/or flag."""

    def __init__(
        self,
        method: str = "quantile",
        treat: str = "clip",
        flags: bool = False,
        iqr_k: float = 3.0,
        z_max: float = 4.0,
        quantiles: tuple[float, float] = (0.001, 0.999),
    ):
        self.method = method
        self.treat = treat
        self.flags = flags
        self.iqr_k = iqr_k
        self.z_max = z_max
        self.quantiles = quantiles

    def _bounds(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(all="ignore"):
            if self.method == "iqr":
                q1, q3 = np.nanquantile(values, [0.25, 0.75], axis=0)
                spread = q3 - q1
                low, high = q1 - self.iqr_k * spread, q3 + self.iqr_k * spread
            elif self.method == "zscore":
                mean, spread = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
                low, high = mean - self.z_max * spread, mean + self.z_max * spread
            else:
                low, high = np.nanquantile(values, list(self.quantiles), axis=0)
                spread = high - low
        none = ~np.isfinite(spread) | (spread <= 0)
        return np.where(none, -np.inf, low), np.where(none, np.inf, high)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are neither bounded nor flagged
        return tags

    def fit(self, X, y=None):
        # Infinite values are accepted (capped where the column has a finite bound), as before.
        validate_data(self, X, ensure_all_finite=False)
        values = _as_frame(X).to_numpy(dtype="float64", na_value=np.nan)
        self.lower_, self.upper_ = self._bounds(values)
        outside = (values < self.lower_) | (values > self.upper_)
        self.n_outliers_ = outside.sum(axis=0).astype("int64")
        return self

    def _flagged(self) -> np.ndarray:
        return np.isfinite(self.lower_) | np.isfinite(self.upper_)

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self)
        validate_data(self, X, ensure_all_finite=False, reset=False)
        return self.apply(_as_frame(X).to_numpy(dtype="float64", na_value=np.nan))

    def apply(self, values: np.ndarray) -> np.ndarray:
        """:meth:`transform` on a float matrix (also the serving fast path's entry)."""
        outside = (values < self.lower_) | (values > self.upper_)
        if self.treat == "clip":
            out = np.clip(values, self.lower_, self.upper_)
        elif self.treat == "log":
            had = self.n_outliers_ > 0
            out = values.copy()
            out[:, had] = signed_log1p(values[:, had])
        else:
            out = values
        if self.flags:
            out = np.hstack([out, outside[:, self._flagged()].astype("float64")])
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self)
        names = list(self.feature_names_in_)
        if self.flags:
            flagged = self.feature_names_in_[self._flagged()]
            names += [f"outlier_{n}" for n in flagged]
        return np.asarray(names, dtype=object)


class UnusualRow(TransformerMixin, BaseEstimator):
    """Isolation Forest on complete numeric inputs: ``is_unusual`` (0/1) and its score."""

    def __init__(self, n_estimators: int = 100, random_state: int = 0):
        self.n_estimators = n_estimators
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # as the Isolation Forest
        return tags

    def fit(self, X, y=None):
        validate_data(self, X, ensure_all_finite=False)
        values = np.asarray(X, dtype="float64")
        self.forest_ = IsolationForest(
            n_estimators=self.n_estimators, random_state=self.random_state, n_jobs=1
        ).fit(values)
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self)
        validate_data(self, X, ensure_all_finite=False, reset=False)
        values = np.asarray(X, dtype="float64")
        score = self.forest_.decision_function(values)  # negative: unusual
        return np.column_stack([(score < 0).astype("float64"), -score])

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(["is_unusual", "unusual_score"], dtype=object)
