"""Feature family ``construct``: ratios, products and degree-2 polynomial terms.

Ratios (``featurize.ratios``: spend per login, tickets per tenure day, ...) and products
(``featurize.construct.products``) are appended to the customer table before the column
transformers, so they are imputed, transformed and scaled like any numeric column. Polynomial
terms (squares and pairwise products of ``featurize.construct.polynomial``) are built from the
imputed, standardised columns. Windowed aggregates and trends of the event tables (30/90-day
logins and spend, their trends, recency, ticket counts) are built by the prepare stage's
point-in-time SQL (``churnlab.snapshot``) and arrive here as ordinary columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.utils.validation import check_is_fitted


def _number(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


class RatioFeatures(TransformerMixin, BaseEstimator):
    """Append ``name = numerator / denominator`` (zero denominator: NaN) and products."""

    def __init__(
        self,
        ratios: dict[str, tuple[str, str]] | None = None,
        products: dict[str, tuple[str, str]] | None = None,
    ):
        self.ratios = ratios
        self.products = products

    def fit(self, X: pd.DataFrame, y=None):
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self)
        out = X.copy()
        for name, (numerator, denominator) in (self.ratios or {}).items():
            den = _number(out, denominator)
            out[name] = _number(out, numerator) / den.where(den != 0)
        for name, (left, right) in (self.products or {}).items():
            out[name] = _number(out, left) * _number(out, right)
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        added = [*(self.ratios or {}), *(self.products or {})]
        return np.asarray([*self.feature_names_in_, *added], dtype=object)


class Polynomial2(PolynomialFeatures):
    """Degree-2 terms only (the columns themselves are already features), readable names."""

    def __init__(self):
        super().__init__(degree=(2, 2), include_bias=False)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        names = super().get_feature_names_out(input_features)
        return np.asarray(
            [str(n).replace("^2", "_sq").replace(" ", "_x_") for n in names], dtype=object
        )


def polynomial() -> Pipeline:
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("poly", Polynomial2()),
        ]
    )
