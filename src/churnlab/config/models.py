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

About 350 lines, a third of them the docstrings below the fields, from which the
documentation's params reference is generated.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from churnlab.config.base import Strict


class ModelSection(Strict):
    """The params of one model (``train.<model>``); its field name in ``TrainParams`` is the
    model's name."""


class XGBoostParams(ModelSection):
    """Section ``train.xgboost``: XGBoost, early stopping on the validation split."""

    n_estimators: int = Field(2000, gt=0)
    """Most boosting rounds; early stopping on the validation split usually ends sooner."""
    learning_rate: float = Field(0.05, gt=0, le=1)
    """Shrinkage of each tree's contribution."""
    max_depth: int = Field(3, gt=0, le=16)
    """Depth of each tree."""
    min_child_weight: float = Field(10.0, ge=0)
    """Smallest sum of instance weight (hessian) a leaf may hold."""
    subsample: float = Field(0.8, gt=0, le=1)
    """Share of rows sampled for each tree."""
    colsample_bytree: float = Field(0.5, gt=0, le=1)
    """Share of features sampled for each tree."""
    reg_lambda: float = Field(1.0, ge=0)
    """L2 regularisation of the leaf weights."""
    early_stopping_rounds: int = Field(50, gt=0)
    """Stop when the validation log loss has not improved for this many rounds."""
    n_jobs: int = Field(2, gt=0)
    """Threads of the fit."""


class LogRegParams(ModelSection):
    """Section ``train.logreg``: logistic regression on the feature matrix."""

    C: float = Field(1.0, gt=0)
    """Inverse regularisation strength."""
    max_iter: int = Field(2000, gt=0)
    """Most solver iterations."""
    # l2 (lbfgs), l1 or elasticnet (saga; l1_ratio mixes the two).
    penalty: Literal["l2", "l1", "elasticnet"] = "l2"
    """`l2` (lbfgs solver), `l1` or `elasticnet` (saga solver)."""
    l1_ratio: float = Field(0.5, ge=0, le=1)
    """Mix of L1 in the `elasticnet` penalty (0: L2 only, 1: L1 only)."""


class TreeParams(ModelSection):
    """Section ``train.tree``: a decision tree."""

    max_depth: int = Field(6, gt=0, le=64)
    """Depth of the tree."""
    min_samples_leaf: int = Field(50, gt=0)
    """Fewest training customers in a leaf."""


class ForestParams(ModelSection):
    """Section ``train.forest``: a random forest."""

    n_estimators: int = Field(100, gt=0)
    """Trees of the forest."""
    max_depth: int = Field(10, gt=0, le=64)
    """Depth of each tree."""
    min_samples_leaf: int = Field(20, gt=0)
    """Fewest training customers in a leaf."""
    max_features: float = Field(0.2, gt=0, le=1)
    """Share of features considered at each split."""
    n_jobs: int = Field(2, gt=0)
    """Parallel jobs of the fit."""


class LightGBMParams(ModelSection):
    """Section ``train.lightgbm``: LightGBM, early stopping on the validation split."""

    n_estimators: int = Field(2000, gt=0)
    """Most boosting rounds; early stopping on the validation split usually ends sooner."""
    learning_rate: float = Field(0.05, gt=0, le=1)
    """Shrinkage of each tree's contribution."""
    num_leaves: int = Field(15, ge=2, le=4096)
    """Leaves of each tree."""
    min_child_samples: int = Field(50, gt=0)
    """Fewest training customers in a leaf."""
    subsample: float = Field(0.8, gt=0, le=1)
    """Share of rows sampled for each tree."""
    colsample_bytree: float = Field(0.5, gt=0, le=1)
    """Share of features sampled for each tree."""
    reg_lambda: float = Field(1.0, ge=0)
    """L2 regularisation of the leaf weights."""
    early_stopping_rounds: int = Field(50, gt=0)
    """Stop when the validation log loss has not improved for this many rounds."""
    n_jobs: int = Field(2, gt=0)
    """Threads of the fit."""


class CatBoostParams(ModelSection):
    """Section ``train.catboost``: CatBoost, early stopping on the validation split."""

    iterations: int = Field(1000, gt=0)
    """Most boosting rounds; early stopping on the validation split usually ends sooner."""
    learning_rate: float = Field(0.08, gt=0, le=1)
    """Shrinkage of each tree's contribution."""
    depth: int = Field(4, gt=0, le=16)
    """Depth of each (symmetric) tree."""
    l2_leaf_reg: float = Field(3.0, ge=0)
    """L2 regularisation of the leaf values."""
    early_stopping_rounds: int = Field(50, gt=0)
    """Stop when the validation log loss has not improved for this many rounds."""
    thread_count: int = Field(2, gt=0)
    """Threads of the fit."""


