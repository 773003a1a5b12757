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


def as_float(values: np.ndarray) -> np.ndarray:
    """``values`` as float64 (no copy when they already are); missing values become NaN."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        return values.astype("float64", copy=False)
    out = np.full(values.shape, np.nan)
    present = ~np.asarray(pd.isna(values), dtype=bool)
    out[present] = values[present].astype("float64")
    return out


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, NaN where the denominator is 0."""
    nonzero = denominator != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(nonzero, numerator / np.where(nonzero, denominator, 1.0), np.nan)


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

    def _group_median(self, name: str, groups: np.ndarray) -> np.ndarray:
        """Each row's train median of its group (the overall median for an unseen group)."""
        learned = self.group_medians_[name]
        lookup = dict(zip(learned["groups"], learned["medians"], strict=True))
        groups = np.asarray(groups, dtype=object)
        keys = np.where(pd.isna(groups), None, groups.astype(str))  # as fitted: text groups
        median = np.array([lookup.get(k, np.nan) for k in keys.tolist()], dtype="float64")
        return np.where(np.isnan(median), learned["overall"], median)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self)
        pairs = [*(self.ratios or {}).values(), *(self.products or {}).values()]
        groups = (self.group_ratios or {}).values()
        numbers = {c for pair in pairs for c in pair} | {column for column, _ in groups}
        columns = {c: _number(X, c).to_numpy() for c in numbers if c in X}
        columns.update({group: X[group].to_numpy() for _, group in groups})
        out = X.copy()
        for name, values in self.apply(columns).items():
            out[name] = values
        return out

    def apply(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The appended columns from the input columns as arrays, numbers as floats or objects
        (also the serving fast path's entry). A ratio or product may read one added before."""
        data = dict(columns)
        for name, (numerator, denominator) in (self.ratios or {}).items():
            data[name] = _ratio(as_float(data[numerator]), as_float(data[denominator]))
        for name, (left, right) in (self.products or {}).items():
            data[name] = as_float(data[left]) * as_float(data[right])
        for name, (column, group) in (self.group_ratios or {}).items():
            median = self._group_median(name, data[group])
            data[name] = as_float(data[column]) / np.where(median != 0, median, np.nan)
        return {name: data[name] for name in self._added()}

    def _added(self) -> list[str]:
        return [*(self.ratios or {}), *(self.products or {}), *(self.group_ratios or {})]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray([*self.feature_names_in_, *self._added()], dtype=object)


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
