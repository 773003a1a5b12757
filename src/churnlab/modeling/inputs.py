"""The model inputs of the train and study stages: feature matrices or split tables, and folds.

``train``, ``baselines``, ``cv`` and ``search`` read their X and y the same way, through here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.errors import UserError
from churnlab.features import feature_frame
from churnlab.modeling.crossval import keys_digest
from churnlab.modeling.registry import spec_for


def inputs(params: Params, name: str, uses_features: bool) -> tuple[pd.DataFrame, np.ndarray]:
    if uses_features:
        frame = io.read_table(paths.FEATURES / f"{name}.parquet")
        return frame.drop(columns=[TARGET]), frame[TARGET].to_numpy()
    frame = io.read_table(paths.SPLIT / f"{name}.parquet")
    return feature_frame(frame), frame[TARGET].to_numpy()


def load_folds() -> tuple[str, np.ndarray]:
    folds = io.read_json(paths.FOLDS)
    keys = io.read_table(paths.SPLIT / "train.parquet", columns=["customer_key"])["customer_key"]
    if folds["customer_keys_sha256"] != keys_digest(keys):
        raise UserError(f"{paths.FOLDS} belongs to another train split: re-run the folds stage")
    return folds["scheme"], np.asarray(folds["fold"])


def study_data(params: Params, model: str) -> tuple:
    spec = spec_for(model)
    X, y = inputs(params, "train", spec.uses_features)
    X_valid, y_valid = inputs(params, "valid", spec.uses_features)
    return X, y, X_valid, y_valid
