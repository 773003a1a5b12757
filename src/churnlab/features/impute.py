"""Feature family ``missing``: imputation per column group, indicators, sparse rows/columns.

Numeric groups are imputed with the mean, median, most frequent value, a constant (0), the
K nearest neighbours or iteratively (MICE-style, each column regressed on the others);
categories with the most frequent value or the constant ``"Unknown"``. Missingness indicators
are added as features. Columns missing in more than ``max_column_missing_share`` of the
train rows are dropped from the featurizer, and train rows missing more than
``max_row_missing_share`` of their columns are left out of the fit; both are reported.
"""

from __future__ import annotations

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (registers the class)
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

from churnlab.config.params import MissingParams

UNKNOWN = "Unknown"


def numeric_imputer(p: MissingParams, seed: int) -> BaseEstimator:
    """The numeric imputer ``p`` names; with the family off, median without indicators."""
    indicators = p.indicators and p.enabled
    strategy = p.numeric if p.enabled else "median"
    if strategy == "knn":
        return KNNImputer(
            n_neighbors=p.knn_neighbors, add_indicator=indicators, keep_empty_features=True
        )
    if strategy == "iterative":
        return IterativeImputer(
            max_iter=p.iterative_max_iter,
            random_state=seed,
            add_indicator=indicators,
            # keep_empty_features=True writes into the (read-only, copy-on-write) input in
            # scikit-learn 1.9; a column empty in train is dropped instead.
            keep_empty_features=False,
        )
    return SimpleImputer(
        strategy=strategy,
        fill_value=0.0 if strategy == "constant" else None,
        add_indicator=indicators,
        keep_empty_features=True,
    )


def categorical_imputer(p: MissingParams) -> SimpleImputer:
    if p.enabled and p.categorical == "most_frequent":
        return SimpleImputer(strategy="most_frequent", keep_empty_features=True)
    return SimpleImputer(strategy="constant", fill_value=UNKNOWN, keep_empty_features=True)


def missing_shares(frame: pd.DataFrame) -> pd.Series:
    """Share of missing values per column."""
    return frame.isna().mean()


def sparse_columns(frame: pd.DataFrame, p: MissingParams, keep: set[str]) -> dict[str, float]:
    """Columns missing in more than the allowed share of train rows: ``{column: share}``.

    Text columns (``keep``) are never dropped: an empty ticket text means "no ticket".
    """
    if not p.enabled:
        return {}
    shares = missing_shares(frame.drop(columns=[c for c in keep if c in frame]))
    return {c: round(float(s), 6) for c, s in shares.items() if s > p.max_column_missing_share}


def sparse_rows(frame: pd.DataFrame, p: MissingParams) -> pd.Series:
    """True for rows missing more than ``max_row_missing_share`` of their columns."""
    if not p.enabled or frame.shape[1] == 0:
        return pd.Series(False, index=frame.index)
    return frame.isna().mean(axis=1) > p.max_row_missing_share
