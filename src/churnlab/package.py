"""Saving and loading fitted pipelines safely with skops and an explicit allow-list.

Loading never unpickles: skops rebuilds only the types listed in ``TRUSTED_TYPES``; a file
that needs anything else (tampered, or not ours) is refused with a clear message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import skops.io as sio

from churnlab import io
from churnlab.errors import UserError

TRUSTED_TYPES = sorted(
    [
        "churnlab.features.DateParts",
        "churnlab.features.DenseTfidf",
        "churnlab.features.Log1p",
        "churnlab.features.RatioFeatures",
        "churnlab.models.RuleBasedModel",
        "numpy.dtype",
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.impute._base.MissingIndicator",
        "sklearn.impute._base.SimpleImputer",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._encoders.OneHotEncoder",
        "sklearn.preprocessing._encoders.OrdinalEncoder",
        "sklearn.preprocessing._data.StandardScaler",
        "xgboost.core.Booster",
        "xgboost.sklearn.XGBClassifier",
        "builtins.str",
        "builtins.float",
        "builtins.int",
        "builtins.bool",
        "datetime.date",
    ]
)


def save(obj: Any, target: Path | str) -> None:
    """Persist ``obj``; refuse to write anything the loader would not trust."""
    data = sio.dumps(obj)
    unknown = sorted(set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES))
    if unknown:
        raise RuntimeError(f"refusing to save types outside the allow-list: {unknown}")
    io.write_bytes(io.normalise_skops(data), target)


def load(path: Path | str) -> Any:
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path} is missing: run `dvc repro` to train a model first")
    try:
        data = path.read_bytes()
        unknown = sorted(set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES))
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
        return sio.loads(data, trusted=TRUSTED_TYPES)
    except Exception as exc:
        raise UserError(f"{path} could not be loaded ({type(exc).__name__}: {exc})") from None
