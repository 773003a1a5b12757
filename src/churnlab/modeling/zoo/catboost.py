"""CatBoost (``train.model: catboost``): ordered boosting, symmetric trees, early-stopped on
validation.

The wrapper's argument defaults are those of ``train.catboost`` (``CatBoostParams``), read
from the params model rather than written again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnlab.config.models import CatBoostParams, TrainParams
from churnlab.modeling.spec import ModelSpec, qualified
from churnlab.modeling.zoo.common import as_matrix
from churnlab.modeling.zoo.native import (
    NativeBoosted,
    fit_native,
    make_native,
    native_contributions,
)

_DEFAULT = CatBoostParams()


class CatBoostChurnClassifier(NativeBoosted):
    """CatBoost (ordered boosting, symmetric trees) with early stopping on a validation set."""

    def __init__(
        self,
        iterations=_DEFAULT.iterations,
        learning_rate=_DEFAULT.learning_rate,
        depth=_DEFAULT.depth,
        l2_leaf_reg=_DEFAULT.l2_leaf_reg,
        scale_pos_weight=1.0,
        early_stopping_rounds=_DEFAULT.early_stopping_rounds,
        thread_count=_DEFAULT.thread_count,
        random_state=0,
    ):
        self.iterations = iterations
        self.learning_rate = learning_rate
        self.depth = depth
        self.l2_leaf_reg = l2_leaf_reg
        self.scale_pos_weight = scale_pos_weight
        self.early_stopping_rounds = early_stopping_rounds
        self.thread_count = thread_count
        self.random_state = random_state

    def _library_model(self):
        from catboost import CatBoostClassifier

        params = self.get_params()
        params.pop("early_stopping_rounds")
        params["random_seed"] = params.pop("random_state")
        return CatBoostClassifier(**params, verbose=False, allow_writing_files=False)

    def _early_stopping(self, X_valid, y_valid) -> dict:
        return {
            "eval_set": (X_valid, y_valid),
            "early_stopping_rounds": self.early_stopping_rounds,
            "use_best_model": True,
        }

    def _result(self, model):
        # CatBoost stamps each fit with a random model_guid and its finish time: blank them, so
        # the same fit saves the same bytes (dvc.lock's hash of the model) on every run.
        metadata = model.get_metadata()
        for key in ("model_guid", "train_finish_time"):
            if key in metadata:
                metadata[key] = ""
        return model, int(model.get_best_iteration() or model.tree_count_ - 1)

    def _positive(self, X) -> np.ndarray:
        return self.booster_.predict(X, prediction_type="Probability")[:, 1]

    def contributions(self, X) -> np.ndarray:
        """Exact SHAP values in log-odds: one column per feature plus the base value."""
        from catboost import Pool

        return self.booster_.get_feature_importance(Pool(as_matrix(X)), type="ShapValues")

    def _dump(self, booster) -> bytes:
        return bytes(booster._serialize_model())

    def _load(self, blob: bytes):
        from catboost import CatBoostClassifier

        model = CatBoostClassifier()
        model.load_model(blob=blob)
        return model


def make(p: TrainParams, y: np.ndarray) -> CatBoostChurnClassifier:
    return make_native(CatBoostChurnClassifier, p.catboost, y, p)


def importance(model: CatBoostChurnClassifier, names: list[str]) -> pd.Series:
    values = model.booster_.get_feature_importance()
    return pd.Series(values, index=names, name="prediction_values_change")


SPECS = (
    ModelSpec(
        name="catboost",
        params=CatBoostParams,
        make=make,
        estimator=CatBoostChurnClassifier,
        fit=fit_native,
        complexity=9,
        importance=importance,
        contributions=native_contributions,
        single_threaded={"thread_count": 1},
        trusted_types=(qualified(CatBoostChurnClassifier),),
    ),
)
