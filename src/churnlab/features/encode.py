"""Feature family ``encoding``: one-hot with rare categories grouped, ordinal, target encoding.

Which encoder a categorical column gets is decided by its number of distinct values in the
train split: below ``encoding.target_min_cardinality`` one-hot (categories rarer than
``onehot_min_frequency`` grouped into ``infrequent_sklearn``), at or above it scikit-learn's
cross-fitted ``TargetEncoder``. Ordered categories (``featurize.ordinal`` or the schema) get
their rank. With the family off every category column gets an arbitrary integer code, the
minimum a model needs.
"""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, TargetEncoder

from churnlab.config.params import FeaturizeParams
from churnlab.features.impute import categorical_imputer


def by_cardinality(frame: pd.DataFrame, columns: list[str], p: FeaturizeParams) -> dict:
    """Split categorical columns into ``onehot`` and ``target`` by train cardinality."""
    limit = p.encoding.target_min_cardinality
    target = [c for c in columns if frame[c].nunique(dropna=True) >= limit]
    return {"onehot": [c for c in columns if c not in target], "target": target}


def onehot(p: FeaturizeParams) -> Pipeline:
    return Pipeline(
        [
            ("impute", categorical_imputer(p.missing)),
            (
                "onehot",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    sparse_output=False,
                    min_frequency=p.onehot_min_frequency,
                ),
            ),
        ]
    )


def ordinal(p: FeaturizeParams, orders: list[list[str]]) -> Pipeline:
    return Pipeline(
        [
            ("impute", categorical_imputer(p.missing)),
            (
                "encode",
                OrdinalEncoder(
                    categories=orders, handle_unknown="use_encoded_value", unknown_value=-1
                ),
            ),
        ]
    )


def target(p: FeaturizeParams) -> Pipeline:
    """Cross-fitted target encoding: ``fit_transform`` on train encodes each row out of fold."""
    folds = StratifiedKFold(n_splits=p.encoding.target_cv, shuffle=True, random_state=p.seed)
    return Pipeline(
        [
            ("impute", categorical_imputer(p.missing)),
            ("target", TargetEncoder(target_type="binary", cv=folds)),
        ]
    )


def codes(p: FeaturizeParams) -> Pipeline:
    """Encoding family off: one arbitrary integer per category (unknown: -1)."""
    return Pipeline(
        [
            ("impute", categorical_imputer(p.missing)),
            ("encode", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)),
        ]
    )
