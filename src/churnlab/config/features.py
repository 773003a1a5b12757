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
    """Switch the family on or off (off: median / "Unknown" imputation without indicators or
    drops)."""
    numeric: NumericImpute = "median"
    """How numeric columns are imputed: `mean`, `median`, `most_frequent`, `constant` (0), `knn`
    or `iterative` (MICE-style; slow at 1M rows)."""
    categorical: Literal["most_frequent", "constant"] = "constant"
    """How categorical columns are imputed: `most_frequent`, or `constant` (the category
    "Unknown")."""
    indicators: bool = True
    """Add a `missingindicator_<column>` 0/1 feature for every column with missing values in
    train."""
    max_column_missing_share: float = Field(0.5, gt=0, le=1)
    """Columns missing in more than this share of train rows are dropped (listed in
    `metrics/featurize.json`)."""
    max_row_missing_share: float = Field(0.5, gt=0, le=1)
    """Train rows missing more than this share of their columns are left out of the fit (valid
    and test rows are never dropped)."""
    knn_neighbors: int = Field(5, gt=0)
    """Neighbours of the `knn` imputer."""
    iterative_max_iter: int = Field(10, gt=0)
    """Rounds of the `iterative` imputer."""


class OutlierParams(Strict):
    """Feature family ``outliers``: bounds learned on train, capping or log, flags."""

    enabled: bool = True
    """Switch the family on or off (off: no capping, flags or forest)."""
    detect: Literal["iqr", "zscore", "quantile"] = "quantile"
    """How bounds are learned on train: `iqr` (`iqr_k`), `zscore` (`z_max`) or `quantile`
    (`quantiles`)."""
    treat: Literal["clip", "log", "none"] = "clip"
    """What happens outside the bounds: `clip` (cap at the bounds), `log` (signed log1p of the
    columns that had outliers) or `none`."""
    flags: bool = False
    """Add an `outlier_<column>` 0/1 feature per numeric column."""
    iqr_k: float = Field(3.0, gt=0)
    """Bounds at the quartiles ± this many interquartile ranges (`detect: iqr`)."""
    z_max: float = Field(4.0, gt=0)
    """Bounds at the mean ± this many standard deviations (`detect: zscore`)."""
    quantiles: Annotated[list[float], Field(min_length=2, max_length=2)] = Field(
        default_factory=lambda: [0.001, 0.999]
    )
    """Lower and upper train quantile used as bounds (`detect: quantile`)."""
    isolation_forest: bool = False
    """Add `is_unusual` and `unusual_score` from an Isolation Forest fitted on train (slow at 1M
    rows)."""
    isolation_trees: int = Field(100, gt=0)
    """Trees of the Isolation Forest."""

    @model_validator(mode="after")
    def _quantiles_ordered(self) -> OutlierParams:
        low, high = self.quantiles
        if not 0 <= low < high <= 1:
            raise ValueError(f"quantiles must satisfy 0 <= low < high <= 1, got {self.quantiles}")
        return self


class TransformParams(Strict):
    """Feature family ``transforms``: skew transforms, scaling, binning (and log_columns)."""

    enabled: bool = True
    """Switch the family on or off (off: no skew transforms, scaling or bins)."""
    skew: Literal["log1p", "yeo-johnson", "none"] = "log1p"
    """Transform of columns whose train skewness exceeds `skew_threshold`: `log1p` (signed),
    `yeo-johnson` or `none`; 0/1 columns never."""
    skew_threshold: float = Field(2.0, gt=0)
    """Absolute train skewness above which a numeric column is transformed."""
    scaler: Literal["standard", "minmax", "robust"] = "standard"
    """Scaler of the numeric columns when `featurize.scale` is true: `standard`, `minmax` or
    `robust`."""
    bins: dict[str, int] = Field(default_factory=lambda: {"age": 5, "tenure_days": 6})
    """Columns to bin, with their number of bins; each adds `bin__<column>` beside the column
    itself (age groups, tenure bands)."""
    bin_strategy: Literal["quantile", "uniform"] = "quantile"
    """Bin edges: `quantile` (equal counts in train) or `uniform` (equal widths)."""

    @model_validator(mode="after")
    def _bins_at_least_two(self) -> TransformParams:
        bad = {c: n for c, n in self.bins.items() if n < 2}
        if bad:
            raise ValueError(f"bins needs at least 2 bins per column, got {bad}")
        return self


