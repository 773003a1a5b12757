"""Params of the feature-engineering families (``featurize.<family>`` in params.yaml).

Each family section has ``enabled``; unknown keys, step names and values fail at load with the
key path, as everywhere in ``churnlab.config.params`` (which re-exports these classes).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from churnlab.config.base import Strict

Pair = Annotated[list[str], Field(min_length=2, max_length=2)]
NumericImpute = Literal["mean", "median", "most_frequent", "constant", "knn", "iterative"]


class MissingParams(Strict):
    """Feature family ``missing``: imputation per column group, indicators, sparse drops."""

    enabled: bool = True
    numeric: NumericImpute = "median"
    categorical: Literal["most_frequent", "constant"] = "constant"
    indicators: bool = True
    max_column_missing_share: float = Field(0.5, gt=0, le=1)
    max_row_missing_share: float = Field(0.5, gt=0, le=1)
    knn_neighbors: int = Field(5, gt=0)
    iterative_max_iter: int = Field(10, gt=0)


class OutlierParams(Strict):
    """Feature family ``outliers``: bounds learned on train, capping or log, flags."""

    enabled: bool = True
    detect: Literal["iqr", "zscore", "quantile"] = "quantile"
    treat: Literal["clip", "log", "none"] = "clip"
    flags: bool = False
    iqr_k: float = Field(3.0, gt=0)
    z_max: float = Field(4.0, gt=0)
    quantiles: Annotated[list[float], Field(min_length=2, max_length=2)] = Field(
        default_factory=lambda: [0.001, 0.999]
    )
    isolation_forest: bool = False
    isolation_trees: int = Field(100, gt=0)

    @model_validator(mode="after")
    def _quantiles_ordered(self) -> OutlierParams:
        low, high = self.quantiles
        if not 0 <= low < high <= 1:
            raise ValueError(f"quantiles must satisfy 0 <= low < high <= 1, got {self.quantiles}")
        return self


class TransformParams(Strict):
    """Feature family ``transforms``: skew transforms, scaling, binning (and log_columns)."""

    enabled: bool = True
    skew: Literal["log1p", "yeo-johnson", "none"] = "log1p"
    skew_threshold: float = Field(2.0, gt=0)
    scaler: Literal["standard", "minmax", "robust"] = "standard"
    # column: number of bins (added as ``bin__<column>`` beside the column itself)
    bins: dict[str, int] = Field(default_factory=lambda: {"age": 5, "tenure_days": 6})
    bin_strategy: Literal["quantile", "uniform"] = "quantile"

    @model_validator(mode="after")
    def _bins_at_least_two(self) -> TransformParams:
        bad = {c: n for c, n in self.bins.items() if n < 2}
        if bad:
            raise ValueError(f"bins needs at least 2 bins per column, got {bad}")
        return self


class EncodingParams(Strict):
    """Feature family ``encoding``: one-hot (rare grouped), ordinal, target encoding."""

    enabled: bool = True
    # Categorical columns with at least this many distinct train values are target-encoded.
    target_min_cardinality: int = Field(30, ge=2)
    target_cv: int = Field(5, ge=2, le=20)


DatePart = Literal["year", "quarter", "month", "dayofweek", "days_before_snapshot"]


class DateParams(Strict):
    """Feature family ``dates``: calendar parts and elapsed days of each date column."""

    enabled: bool = True
    parts: list[DatePart] = Field(
        default_factory=lambda: ["year", "quarter", "month", "dayofweek", "days_before_snapshot"],
        min_length=1,
    )


class ConstructParams(Strict):
    """Feature family ``constructed``: ratios (featurize.ratios), products, polynomial terms."""

    enabled: bool = True
    # name: [left, right], the product of two numeric columns
    products: dict[str, Pair] = Field(
        default_factory=lambda: {"fee_x_failed_payments": ["monthly_fee", "failed_payments_90d"]}
    )
    # name: [column, group]: the column over its train median within the group's category
    group_ratios: dict[str, Pair] = Field(
        default_factory=lambda: {"fee_vs_plan": ["monthly_fee", "plan"]}
    )
    # Degree-2 terms (squares and pairwise products) of these columns; empty: off.
    polynomial: list[str] = Field(default_factory=list)


SelectionStep = Literal["variance", "correlation", "kbest", "l1", "tree", "rfe", "pca"]


class SelectionParams(Strict):
    """Feature selection and reduction inside the featurizer, in the order of ``steps``."""

    enabled: bool = False
    steps: list[SelectionStep] = Field(
        default_factory=lambda: ["variance", "correlation", "tree"], min_length=1
    )
    variance_threshold: float = Field(0.0, ge=0)
    max_correlation: float = Field(0.95, gt=0, le=1)
    kbest_score: Literal["f_classif", "chi2"] = "f_classif"
    k: int = Field(40, gt=0)
    l1_C: float = Field(0.05, gt=0)
    tree_keep: int = Field(40, gt=0)
    rfe_keep: int = Field(20, gt=0)
    pca_components: int = Field(10, gt=0)

    @model_validator(mode="after")
    def _steps_unique(self) -> SelectionParams:
        if len(set(self.steps)) != len(self.steps):
            raise ValueError(f"steps must not repeat a step, got {self.steps}")
        if "pca" in self.steps and self.steps[-1] != "pca":
            raise ValueError(
                f"pca must be the last step (it replaces the features), got {self.steps}"
            )
        return self
