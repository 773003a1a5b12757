"""Saving and loading fitted pipelines safely with skops and an explicit allow-list.

Loading never unpickles: skops rebuilds only the types listed in ``TRUSTED_TYPES``; a file
that needs anything else (tampered, or not ours) is refused with a clear message. The list is
the featurizer's and calibration's types plus those each model's registry entry declares
(``ModelSpec.trusted_types``), so the featurize stage depends on the model registry too.

skops is imported on first use (:func:`skops_io`), without the list of every scikit-learn
estimator it builds at import: see there.
"""

from __future__ import annotations

import importlib
import io as io_
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

from churnlab import io
from churnlab.errors import UserError
from churnlab.modeling.registry import REGISTRY

# What any saved pipeline may hold besides its model: the featurizer's steps, the calibration
# wrapper, containers and scalars. Each model adds the types it needs (its registry entry).
BASE_TYPES = (
    "churnlab.features.construct.Polynomial2",
    "churnlab.features.construct.RatioFeatures",
    "churnlab.features.dates.DateParts",
    "churnlab.features.outliers.OutlierBounds",
    "churnlab.features.outliers.UnusualRow",
    "churnlab.features.select.FeatureSelection",
    "churnlab.features.text.DenseTfidf",
    "churnlab.features.transform.Log1p",
    "churnlab.features.transform.SkewTransform",
    "sklearn.decomposition._pca.PCA",
    "sklearn.decomposition._truncated_svd.TruncatedSVD",
    "sklearn.ensemble._iforest.IsolationForest",
    "sklearn.impute._iterative.IterativeImputer",
    "sklearn.impute._iterative._ImputerTriplet",
    "sklearn.linear_model._bayes.BayesianRidge",
    "sklearn.impute._knn.KNNImputer",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.preprocessing._data.MinMaxScaler",
    "sklearn.preprocessing._data.PowerTransformer",
    "sklearn.preprocessing._data.RobustScaler",
    "sklearn.preprocessing._discretization.KBinsDiscretizer",
    "sklearn.preprocessing._target_encoder.TargetEncoder",
    "sklearn.tree._classes.ExtraTreeRegressor",
    "sklearn.tree._tree.Tree",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.impute._base.MissingIndicator",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.preprocessing._encoders.OrdinalEncoder",
    "sklearn.preprocessing._data.StandardScaler",
    # Calibration on validation (churnlab.modeling.calibration), around any model, and the
    # optional fold-bag of any model (churnlab.modeling.bagging).
    "churnlab.modeling.calibration.LogOdds",
    "churnlab.modeling.bagging.FoldBag",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.frozen._frozen.FrozenEstimator",
    "sklearn.isotonic.IsotonicRegression",
    # The uplift learners (churnlab.uplift.learners) around any zoo model.
    "churnlab.uplift.learners.ClassTransformation",
    "churnlab.uplift.learners.DRLearner",
    "churnlab.uplift.learners.EffectRegressor",
    "churnlab.uplift.learners.SLearner",
    "churnlab.uplift.learners.ShiftBooster",
    "churnlab.uplift.learners.ShiftLearner",
    "churnlab.uplift.learners.TLearner",
    "churnlab.uplift.learners.XLearner",
    "churnlab.uplift.selection.AverageLearner",  # the cross-validated `average` candidate
    "numpy.dtype",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "numpy.random.mtrand.RandomState",
    "builtins.bool",
    "builtins.bytearray",
    "builtins.bytes",
    "builtins.dict",
    "builtins.float",
    "builtins.int",
    "builtins.list",
    "builtins.slice",
    "builtins.str",
    "builtins.tuple",
    "collections.OrderedDict",
    "datetime.date",
)


def skops_io():
    """``skops.io``, imported on first use, without its default allow-list of every
    scikit-learn estimator.

    At import skops lists every estimator (``sklearn.utils.all_estimators()``, which imports
    all of scikit-learn's modules) to trust them when a load passes no ``trusted`` list; that
    and its scan of the many modules it loaded cost about 0.4 CPU s in each stage that saves
    or loads a pipeline (measured). churnlab never loads without its own list
    (:data:`TRUSTED_TYPES`, and :func:`types_in` checks the file first), so the default list
    is left empty: a load without ``trusted`` in this process trusts no estimator, which is
    stricter. What skops writes and reads with a list is unchanged.
    """
    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    import sklearn.utils

    every = sklearn.utils.all_estimators
    sklearn.utils.all_estimators = lambda *args, **kwargs: []
    try:
        return importlib.import_module("skops.io")
    finally:
        sklearn.utils.all_estimators = every


TRUSTED_TYPES = sorted(
    {*BASE_TYPES, *(name for spec in REGISTRY.values() for name in spec.trusted_types)}
)


def types_in(data: bytes) -> set[str]:
    """Every ``module.Class`` named anywhere in a skops archive's schema.

    skops trusts scikit-learn estimators by default; reading the schema ourselves makes the
    allow-list the only thing that decides, so a swapped-in estimator is refused too.
    """
    with zipfile.ZipFile(io_.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node and "__module__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def save(obj: Any, target: Path | str) -> None:
    """Persist ``obj``; refuse to write anything the loader would not trust."""
    data = skops_io().dumps(obj)
    unknown = sorted(types_in(data) - set(TRUSTED_TYPES))
    if unknown:
        raise RuntimeError(f"refusing to save types outside the allow-list: {unknown}")
    io.write_bytes(io.normalise_skops(data), target)


def load(path: Path | str) -> Any:
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path} is missing: run `dvc repro` to train a model first")
    try:
        data = path.read_bytes()
        unknown = sorted(types_in(data) - set(TRUSTED_TYPES))
    except Exception as exc:  # a foreign or corrupt file: skops raises many kinds
        raise UserError(
            f"{path} is not a churnlab model package ({type(exc).__name__}: {exc})"
        ) from None
    if unknown:
        raise UserError(
            f"{path} was refused: it asks for types outside the allow-list "
            f"{unknown}; it may have been tampered with"
        )
    try:
        return skops_io().loads(data, trusted=TRUSTED_TYPES)
    except Exception as exc:
        raise UserError(f"{path} could not be loaded ({type(exc).__name__}: {exc})") from None