class BlendParams(ModelSection):
    """Section ``train.blend``: the mean log-odds of several boosted models of the zoo, each
    fitted on train with its own ``train.<model>`` settings and early-stopped on validation;
    the blend is calibrated on validation like any model (``docs/model-defaults.md``)."""

    models: list[Literal["xgboost", "lightgbm", "catboost"]] = Field(
        default_factory=lambda: ["lightgbm", "catboost"], min_length=2
    )
    """The members (two or more of `xgboost`, `lightgbm`, `catboost`, each once)."""

    @field_validator("models")
    @classmethod
    def _distinct(cls, models: list[str]) -> list[str]:
        if len(set(models)) != len(models):
            raise ValueError(f"each member once, got {models}")
        return models


class SVMLinearParams(ModelSection):
    """Linear SVM (liblinear); probabilities from a sigmoid of the margin."""

    C: float = Field(1.0, gt=0)
    """Inverse regularisation strength."""
    max_iter: int = Field(5000, gt=0)
    """Most liblinear iterations."""


class SVMRBFParams(ModelSection):
    """RBF-kernel SVM; probabilities from a sigmoid of the margin.

    A kernel SVM costs O(n²) memory and more than O(n²) time: past ``max_rows`` training rows
    ``oversize: subsample`` fits on a seeded stratified sample of ``max_rows`` rows (with a
    warning), ``oversize: refuse`` stops with an error.
    """

    C: float = Field(1.0, gt=0)
    """Inverse regularisation strength."""
    gamma: Literal["scale", "auto"] = "scale"
    """Kernel width: `scale` or `auto` (scikit-learn's rules)."""
    max_rows: int = Field(3000, ge=100)
    """Most training rows the kernel SVM fits on (it is O(n²) in memory)."""
    oversize: Literal["subsample", "refuse"] = "subsample"
    """Past `max_rows`: `subsample` fits on a seeded stratified sample with a warning, `refuse`
    stops with an error."""


class MLPParams(ModelSection):
    """Section ``train.mlp``: a multilayer perceptron (scikit-learn), early stopping."""

    hidden_layer_sizes: list[Annotated[int, Field(gt=0)]] = Field(
        default_factory=lambda: [32], min_length=1, max_length=5
    )
    """Units of each hidden layer (one to five layers)."""
    alpha: float = Field(0.001, ge=0)
    """L2 regularisation of the weights."""
    learning_rate_init: float = Field(0.001, gt=0, le=1)
    """Initial learning rate of the optimiser."""
    max_iter: int = Field(100, gt=0)
    """Most epochs; early stopping on 10 % of the training rows usually ends sooner."""
    batch_size: int = Field(256, gt=0)
    """Customers per minibatch."""


class RulesParams(ModelSection):
    """The current business rules: points per risk signal, churn risk = points / max points."""

    recency_days: float = Field(21.0, gt=0)
    """A customer with no login for more than this many days gets a point."""
    min_satisfaction: float = Field(2.0)
    """A satisfaction score at or below this gets a point."""
    max_tenure_days: float = Field(180.0, gt=0)
    """A customer with a tenure under this many days gets a point."""


