"""Feature family ``construct``: ratios, products and degree-2 polynomial terms.

Ratios (``featurize.ratios``: spend per login, tickets per tenure day, ...) and products
(``featurize.construct.products``) are appended to the customer table before the column
transformers, so they are imputed, transformed and scaled like any numeric column. Polynomial
terms (squares and pairwise products of ``featurize.construct.polynomial``) are built from the
imputed, standardised columns. Windowed aggregates and trends of the event tables (30/90-day
logins and spend, their trends, recency, ticket counts) are built by the prepare stage's
point-in-time SQL (``churnlab.data.snapshot``) and arrive here as ordinary columns.
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
    """Append ratios (zero denominator: NaN), products and ratios to a group's train median.

    ``group_ratios`` ``{name: [column, group]}``: the column over its train median within the
    customer's group (e.g. the fee relative to the usual fee of the plan); a group unseen in
    train uses the overall train median.
    """

    def __init__(
        self,
        ratios: dict[str, tuple[str, str]] | None = None,
        products: dict[str, tuple[str, str]] | None = None,
        group_ratios: dict[str, tuple[str, str]] | None = None,
    ):
        self.ratios = ratios
        self.products = products
        self.group_ratios = group_ratios

    def fit(self, X: pd.DataFrame, y=None):
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.group_medians_ = {}
        for name, (column, group) in sorted((self.group_ratios or {}).items()):
            values = _number(X, column)
            medians = values.groupby(X[group].astype("string"), dropna=True).median().dropna()
            overall = values.median()
            self.group_medians_[name] = {
                "groups": [str(g) for g in medians.index],
                "medians": [float(m) for m in medians],
                "overall": float(overall) if pd.notna(overall) else 1.0,
            }
        return self

    def _group_ratio(self, X: pd.DataFrame, name: str, column: str, group: str) -> pd.Series:
        learned = self.group_medians_[name]
        lookup = dict(zip(learned["groups"], learned["medians"], strict=True))
        median = X[group].astype("string").map(lookup).astype("float64")
        median = median.fillna(learned["overall"])
        return _number(X, column) / median.where(median != 0)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self)
        out = X.copy()
        for name, (numerator, denominator) in (self.ratios or {}).items():
            den = _number(out, denominator)
            out[name] = _number(out, numerator) / den.where(den != 0)
        for name, (left, right) in (self.products or {}).items():
            out[name] = _number(out, left) * _number(out, right)
        for name, (column, group) in (self.group_ratios or {}).items():
            out[name] = self._group_ratio(X, name, column, group)
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        added = [*(self.ratios or {}), *(self.products or {}), *(self.group_ratios or {})]
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
