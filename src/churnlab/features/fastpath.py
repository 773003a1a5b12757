"""A NumPy fast path through a fitted featurizer, for small requests to the API.

scikit-learn's transformers validate, copy and wrap their input on every call; with pandas
output that overhead is milliseconds per transformer, so one customer took 50–75 ms to
featurize (measured, `benchmarks/bench_serving.py`) although the arithmetic is microseconds.
:func:`compile_featurizer` reads the fitted parameters of the steps it knows (imputers,
scalers, encoders) and replays them on plain arrays; the project's own transformers have an
array-level ``apply`` that their ``transform`` calls too, so their arithmetic is written once
and the fast path calls it. A step it
does not know is called through its own ``transform`` on a small DataFrame, so the fast path is
never wrong, only slower for that step. ``tests/test_fastpath.py`` checks bit-equality with
the fitted default featurizer on real rows, missing values and unseen categories; with SVD or
PCA switched on the two agree to float32 rounding (a BLAS product's last bit depends on the
memory it reads, for scikit-learn too).

Input is a mapping ``column -> 1-D array`` (object or float), output a float64 matrix in the
featurizer's ``get_feature_names_out`` order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder, OrdinalEncoder, StandardScaler

from churnlab.features import DateParts, DenseTfidf, Log1p, OutlierBounds, RatioFeatures
from churnlab.features.construct import as_float
from churnlab.features.transform import SkewTransform

Columns = Mapping[str, np.ndarray]
Step = Callable[[np.ndarray], np.ndarray]


def _is_missing(values: np.ndarray) -> np.ndarray:
    return np.asarray(pd.isna(values), dtype=bool)


def _simple_imputer(step: SimpleImputer) -> Step | None:
    stats = step.statistics_
    numeric = stats.dtype.kind == "f"
    if numeric and np.isnan(stats).any() and not step.keep_empty_features:
        return None  # scikit-learn drops such columns; leave that to it
    indicator = step.indicator_.features_ if step.add_indicator else None

    def impute(X: np.ndarray) -> np.ndarray:
        missing = _is_missing(X)
        if numeric:
            X = as_float(X)
            out = np.where(missing, stats, X)
        else:
            out = np.where(missing, stats.astype(object), X.astype(object))
        if indicator is not None:
            out = np.hstack([out, missing[:, indicator].astype(out.dtype)])
        return out

    return impute


def _standard_scaler(step: StandardScaler) -> Step:
    mean = step.mean_ if step.with_mean else 0.0
    scale = step.scale_ if step.with_std else 1.0
    return lambda X: (as_float(X) - mean) / scale


def _lookup(values: np.ndarray, categories: np.ndarray, missing_code: float) -> np.ndarray:
    """Index of each value in ``categories``; -1 when unknown, ``missing_code`` when missing."""
    index = {c: i for i, c in enumerate(categories.tolist())}
    missing = _is_missing(values)
    codes = np.array([index.get(v, -1) for v in values.tolist()], dtype="float64")
    return np.where(missing, missing_code, codes)


def _ordinal_encoder(step: OrdinalEncoder) -> Step | None:
    if step.handle_unknown != "use_encoded_value":
        return None
    unknown = float(step.unknown_value)
    missing_code = float(step.encoded_missing_value)

    def encode(X: np.ndarray) -> np.ndarray:
        columns = []
        for j, categories in enumerate(step.categories_):
            codes = _lookup(X[:, j], categories, missing_code)
            columns.append(np.where(codes == -1, unknown, codes))
        return np.column_stack(columns)

    return encode


def _one_hot_encoder(step: OneHotEncoder) -> Step | None:
    if step.drop_idx_ is not None or step.handle_unknown not in ("ignore", "infrequent_if_exist"):
        return None
    infrequent = getattr(step, "infrequent_categories_", [None] * len(step.categories_))
    # Per input column: output slot of each category (frequent ones in order, then one shared
    # "infrequent" slot) and where unseen values go (the infrequent slot, else nowhere).
    layouts = []
    for categories, rare in zip(step.categories_, infrequent, strict=True):
        rare_set = set() if rare is None else set(rare.tolist())
        frequent = [c for c in categories.tolist() if c not in rare_set]
        width = len(frequent) + (1 if rare_set else 0)
        slots = np.array(
            [len(frequent) if c in rare_set else frequent.index(c) for c in categories.tolist()]
        )
        unseen = len(frequent) if rare_set and step.handle_unknown != "ignore" else -1
        layouts.append((categories, slots, width, unseen))

    def encode(X: np.ndarray) -> np.ndarray:
        blocks = []
        for j, (categories, slots, width, unseen) in enumerate(layouts):
            codes = _lookup(X[:, j], categories, -1).astype(int)
            slot = np.where(codes >= 0, slots[np.maximum(codes, 0)], unseen)
            block = np.zeros((len(X), width))
            rows = np.flatnonzero(slot >= 0)
            block[rows, slot[rows]] = 1.0
            blocks.append(block)
        return np.hstack(blocks)

    return encode


def _datetimes(values: np.ndarray) -> np.ndarray:
    # Microseconds, the unit pandas gives the training frame's dates.
    if values.dtype.kind == "M":
        return values.astype("datetime64[us]")
    try:  # datetime, Timestamp, ISO strings and None convert directly
        return np.array([None if pd.isna(v) else v for v in values.tolist()], "datetime64[us]")
    except (TypeError, ValueError):
        return pd.to_datetime(pd.Series(values), errors="coerce").to_numpy("datetime64[us]")


def _date_parts(step: DateParts) -> Step:
    return lambda X: step.apply(np.column_stack([_datetimes(column) for column in X.T]))


def _outlier_bounds(step: OutlierBounds) -> Step:
    return lambda X: step.apply(as_float(X))


def _skew(step: SkewTransform) -> Step:
    return lambda X: step.apply(as_float(X))


def _bins(step: KBinsDiscretizer) -> Step | None:
    if step.encode != "ordinal":
        return None
    edges = [e[1:-1] for e in step.bin_edges_]

    def bins(X: np.ndarray) -> np.ndarray:
        values = as_float(X).copy()
        for j, inner in enumerate(edges):
            values[:, j] = np.searchsorted(inner, values[:, j], side="right")
        return values

    return bins


def _dense_tfidf(step: DenseTfidf) -> Step:
    vectorizer = step.vectorizer_
    if vectorizer.norm != "l2" or not vectorizer.use_idf or vectorizer.binary:
        return None
    analyze = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    idf = vectorizer.idf_
    dtype = idf.dtype  # scikit-learn computes in the vectorizer's dtype (float32 here)
    width = len(idf)

    def tfidf(X: np.ndarray) -> np.ndarray:
        counts = np.zeros((len(X), width), dtype=dtype)
        for i, value in enumerate(X[:, 0].tolist()):
            for token in analyze(value if isinstance(value, str) else ""):
                j = vocabulary.get(token)
                if j is not None:
                    counts[i, j] += 1
        present = counts > 0
        if vectorizer.sublinear_tf:
            counts[present] = np.log(counts[present]) + dtype.type(1)
        counts *= idf
        # As scikit-learn's row normalisation: squares in the data's dtype, summed left to
        # right in float64, the division in float64; so the output is bit-identical.
        norms = np.sqrt(np.cumsum((counts * counts).astype("float64"), axis=1)[:, -1])
        scaled = counts.astype("float64") / np.where(norms > 0, norms, 1.0)[:, None]
        # Later steps (SVD) see the dtype scikit-learn gives them: the vectorizer's.
        return scaled.astype(vectorizer.dtype)

    return tfidf


def _log1p(step: Log1p) -> Step:
    return lambda X: np.log1p(np.clip(as_float(X), 0.0, None))


COMPILERS: dict[type, Callable] = {
    SimpleImputer: _simple_imputer,
    StandardScaler: _standard_scaler,
    OrdinalEncoder: _ordinal_encoder,
    OneHotEncoder: _one_hot_encoder,
    DateParts: _date_parts,
    OutlierBounds: _outlier_bounds,
    SkewTransform: _skew,
    KBinsDiscretizer: _bins,
    DenseTfidf: _dense_tfidf,
    Log1p: _log1p,
}


def _fallback(step, names: list[str]) -> Step:
    """Any other fitted step: its own ``transform`` on a DataFrame with the fitted names."""

    def transform(X: np.ndarray) -> np.ndarray:
        out = step.transform(pd.DataFrame(X, columns=names))
        return np.asarray(out, dtype="float64")

    return transform


def _compile_steps(transformer, columns: list[str]) -> list[Step]:
    steps = transformer.steps if isinstance(transformer, Pipeline) else [("", transformer)]
    compiled, names = [], list(columns)
    for _, step in steps:
        make = COMPILERS.get(type(step))
        fast = make(step) if make else None
        compiled.append(fast or _fallback(step, names))
        names = list(step.get_feature_names_out(names))
    return compiled


class CompiledFeaturizer:
    """``featurizer.transform`` for column arrays, without scikit-learn's per-call overhead."""

    def __init__(self, featurizer: Pipeline):
        (_, ratios), (_, columns) = featurizer.steps[:2]
        if not isinstance(ratios, RatioFeatures) or not isinstance(columns, ColumnTransformer):
            raise TypeError("expected Pipeline([ratios, columns, ...])")
        if columns.remainder != "drop":
            raise TypeError("the fast path needs remainder='drop'")
        self.input_columns = list(featurizer.feature_names_in_)
        self.feature_names = list(featurizer.get_feature_names_out())
        self._ratios = ratios
        self._groups = [
            (list(cols), _compile_steps(transformer, list(cols)))
            for name, transformer, cols in columns.transformers_
            if name != "remainder" and transformer != "drop" and len(cols)
        ]
        # Steps after the column transformer (feature selection, PCA) see its named output.
        names = list(columns.get_feature_names_out())
        self._after = []
        for _, step in featurizer.steps[2:]:
            self._after.append(_fallback(step, names))
            names = list(step.get_feature_names_out(names))

    def transform(self, columns: Columns) -> np.ndarray:
        data = {c: np.asarray(columns[c], dtype=object) for c in self.input_columns}
        data.update(self._ratios.apply(data))
        blocks = []
        for names, steps in self._groups:
            X = np.column_stack([np.asarray(data[c]) for c in names]).astype(object)
            for step in steps:
                X = step(X)
            blocks.append(np.asarray(X, dtype="float64"))
        out = np.hstack(blocks)
        for step in self._after:
            out = step(out)
        return out


def compile_featurizer(featurizer: Pipeline) -> CompiledFeaturizer | None:
    """The fast path for this featurizer, or None when its outer shape is not the usual one."""
    try:
        return CompiledFeaturizer(featurizer)
    except (TypeError, KeyError, AttributeError, ValueError):
        return None
