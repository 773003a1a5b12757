"""The featurizer: a scikit-learn pipeline built from params, fitted on train only.

``build_featurizer`` returns ``Pipeline([ratios, ColumnTransformer])`` with pandas output:
ratio features first, then per column group imputation with missing indicators, log1p for
skewed amounts, scaling, one-hot and ordinal encoding, date parts and elapsed days, and
TF-IDF on the ticket text. The same fitted object serves training, batch scoring and the API.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from churnlab.errors import UserError
from churnlab.params import FeaturizeParams

NON_FEATURES = ("customer_key", "churned")
log = logging.getLogger(__name__)


class RatioFeatures(TransformerMixin, BaseEstimator):
    """Append ``name = numerator / denominator`` columns; a zero denominator gives NaN."""

    def __init__(self, ratios: dict[str, tuple[str, str]] | None = None):
        self.ratios = ratios

    def fit(self, X: pd.DataFrame, y=None):
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self)
        out = X.copy()
        for name, (numerator, denominator) in (self.ratios or {}).items():
            den = pd.to_numeric(out[denominator], errors="coerce").astype("float64")
            num = pd.to_numeric(out[numerator], errors="coerce").astype("float64")
            out[name] = num / den.where(den != 0)
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray([*self.feature_names_in_, *(self.ratios or {})], dtype=object)


class Log1p(TransformerMixin, BaseEstimator):
    """log(1 + max(x, 0)) for skewed non-negative amounts (negatives are data errors)."""

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def transform(self, X):
        return np.log1p(np.clip(np.asarray(X, dtype="float64"), 0.0, None))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        if input_features is not None:
            return np.asarray(input_features, dtype=object)
        return self.feature_names_in_


class DateParts(TransformerMixin, BaseEstimator):
    """Year, quarter, month, day of week and days elapsed until ``reference`` per date column."""

    PARTS = ("year", "quarter", "month", "dayofweek", "days_before_snapshot")

    def __init__(self, reference: dt.date | None = None):
        self.reference = reference

    def fit(self, X: pd.DataFrame, y=None):
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self)
        reference = pd.Timestamp(self.reference)
        columns = []
        for name in self.feature_names_in_:
            when = pd.to_datetime(X[name], errors="coerce")
            columns += [
                when.dt.year,
                when.dt.quarter,
                when.dt.month,
                when.dt.day_of_week,
                (reference - when).dt.total_seconds() / 86_400.0,
            ]
        return np.column_stack([c.to_numpy(dtype="float64", na_value=np.nan) for c in columns])

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(
            [f"{c}_{p}" for c in self.feature_names_in_ for p in self.PARTS], dtype=object
        )


class DenseTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF on one text column, returned dense so it fits a pandas-output pipeline."""

    def __init__(self, max_features: int = 100, ngram_max: int = 2, min_df: int = 5):
        self.max_features = max_features
        self.ngram_max = ngram_max
        self.min_df = min_df

    def _text(self, X) -> pd.Series:
        column = X.iloc[:, 0] if hasattr(X, "iloc") else pd.Series(np.asarray(X)[:, 0])
        return column.fillna("").astype(str)

    def fit(self, X, y=None):
        self.vectorizer_ = TfidfVectorizer(
            max_features=self.max_features,
            min_df=self.min_df,
            ngram_range=(1, self.ngram_max),
            dtype=np.float32,
            sublinear_tf=True,
        )
        try:
            self.vectorizer_.fit(self._text(X))
        except ValueError as exc:  # empty vocabulary: no ticket text in train
            raise UserError(
                f"featurize: TF-IDF found no usable ticket text ({exc}); "
                "set featurize.text.enabled: false"
            ) from None
        # The cut-off vocabulary is a set whose order follows the per-process string hash;
        # scikit-learn documents it as safe to drop, and dropping it keeps the file stable.
        self.vectorizer_.stop_words_ = None
        self._forget_address()
        self.n_features_in_ = 1
        return self

    def _forget_address(self) -> None:
        # scikit-learn caches a memory address to skip a stop-word re-check; it would make
        # every saved file differ between runs, so it is dropped after each use.
        self.vectorizer_.__dict__.pop("_stop_words_id", None)

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self)
        matrix = self.vectorizer_.transform(self._text(X)).toarray()
        self._forget_address()
        return matrix

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        words = self.vectorizer_.get_feature_names_out()
        return np.asarray([w.replace(" ", "_") for w in words], dtype=object)


