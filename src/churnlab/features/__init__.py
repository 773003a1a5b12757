"""The featurizer: a scikit-learn pipeline composed from params, fitted on train only.

One module per feature family: ``impute`` (missing values), ``outliers``, ``transform``
(skew, scaling, binning), ``encode``, ``dates``, ``text``, ``construct`` (ratios, products,
polynomial terms), ``select`` (selection and reduction); ``groups`` assigns columns to
transformers, ``build`` composes them and ``families`` switches whole families on and off
(the ablation study). Importing from ``churnlab.features`` gives the public names.
"""

from churnlab.features.build import build_featurizer, numeric_steps
from churnlab.features.construct import Polynomial2, RatioFeatures
from churnlab.features.dates import DateParts
from churnlab.features.groups import NON_FEATURES, column_groups, feature_frame, ordinal_orders
from churnlab.features.outliers import OutlierBounds, UnusualRow
from churnlab.features.select import FeatureSelection
from churnlab.features.text import DenseTfidf
from churnlab.features.transform import Log1p, SkewTransform

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
