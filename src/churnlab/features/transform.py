"""Feature family ``transforms``: log1p / Yeo-Johnson for skewed columns, scaling, binning.

Skewed columns are chosen on the train split (absolute skewness above ``skew_threshold``;
0/1 columns such as missingness indicators are never transformed) or listed by name in
``featurize.log_columns``. Scaling is standard, min-max or robust. Binning adds a quantile or
uniform bin number for named columns (age groups, tenure bands) beside the column itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    KBinsDiscretizer,
    MinMaxScaler,
    PowerTransformer,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from churnlab.config.params import TransformParams
from churnlab.features.outliers import signed_log1p


class Log1p(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """log(1 + max(x, 0)) for skewed non-negative amounts (negatives are data errors)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing stays missing
        return tags

    def fit(self, X, y=None):
        validate_data(self, X, ensure_all_finite="allow-nan")
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype="float64", ensure_all_finite="allow-nan", reset=False)
        return np.log1p(np.clip(X, 0.0, None))


class SkewTransform(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Signed log1p or Yeo-Johnson on the columns whose train skewness exceeds ``threshold``."""

    def __init__(self, method: str = "log1p", threshold: float = 2.0):
        self.method = method
        self.threshold = threshold

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing stays missing
        return tags

    def fit(self, X, y=None):
        validate_data(self, X, ensure_all_finite="allow-nan")
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=float))
        values = frame.astype("float64")
        binary = values.isin([0.0, 1.0]).all().to_numpy()
        skew = values.skew().fillna(0.0).to_numpy()
        self.skewness_ = np.round(skew, 6)
        self.skewed_ = (np.abs(skew) > self.threshold) & ~binary
        self.power_ = None
        if self.method == "yeo-johnson" and self.skewed_.any():
            chosen = values.to_numpy()[:, self.skewed_]
            self.power_ = PowerTransformer(method="yeo-johnson", standardize=False).fit(chosen)
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype="float64", ensure_all_finite="allow-nan", reset=False)
        return self.apply(X)

    def apply(self, values: np.ndarray) -> np.ndarray:
        """:meth:`transform` on a float matrix (also the serving fast path's entry)."""
        out = values.copy()
        if not self.skewed_.any() or self.method == "none":
            return out
        if self.method == "yeo-johnson":
            out[:, self.skewed_] = self.power_.transform(out[:, self.skewed_])
        else:
            out[:, self.skewed_] = signed_log1p(out[:, self.skewed_])
        return out


SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}


def scaler(p: TransformParams, scale: bool) -> BaseEstimator | None:
    """The scaler the params name, or None when scaling (or the family) is off."""
    return SCALERS[p.scaler]() if scale and p.enabled else None


def binning(p: TransformParams, columns: list[str], seed: int) -> Pipeline:
    """Bin numbers (0, 1, ...) of ``columns``; missing values fall in the median's bin."""
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            (
                "bins",
                KBinsDiscretizer(
                    n_bins=[p.bins[c] for c in columns],
                    encode="ordinal",
                    strategy=p.bin_strategy,
                    quantile_method="averaged_inverted_cdf",
                    random_state=seed,
                ),
            ),
        ]
    )
