"""Params of the models and of model selection (``train``, ``cv``, ``leaderboard``,
``search`` in params.yaml), validated like the rest of :mod:`churnlab.config.params`, which
re-exports them.

The keys of ``train.<model>`` for xgboost, lightgbm, catboost, tree, forest, svm_linear and
mlp are the estimator's own argument names: the factories pass a section through as it is.

The valid model names are the ``train.<model>`` sections: every field of ``TrainParams`` whose
type is a :class:`ModelSection` (``MODEL_NAMES``). ``train.model``, ``leaderboard.models`` and
``search.model`` are checked against them when params load. Each section is one entry of the
model registry (``churnlab.modeling.registry``), which config cannot import (no upward
import); ``tests/test_model_registry.py`` asserts the two name lists are the same.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from churnlab.config.base import Strict


class ModelSection(Strict):
    """The params of one model (``train.<model>``); its field name in ``TrainParams`` is the
    model's name."""


class XGBoostParams(ModelSection):
    n_estimators: int = Field(2000, gt=0)
    learning_rate: float = Field(0.05, gt=0, le=1)
    max_depth: int = Field(3, gt=0, le=16)
    min_child_weight: float = Field(10.0, ge=0)
    subsample: float = Field(0.8, gt=0, le=1)
    colsample_bytree: float = Field(0.5, gt=0, le=1)
    reg_lambda: float = Field(1.0, ge=0)
    early_stopping_rounds: int = Field(50, gt=0)
    n_jobs: int = Field(2, gt=0)


class LogRegParams(ModelSection):
    C: float = Field(1.0, gt=0)
    max_iter: int = Field(2000, gt=0)
    # l2 (lbfgs), l1 or elasticnet (saga; l1_ratio mixes the two).
    penalty: Literal["l2", "l1", "elasticnet"] = "l2"
    l1_ratio: float = Field(0.5, ge=0, le=1)


class TreeParams(ModelSection):
    max_depth: int = Field(6, gt=0, le=64)
    min_samples_leaf: int = Field(50, gt=0)


class ForestParams(ModelSection):
    n_estimators: int = Field(100, gt=0)
    max_depth: int = Field(10, gt=0, le=64)
    min_samples_leaf: int = Field(20, gt=0)
    max_features: float = Field(0.2, gt=0, le=1)
    n_jobs: int = Field(2, gt=0)


class LightGBMParams(ModelSection):
    n_estimators: int = Field(2000, gt=0)
    learning_rate: float = Field(0.05, gt=0, le=1)
    num_leaves: int = Field(15, ge=2, le=4096)
    min_child_samples: int = Field(50, gt=0)
    subsample: float = Field(0.8, gt=0, le=1)
    colsample_bytree: float = Field(0.5, gt=0, le=1)
    reg_lambda: float = Field(1.0, ge=0)
    early_stopping_rounds: int = Field(50, gt=0)
    n_jobs: int = Field(2, gt=0)


class CatBoostParams(ModelSection):
    iterations: int = Field(1000, gt=0)
    learning_rate: float = Field(0.08, gt=0, le=1)
    depth: int = Field(4, gt=0, le=16)
    l2_leaf_reg: float = Field(3.0, ge=0)
    early_stopping_rounds: int = Field(50, gt=0)
    thread_count: int = Field(2, gt=0)


class SVMLinearParams(ModelSection):
    """Linear SVM (liblinear); probabilities from a sigmoid of the margin."""

    C: float = Field(1.0, gt=0)
    max_iter: int = Field(5000, gt=0)


class SVMRBFParams(ModelSection):
    """RBF-kernel SVM; probabilities from a sigmoid of the margin.

    A kernel SVM costs O(n²) memory and more than O(n²) time: past ``max_rows`` training rows
    ``oversize: subsample`` fits on a seeded stratified sample of ``max_rows`` rows (with a
    warning), ``oversize: refuse`` stops with an error.
    """

    C: float = Field(1.0, gt=0)
    gamma: Literal["scale", "auto"] = "scale"
    max_rows: int = Field(3000, ge=100)
    oversize: Literal["subsample", "refuse"] = "subsample"


class MLPParams(ModelSection):
    hidden_layer_sizes: list[Annotated[int, Field(gt=0)]] = Field(
        default_factory=lambda: [32], min_length=1, max_length=5
    )
    alpha: float = Field(0.001, ge=0)
    learning_rate_init: float = Field(0.001, gt=0, le=1)
    max_iter: int = Field(100, gt=0)
    batch_size: int = Field(256, gt=0)


class RulesParams(ModelSection):
    """The current business rules: points per risk signal, churn risk = points / max points."""

    recency_days: float = Field(21.0, gt=0)
    min_satisfaction: float = Field(2.0)
    max_tenure_days: float = Field(180.0, gt=0)


class ThresholdParams(Strict):
    """How train picks the decision threshold on validation: maximum F1, maximum expected
    profit under the ``business`` cost matrix, the ``business.contact_budget_share`` riskiest
    customers, or a fixed ``value``."""

    method: Literal["max_f1", "profit", "budget", "fixed"] = "profit"
    value: float = Field(0.5, gt=0, lt=1)


