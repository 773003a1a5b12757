"""Compose the featurizer from params: one scikit-learn ``Pipeline``, fitted on train only.

``Pipeline([ratios, columns, (select), (pca)])`` with pandas output: constructed columns
first, then a ``ColumnTransformer`` with one branch per column group and family, then the
optional selection. The same fitted object serves training, batch scoring and the API.
"""

from __future__ import annotations

import datetime as dt

from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

from churnlab.config.params import FeaturizeParams
from churnlab.features import encode
from churnlab.features.construct import RatioFeatures, polynomial
from churnlab.features.dates import DateParts
from churnlab.features.groups import _params_for, column_groups, ordinal_orders
from churnlab.features.impute import numeric_imputer
from churnlab.features.outliers import OutlierBounds, UnusualRow
from churnlab.features.select import FeatureSelection
from churnlab.features.text import text_steps
from churnlab.features.transform import Log1p, SkewTransform, binning, scaler


def numeric_steps(p: FeaturizeParams, log: bool = False) -> Pipeline:
    """Outlier treatment, imputation (+ indicators), log1p or skew transform, scaling."""
    o, t = p.outliers, p.transforms
    steps = []
    if o.enabled and (o.treat != "none" or o.flags):
        bounds = OutlierBounds(o.detect, o.treat, o.flags, o.iqr_k, o.z_max, tuple(o.quantiles))
        steps.append(("outliers", bounds))
    steps.append(("impute", numeric_imputer(p.missing, p.seed)))
    if log:
        steps.append(("log1p", Log1p()))
    elif t.enabled and t.skew != "none":
        steps.append(("skew", SkewTransform(t.skew, t.skew_threshold)))
    scale = scaler(t, p.scale)
    if scale is not None:
        steps.append(("scale", scale))
    return Pipeline(steps)


def _categorical(p: FeaturizeParams, groups: dict, orders: dict) -> list[tuple]:
    if not p.encoding.enabled:
        columns = groups["ordinal"] + groups["categorical"] + groups["target"]
        return [("cat", encode.codes(p), columns)]
    return [
        ("ord", encode.ordinal(p, [orders[c] for c in groups["ordinal"]]), groups["ordinal"]),
        ("cat", encode.onehot(p), groups["categorical"]),
        ("target", encode.target(p), groups["target"]),
    ]


def _dates(p: FeaturizeParams, snapshot: dt.date) -> Pipeline:
    return Pipeline(
        [
            ("parts", DateParts(reference=snapshot, parts=tuple(p.dates.parts))),
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ]
    )


def _unusual(p: FeaturizeParams) -> Pipeline:
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("forest", UnusualRow(p.outliers.isolation_trees, p.seed)),
        ]
    )


def build_featurizer(
    frame, p: FeaturizeParams, snapshot: dt.date, schema: dict | None = None
) -> Pipeline:
    """An unfitted featurizer for frames shaped like ``frame`` (the prepared train split)."""
    groups = column_groups(frame, p, schema)
    orders = ordinal_orders(p, schema)
    p = _params_for(frame, p, schema, note=True)
    numbers = groups["numeric"] + groups["log"]
    transformers = [
        ("num", numeric_steps(p), groups["numeric"]),
        ("log", numeric_steps(p, log=True), groups["log"]),
        ("bin", binning(p.transforms, groups["bin"], p.seed), groups["bin"]),
        ("poly", polynomial(), groups["poly"]),
        *_categorical(p, groups, orders),
        ("date", _dates(p, snapshot), groups["date"]),
        ("text", text_steps(p.text, p.seed), groups["text"]),
    ]
    if p.outliers.enabled and p.outliers.isolation_forest:
        transformers.insert(2, ("unusual", _unusual(p), numbers))
    transformers = [t for t in transformers if t[2]]
    columns = ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=True)
    c = p.constructed
    ratios = (
        RatioFeatures(dict(p.ratios), dict(c.products), dict(c.group_ratios))
        if c.enabled
        else RatioFeatures({}, {}, {})
    )
    steps = [("ratios", ratios), ("columns", columns)]
    s = p.selection
    if s.enabled:
        steps.append(("select", FeatureSelection(s.model_dump(mode="json"), p.seed)))
        if "pca" in s.steps:
            steps.append(("pca", PCA(n_components=s.pca_components, random_state=p.seed)))
    return Pipeline(steps).set_output(transform="pandas")