def _params_for(frame: pd.DataFrame, p: FeaturizeParams, schema: dict | None) -> FeaturizeParams:
    """Featurize params restricted to the columns a user table has.

    The featurize section names synthetic columns. For user data (a schema whose source is
    not synthetic) named columns the table lacks are skipped with a logged note; for the
    synthetic source they stay errors, which catches typos in params.yaml.
    """
    if not schema or schema.get("source", "synthetic") == "synthetic":
        return p
    has = set(frame.columns)
    skipped = sorted(
        ({*p.log_columns, *p.ordinal, *p.date_columns} - has)
        | {name for name, pair in p.ratios.items() if not set(pair) <= has}
    )
    if skipped:
        log.info("featurize: skipping params for columns this data lacks: %s", skipped)
    return p.model_copy(
        update={
            "log_columns": [c for c in p.log_columns if c in has],
            "ordinal": {c: o for c, o in p.ordinal.items() if c in has},
            "date_columns": [c for c in p.date_columns if c in has],
            "ratios": {n: pair for n, pair in p.ratios.items() if set(pair) <= has},
        }
    )


def ordinal_orders(p: FeaturizeParams, schema: dict | None) -> dict[str, list[str]]:
    orders = dict(p.ordinal)
    for column, entry in ((schema or {}).get("columns") or {}).items():
        if entry.get("type") == "ordinal":
            orders.setdefault(column, list(entry["order"]))
    return orders


def column_groups(
    frame: pd.DataFrame, p: FeaturizeParams, schema: dict | None = None
) -> dict[str, list[str]]:
    """Assign each input column to one transformer group: params, then schema, then dtype."""
    p = _params_for(frame, p, schema)
    columns = [c for c in frame.columns if c not in NON_FEATURES]
    typed = {c: e["type"] for c, e in ((schema or {}).get("columns") or {}).items() if c in columns}
    orders = ordinal_orders(p, schema)
    declared = set(p.log_columns) | set(orders) | set(p.date_columns)
    for name in sorted(declared | {c for pair in p.ratios.values() for c in pair}):
        if name not in frame:
            raise UserError(
                f"params.yaml: featurize names column {name!r}, which the prepared "
                f"data lacks; available: {columns}"
            )
    ratio_names = list(p.ratios)
    text_columns = [c for c in columns if typed.get(c) == "text" and c not in declared]
    if "ticket_text" in frame and "ticket_text" not in typed:
        text_columns.append("ticket_text")
    text = text_columns if p.text.enabled else []
    dates = [c for c in columns if c in p.date_columns or (typed.get(c) == "datetime")]
    declared |= set(dates)
    rest = [c for c in columns if c not in declared and c not in text_columns]
    numeric = [c for c in rest if pd.api.types.is_numeric_dtype(frame[c])] + ratio_names
    categorical = [
        c
        for c in rest
        if not pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_datetime64_any_dtype(frame[c])
    ]
    return {
        "numeric": numeric,
        "log": list(p.log_columns),
        "ordinal": list(orders),
        "categorical": categorical,
        "date": dates,
        "text": text,
    }


def _numeric_steps(scale: bool, log: bool = False) -> Pipeline:
    steps = [
        ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True))
    ]
    if log:
        steps.append(("log1p", Log1p()))
    if scale:
        steps.append(("scale", StandardScaler()))
    return Pipeline(steps)


def build_featurizer(
    frame: pd.DataFrame, p: FeaturizeParams, snapshot: dt.date, schema: dict | None = None
) -> Pipeline:
    """An unfitted featurizer for frames shaped like ``frame`` (a prepared customer table)."""
    groups = column_groups(frame, p, schema)
    orders = ordinal_orders(p, schema)
    p = _params_for(frame, p, schema)
    transformers = [
        ("num", _numeric_steps(p.scale), groups["numeric"]),
        ("log", _numeric_steps(p.scale, log=True), groups["log"]),
        (
            "ord",
            Pipeline(
                [
                    ("impute", SimpleImputer(strategy="most_frequent")),
                    (
                        "encode",
                        OrdinalEncoder(
                            categories=[orders[c] for c in groups["ordinal"]],
                            handle_unknown="use_encoded_value",
                            unknown_value=-1,
                        ),
                    ),
                ]
            ),
            groups["ordinal"],
        ),
        (
            "cat",
            Pipeline(
                [
                    ("impute", SimpleImputer(strategy="constant", fill_value="Unknown")),
                    (
                        "onehot",
                        OneHotEncoder(
                            handle_unknown="infrequent_if_exist",
                            sparse_output=False,
                            min_frequency=p.onehot_min_frequency,
                        ),
                    ),
                ]
            ),
            groups["categorical"],
        ),
        (
            "date",
            Pipeline(
                [
                    ("parts", DateParts(reference=snapshot)),
                    ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                ]
            ),
            groups["date"],
        ),
        ("text", DenseTfidf(p.text.max_features, p.text.ngram_max, p.text.min_df), groups["text"]),
    ]
    transformers = [t for t in transformers if t[2]]
    columns = ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=True)
    pipeline = Pipeline([("ratios", RatioFeatures(dict(p.ratios))), ("columns", columns)])
    return pipeline.set_output(transform="pandas")


def feature_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The model inputs of a prepared table: everything but the key and the label."""
    return frame.drop(columns=[c for c in NON_FEATURES if c in frame])
