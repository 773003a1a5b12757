"""The featurizer: a scikit-learn pipeline composed from params, fitted on train only.

One module per feature family: ``impute`` (missing values), ``outliers``, ``transform``
(skew, scaling, binning), ``encode``, ``dates``, ``text``, ``construct`` (ratios, products,
polynomial terms), ``select`` (selection and reduction); ``groups`` assigns columns to
transformers, ``build`` composes them and ``families`` switches whole families on and off
(the ablation study). Importing from ``churnlab.features`` gives the public names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Each public name and the module it lives in. They are imported when first used (PEP 562):
# a stage that only needs ``feature_frame`` (baselines, through ``modeling.inputs``) does not
# import every feature family's scikit-learn modules (about 0.6 CPU s, measured).
_HOMES = {
    "build_featurizer": "build",
    "numeric_steps": "build",
    "Polynomial2": "construct",
    "RatioFeatures": "construct",
    "DateParts": "dates",
    "NON_FEATURES": "groups",
    "column_groups": "groups",
    "feature_frame": "groups",
    "ordinal_orders": "groups",
    "OutlierBounds": "outliers",
    "UnusualRow": "outliers",
    "FeatureSelection": "select",
    "DenseTfidf": "text",
    "Log1p": "transform",
    "SkewTransform": "transform",
}

if TYPE_CHECKING:
    from churnlab.features.build import build_featurizer, numeric_steps
    from churnlab.features.construct import Polynomial2, RatioFeatures
    from churnlab.features.dates import DateParts
    from churnlab.features.groups import NON_FEATURES, column_groups, feature_frame, ordinal_orders
    from churnlab.features.outliers import OutlierBounds, UnusualRow
    from churnlab.features.select import FeatureSelection
    from churnlab.features.text import DenseTfidf
    from churnlab.features.transform import Log1p, SkewTransform


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


__all__ = [
    "NON_FEATURES",
    "DateParts",
    "DenseTfidf",
    "FeatureSelection",
    "Log1p",
    "OutlierBounds",
    "Polynomial2",
    "RatioFeatures",
    "SkewTransform",
    "UnusualRow",
    "build_featurizer",
    "column_groups",
    "feature_frame",
    "numeric_steps",
    "ordinal_orders",
]