class EncodingParams(Strict):
    """Feature family ``encoding``: one-hot (rare grouped), ordinal, target encoding."""

    enabled: bool = True
    """Switch the family on or off (off: one arbitrary integer code per category)."""
    target_min_cardinality: int = Field(30, ge=2)
    """Categorical columns with at least this many distinct train values are target-encoded
    (scikit-learn's `TargetEncoder`, cross-fitted); fewer: one-hot."""
    target_cv: int = Field(5, ge=2, le=20)
    """Stratified folds of the target encoder's cross-fitting on train (seeded by
    `featurize.seed`)."""


DatePart = Literal["year", "quarter", "month", "dayofweek", "days_before_snapshot"]


class DateParams(Strict):
    """Feature family ``dates``: calendar parts and elapsed days of each date column."""

    enabled: bool = True
    """Switch the family on or off (off: date columns are dropped)."""
    parts: list[DatePart] = Field(
        default_factory=lambda: ["year", "quarter", "month", "dayofweek", "days_before_snapshot"],
        min_length=1,
    )
    """Features made of each date column: `year`, `quarter`, `month`, `dayofweek`,
    `days_before_snapshot` (elapsed days; for `signup_date` the tenure)."""


class ConstructParams(Strict):
    """Feature family ``constructed``: ratios (featurize.ratios), products, polynomial terms."""

    enabled: bool = True
    """Switch the family on or off (off: no ratios, products or polynomial terms)."""
    products: dict[str, Pair] = Field(
        default_factory=lambda: {"fee_x_failed_payments": ["monthly_fee", "failed_payments_90d"]}
    )
    """Product features, `name: [left, right]` of two numeric columns."""
    group_ratios: dict[str, Pair] = Field(
        default_factory=lambda: {"fee_vs_plan": ["monthly_fee", "plan"]}
    )
    """Group ratio features, `name: [column, group]`: the column over its train median within the
    customer's group (an unseen group uses the overall median)."""
    polynomial: list[str] = Field(default_factory=list)
    """Columns whose degree-2 terms (squares and pairwise products of the standardised columns)
    are added; empty: off."""


SelectionStep = Literal["variance", "correlation", "kbest", "l1", "tree", "rfe", "pca"]


class SelectionParams(Strict):
    """Feature selection and reduction inside the featurizer, in the order of ``steps``."""

    enabled: bool = False
    """Switch feature selection on (after the column transformer, fitted on train;
    `reports/feature_selection.md` says why each feature went)."""
    steps: list[SelectionStep] = Field(
        default_factory=lambda: ["variance", "correlation", "tree"], min_length=1
    )
    """Selection steps in order: `variance`, `correlation`, `kbest`, `l1`, `tree`, `rfe`, `pca`
    (last; its components replace the features)."""
    variance_threshold: float = Field(0.0, ge=0)
    """`variance`: features whose train variance is at or below this are dropped."""
    max_correlation: float = Field(0.95, gt=0, le=1)
    """`correlation`: of a pair of features correlated above this, the later one is dropped."""
    kbest_score: Literal["f_classif", "chi2"] = "f_classif"
    """`kbest`: the univariate score, `f_classif` (ANOVA F) or `chi2`."""
    k: int = Field(40, gt=0)
    """`kbest`: features kept."""
    l1_C: float = Field(0.05, gt=0)
    """`l1`: inverse regularisation of the L1 logistic regression; features with non-zero
    coefficients are kept."""
    tree_keep: int = Field(40, gt=0)
    """`tree`: features kept by random-forest importance."""
    rfe_keep: int = Field(20, gt=0)
    """`rfe`: features kept by recursive feature elimination."""
    pca_components: int = Field(10, gt=0)
    """`pca`: principal components that replace the features."""

    @model_validator(mode="after")
    def _steps_unique(self) -> SelectionParams:
        if len(set(self.steps)) != len(self.steps):
            raise ValueError(f"steps must not repeat a step, got {self.steps}")
        if "pca" in self.steps and self.steps[-1] != "pca":
            raise ValueError(
                f"pca must be the last step (it replaces the features), got {self.steps}"
            )
        return self