def model_sections(params: type[Strict]) -> tuple[str, ...]:
    """The names of the :class:`ModelSection` fields of ``params`` (a ``TrainParams``), in order."""
    return tuple(
        name
        for name, field in params.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, ModelSection)
    )


def _one_of(name: str, names: tuple[str, ...]) -> str:
    if name not in names:
        raise ValueError(f"must be one of {', '.join(names)}")
    return name


class TrainParams(Strict):
    model: str = "xgboost"
    seed: int = Field(42, ge=0)
    # balanced: class weights / scale_pos_weight so both classes weigh the same in the loss.
    class_weight: Literal["none", "balanced"] = "none"
    # Fitted on the validation split around the frozen model (FrozenEstimator).
    calibration: Literal["none", "sigmoid", "isotonic"] = "sigmoid"
    threshold: ThresholdParams = ThresholdParams()
    xgboost: XGBoostParams = XGBoostParams()
    logreg: LogRegParams = LogRegParams()
    rules: RulesParams = RulesParams()
    tree: TreeParams = TreeParams()
    forest: ForestParams = ForestParams()
    lightgbm: LightGBMParams = LightGBMParams()
    catboost: CatBoostParams = CatBoostParams()
    svm_linear: SVMLinearParams = SVMLinearParams()
    svm_rbf: SVMRBFParams = SVMRBFParams()
    mlp: MLPParams = MLPParams()

    @field_validator("model")
    @classmethod
    def _a_model_section(cls, name: str) -> str:
        return _one_of(name, model_sections(cls))


MODEL_NAMES = model_sections(TrainParams)
# A model name outside ``train``: checked against TrainParams's sections.
ModelName = Annotated[str, AfterValidator(lambda name: _one_of(name, MODEL_NAMES))]


class CVParams(Strict):
    """Cross-validation on the train split: stratified k-fold, or forward-chaining folds in
    time order when ``split.method`` is ``time``."""

    folds: int = Field(5, ge=2, le=20)
    seed: int = Field(42, ge=0)
    # Folds fitted in parallel processes, each model single-threaded (also in the search).
    n_jobs: int = Field(2, gt=0)


class LeaderboardParams(Strict):
    """Which candidates the leaderboard trains and how it picks one.

    The rule: the best mean CV ``primary_metric`` wins; every candidate within
    ``tie_tolerance`` of it counts as tied, and ties go to the simplest model (the registry's
    complexity order: rules, logreg, svm_linear, tree, svm_rbf, mlp, forest, lightgbm,
    xgboost, catboost).
    """

    models: list[ModelName] = Field(default_factory=lambda: list(MODEL_NAMES), min_length=1)
    primary_metric: Literal["roc_auc", "pr_auc", "f1"] = "roc_auc"
    tie_tolerance: float = Field(0.001, ge=0, lt=1)


class SpaceParam(Strict):
    """One searched hyper-parameter: ``int``/``float`` in [low, high] (``log`` scale
    optional, ``step`` for a grid of ints), or ``choices`` (categorical)."""

    type: Literal["int", "float", "categorical"]
    low: float | None = Field(None, strict=False)
    high: float | None = Field(None, strict=False)
    log: bool = False
    step: float | None = Field(None, gt=0, strict=False)
    choices: list[str | int | float | bool] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete(self) -> SpaceParam:
        if self.type == "categorical":
            if not self.choices:
                raise ValueError("a categorical parameter needs choices")
            return self
        if self.low is None or self.high is None or not self.low < self.high:
            raise ValueError(f"needs low < high, got low={self.low} high={self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log-scale range needs low > 0, got {self.low}")
        return self


class SearchParams(Strict):
    """Hyper-parameter search over ``space`` (names are keys of ``train.<model>``)."""

    model: ModelName = "xgboost"
    method: Literal["grid", "random", "tpe"] = "tpe"
    n_trials: int = Field(12, gt=0, le=10_000)
    timeout_s: float = Field(1200.0, gt=0)
    folds: int = Field(3, ge=2, le=20)
    seed: int = Field(42, ge=0)
    # Median pruning: stop a trial whose running fold mean is below the median of earlier
    # trials at the same fold (after ``pruner_startup_trials`` complete trials).
    pruning: bool = True
    pruner_startup_trials: int = Field(4, ge=0)
    space: dict[str, SpaceParam] = Field(default_factory=lambda: dict(DEFAULT_SPACE))


DEFAULT_SPACE = {
    "max_depth": SpaceParam(type="int", low=2, high=6),
    "learning_rate": SpaceParam(type="float", low=0.02, high=0.2, log=True),
    "min_child_weight": SpaceParam(type="float", low=1.0, high=50.0, log=True),
    "subsample": SpaceParam(type="float", low=0.5, high=1.0),
    "colsample_bytree": SpaceParam(type="float", low=0.2, high=1.0),
    "reg_lambda": SpaceParam(type="float", low=0.1, high=20.0, log=True),
}