class ThresholdParams(Strict):
    """How train picks the decision threshold on validation: maximum F1, maximum expected
    profit under the ``business`` cost matrix, the ``business.contact_budget_share`` riskiest
    customers, or a fixed ``value``."""

    method: Literal["max_f1", "profit", "budget", "fixed"] = "profit"
    """`profit` (highest expected net savings under `business`), `max_f1`, `budget` (the
    `business.contact_budget_share` riskiest customers) or `fixed` (`value`)."""
    value: float = Field(0.5, gt=0, lt=1)
    """The threshold of `method: fixed`."""


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
    """Section ``train``: the model of the train stage, its calibration and threshold."""

    model: str = "auto"
    """The model to fit: a name of the registry (`churnlab select --apply` writes the
    leaderboard's choice here), or `auto`: `xgboost` up to 20 000 train+valid rows (where
    `select` and `refit` apply), `blend` above (chosen on the benchmarks,
    `docs/model-defaults.md`)."""
    seed: int = Field(42, ge=0)
    """Seed of every model and of the train-side sampling."""
    # balanced: class weights / scale_pos_weight so both classes weigh the same in the loss.
    class_weight: Literal["none", "balanced"] = "none"
    """`balanced`: class weights (or `scale_pos_weight`) so both classes weigh the same in the
    loss; `none`: as the data is."""
    # Fitted on the validation split around the frozen model (FrozenEstimator).
    calibration: Literal["none", "sigmoid", "isotonic"] = "sigmoid"
    """Calibration fitted on the validation split around the frozen model: `sigmoid` (on the
    log-odds), `isotonic` or `none`."""
    threshold: ThresholdParams = ThresholdParams()
    """How the decision threshold is chosen on validation."""
    refit: Literal["auto", "train_valid", "train"] = "auto"
    """`train_valid`: the final model is fitted on train+valid with the early-stopped number
    of rounds scaled by the row ratio; calibration and threshold on out-of-fold scores over
    train+valid (`docs/model-defaults.md`). `train`: fit on train, calibrate and choose the
    threshold on valid (the behaviour before issue 13). `auto`: `train_valid` up to
    20 000 train+valid rows, `train` above (the refit costs about seven fits)."""
    refit_folds: int = Field(5, ge=2, le=20)
    """Folds of the out-of-fold scores of `refit: train_valid`."""
    bagging: Literal["none", "folds"] = "none"
    """`folds`: serve the average log-odds of the out-of-fold models (fold-bagging) instead of
    one model refitted on train+valid (`docs/model-defaults.md`: its cost and when it pays)."""
    select: Literal["auto", "always", "never"] = "auto"
    """Choose `model` among `candidates` by out-of-fold ROC-AUC on train+valid: `auto` for
    user data (not the synthetic demo), `always`, or `never`."""
    candidates: list[ModelName] = Field(
        default_factory=lambda: ["xgboost", "lightgbm", "catboost", "logreg"]
    )
    """Models `select` tries after `model` (registry names; `model` itself always runs)."""
    time_budget_s: float = Field(0.0, ge=0)
    """Seconds `select` may spend; candidates that would start after it are skipped.
    0 = by data size (`docs/model-defaults.md`)."""
    xgboost: XGBoostParams = XGBoostParams()
    """Hyper-parameters of `xgboost` (XGBoost's own argument names)."""
    logreg: LogRegParams = LogRegParams()
    """Hyper-parameters of `logreg`, the logistic regression (also the baselines stage's)."""
    rules: RulesParams = RulesParams()
    """Thresholds of `rules`, today's business rules (also the baselines stage's)."""
    tree: TreeParams = TreeParams()
    """Hyper-parameters of `tree`, a decision tree."""
    forest: ForestParams = ForestParams()
    """Hyper-parameters of `forest`, a random forest."""
    lightgbm: LightGBMParams = LightGBMParams()
    """Hyper-parameters of `lightgbm` (LightGBM's own argument names)."""
    catboost: CatBoostParams = CatBoostParams()
    """Hyper-parameters of `catboost` (CatBoost's own argument names)."""
    svm_linear: SVMLinearParams = SVMLinearParams()
    """Hyper-parameters of `svm_linear`, a linear SVM."""
    svm_rbf: SVMRBFParams = SVMRBFParams()
    """Hyper-parameters of `svm_rbf`, an RBF-kernel SVM."""
    mlp: MLPParams = MLPParams()
    """Hyper-parameters of `mlp`, a multilayer perceptron."""
    blend: BlendParams = BlendParams()
    """Members of `blend`, the mean log-odds of several boosted models."""

    @field_validator("model")
    @classmethod
    def _a_model_section(cls, name: str) -> str:
        return name if name == "auto" else _one_of(name, model_sections(cls))

    @field_validator("candidates")
    @classmethod
    def _no_blend_candidate(cls, names: list[str]) -> list[str]:
        if "blend" in names:  # selection refits candidates on folds; a blend stops on valid
            raise ValueError("blend cannot be a selection candidate (it needs the valid split)")
        return names

    @model_validator(mode="after")
    def _blend_without_refit(self) -> TrainParams:
        if self.model == "blend" and self.refit == "train_valid":
            raise ValueError(
                "train.model blend needs train.refit auto or train: its members stop early "
                "on the valid split"
            )
        return self


