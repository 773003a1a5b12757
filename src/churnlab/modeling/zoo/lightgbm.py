"""LightGBM gradient boosting (``train.model: lightgbm``), early-stopped on validation.

The wrapper's argument defaults are those of ``train.lightgbm`` (``LightGBMParams``), read
from the params model rather than written again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnlab.config.models import LightGBMParams, TrainParams
from churnlab.modeling.spec import ModelSpec, qualified
from churnlab.modeling.zoo.common import as_matrix
from churnlab.modeling.zoo.native import (
    NativeBoosted,
    fit_native,
    make_native,
    native_contributions,
)

_DEFAULT = LightGBMParams()


class LightGBMClassifier(NativeBoosted):
    """LightGBM gradient boosting with early stopping on a validation set."""

    def __init__(
        self,
        n_estimators=_DEFAULT.n_estimators,
        learning_rate=_DEFAULT.learning_rate,
        num_leaves=_DEFAULT.num_leaves,
        min_child_samples=_DEFAULT.min_child_samples,
        subsample=_DEFAULT.subsample,
        colsample_bytree=_DEFAULT.colsample_bytree,
        reg_lambda=_DEFAULT.reg_lambda,
        scale_pos_weight=1.0,
        early_stopping_rounds=_DEFAULT.early_stopping_rounds,
        n_jobs=_DEFAULT.n_jobs,
        random_state=0,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.scale_pos_weight = scale_pos_weight
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _library_model(self):
        import lightgbm as lgb

        params = self.get_params()
        params.pop("early_stopping_rounds")
        return lgb.LGBMClassifier(**params, subsample_freq=1, deterministic=True, verbose=-1)

    def _early_stopping(self, X_valid, y_valid) -> dict:
        import lightgbm as lgb

        return {
            "eval_X": X_valid,
            "eval_y": y_valid,
            "eval_metric": ["binary_logloss", "auc"],
            "callbacks": [lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
        }

    def _result(self, model):
        return model.booster_, int(model.best_iteration_ or model.n_estimators_)

    def _positive(self, X) -> np.ndarray:
        return self.booster_.predict(X, num_iteration=self.best_iteration)

    def contributions(self, X) -> np.ndarray:
        """Exact TreeSHAP: one column per feature plus the base value, in log-odds."""
        return self.booster_.predict(
            as_matrix(X), num_iteration=self.best_iteration, pred_contrib=True
        )

    def _dump(self, booster) -> str:
        return booster.model_to_string(num_iteration=self.best_iteration)

    def _load(self, blob: str):
        import lightgbm as lgb

        return lgb.Booster(model_str=blob)


def make(p: TrainParams, y: np.ndarray) -> LightGBMClassifier:
    return make_native(LightGBMClassifier, p.lightgbm, y, p)


def importance(model: LightGBMClassifier, names: list[str]) -> pd.Series:
    gain = model.booster_.feature_importance(importance_type="gain")
    return pd.Series(gain, index=names, name="total_gain")


SPECS = (
    ModelSpec(
        name="lightgbm",
        params=LightGBMParams,
        make=make,
        estimator=LightGBMClassifier,
        fit=fit_native,
        complexity=7,
        importance=importance,
        contributions=native_contributions,
        single_threaded={"n_jobs": 1},
        trusted_types=(qualified(LightGBMClassifier),),
    ),
)