MODEL_NAMES = model_sections(TrainParams)
# A model name outside ``train``: checked against TrainParams's sections.
ModelName = Annotated[str, AfterValidator(lambda name: _one_of(name, MODEL_NAMES))]


class CVParams(Strict):
    """Cross-validation on the train split: stratified k-fold, or forward-chaining folds in
    time order when ``split.method`` is ``time``."""

    folds: int = Field(5, ge=2, le=20)
    """Folds of the cross-validation on the train split (time-ordered when `split.method: time`)."""
    seed: int = Field(42, ge=0)
    """Seed of the fold assignment."""
    # Folds fitted in parallel processes, each model single-threaded (also in the search).
    n_jobs: int = Field(2, gt=0)
    """Folds fitted in parallel processes, each model single-threaded (also in the search)."""


class LeaderboardParams(Strict):
    """Which candidates the leaderboard trains and how it picks one.

    The rule: the best mean CV ``primary_metric`` wins; every candidate within
    ``tie_tolerance`` of it counts as tied, and ties go to the simplest model (the registry's
    complexity order: rules, logreg, svm_linear, tree, svm_rbf, mlp, forest, lightgbm,
    xgboost, catboost).
    """

    models: list[ModelName] = Field(default_factory=lambda: list(MODEL_NAMES), min_length=1)
    """The candidates the studies cross-validate (`cv@<model>` stages)."""
    primary_metric: Literal["roc_auc", "pr_auc", "f1", "empc"] = "roc_auc"
    """The mean CV metric that ranks them: `roc_auc`, `pr_auc`, `f1` or `empc` (expected
    maximum profit per customer, Verbraken et al. 2013: profit-based model choice)."""
    tie_tolerance: float = Field(0.001, ge=0, lt=1)
    """Candidates within this of the best mean are tied; ties go to the simplest model."""


class SpaceParam(Strict):
    """One searched hyper-parameter: ``int``/``float`` in [low, high] (``log`` scale
    optional, ``step`` for a grid of ints), or ``choices`` (categorical)."""

    type: Literal["int", "float", "categorical"]
    """`int`, `float` or `categorical`."""
    low: float | None = Field(None, strict=False)
    """Lowest value of an `int` or `float` range."""
    high: float | None = Field(None, strict=False)
    """Highest value of an `int` or `float` range."""
    log: bool = False
    """Sample the range on a log scale (needs `low` > 0)."""
    step: float | None = Field(None, gt=0, strict=False)
    """Step of the values (a grid of ints or floats)."""
    choices: list[str | int | float | bool] = Field(default_factory=list)
    """The values of a `categorical` parameter."""

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
    """The model whose `train.<model>` hyper-parameters are searched."""
    method: Literal["grid", "random", "tpe"] = "tpe"
    """`grid`, `random` or `tpe` (Bayesian, Optuna's TPE sampler)."""
    n_trials: int = Field(12, gt=0, le=10_000)
    """Most trials (the search also stops at `timeout_s`)."""
    timeout_s: float = Field(1200.0, gt=0)
    """Most seconds of searching."""
    folds: int = Field(3, ge=2, le=20)
    """Cross-validation folds of each trial."""
    seed: int = Field(42, ge=0)
    """Seed of the sampler: the same seed and trial budget give the same trials."""
    # Median pruning: stop a trial whose running fold mean is below the median of earlier
    # trials at the same fold (after ``pruner_startup_trials`` complete trials).
    pruning: bool = True
    """Stop a trial whose running fold mean is below the median of earlier trials at the same
    fold."""
    pruner_startup_trials: int = Field(4, ge=0)
    """Complete trials before pruning starts."""
    space: dict[str, SpaceParam] = Field(default_factory=lambda: dict(DEFAULT_SPACE))
    """The searched hyper-parameters, keyed by their name in `train.<model>`."""


DEFAULT_SPACE = {
    "max_depth": SpaceParam(type="int", low=2, high=6),
    "learning_rate": SpaceParam(type="float", low=0.02, high=0.2, log=True),
    "min_child_weight": SpaceParam(type="float", low=1.0, high=50.0, log=True),
    "subsample": SpaceParam(type="float", low=0.5, high=1.0),
    "colsample_bytree": SpaceParam(type="float", low=0.2, high=1.0),
    "reg_lambda": SpaceParam(type="float", low=0.1, high=20.0, log=True),
}
