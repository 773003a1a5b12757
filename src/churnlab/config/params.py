"""The typed, validated view of ``params.yaml``.

Every stage loads its section through :func:`load_params`, which fails before any work when
a key is unknown, a type is wrong or a value is out of range, naming the key path
(``params.yaml: train.xgboost.max_depth must be ...``). The sections of the feature families
(:mod:`churnlab.config.features`), of the models and model selection
(:mod:`churnlab.config.models`), of multi-table user data (:mod:`churnlab.config.events`) and
of the business owner's outputs (:mod:`churnlab.config.report`) live in their own modules.

About 470 lines, a third of them the docstrings below the fields (the documentation's params
reference is generated from them): the data, split, evaluation, business, serving and
monitoring sections are short and cross-validated together (``Params``'s validators read
several of them), so they stay in one module.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from churnlab.config.base import Strict
from churnlab.config.engine import EngineParams
from churnlab.config.events import CustomersParams, EventsParams
from churnlab.config.features import (
    ConstructParams,
    DateParams,
    EncodingParams,
    MissingParams,
    OutlierParams,
    Pair,
    SelectionParams,
    TransformParams,
)
from churnlab.config.models import CVParams, LeaderboardParams, SearchParams, TrainParams
from churnlab.config.report import ActionsParams, ReportParams
from churnlab.config.survival import SurvivalParams
from churnlab.config.uplift import UpliftParams
from churnlab.config.value import ValueParams
from churnlab.errors import UserError


class ColumnSpec(Strict):
    """A per-column type override for user data; ``order`` is required for ``ordinal``."""

    type: Literal["numeric", "categorical", "ordinal", "text", "datetime", "drop"]
    """The column's type: `numeric`, `categorical`, `ordinal` (needs `order`), `text` (TF-IDF),
    `datetime` (date parts) or `drop`."""
    order: list[str] = Field(default_factory=list)
    """The categories of an `ordinal` column from lowest to highest."""

    @model_validator(mode="after")
    def _order_for_ordinal(self) -> ColumnSpec:
        if self.type == "ordinal" and len(self.order) < 2:
            raise ValueError("an ordinal column needs an order of at least two values")
        return self


class QualityParams(Strict):
    """Data-quality gate thresholds; prepare fails before writing anything when one is broken."""

    min_rows: int = Field(100, gt=0)
    """Fewest labelled rows the table must have."""
    max_target_missing_share: float = Field(0.05, ge=0, le=1)
    """Largest share of rows whose target may be missing."""
    min_class_count: int = Field(20, gt=0)
    """Fewest rows each class (churn, no churn) must have."""
    leakage_auc: float = Field(0.99, gt=0.5, le=1)
    """A column that alone separates the classes with at least this ROC-AUC is dropped as a leak."""


class DataParams(Strict):
    """Section ``data``: the source of the customers, the snapshot date and the label window."""

    source: Literal["synthetic", "csv", "parquet", "sql"] = "synthetic"
    """Where customers come from: `synthetic` (the built-in generator), `csv`, `parquet` or
    `sql`."""
    snapshot_date: dt.date = Field(default=dt.date(2026, 6, 30), strict=False)
    """The point in time of the snapshot: features use only what happened before it."""
    churn_window_days: int = Field(60, gt=0, le=365)
    """Days after the snapshot in which a customer who leaves counts as a churner (the label
    window)."""
    # User data (source csv / parquet / sql): a file path or a SQLAlchemy-style URL.
    path: str = ""
    """User data: a CSV or Parquet file, or for `sql` a SQLAlchemy-style URL
    (`sqlite:///file.db`, `duckdb:///file.duckdb`, `postgresql+psycopg://...`; leave the password
    out)."""
    query: str = ""
    """`sql`: the query that returns one row per customer (or give `table`)."""
    table: str = ""
    """`sql`: the table with one row per customer (instead of `query`)."""
    target: str = ""
    """User data: the label column (leave empty with `events`, where the label is derived)."""
    # YAML 1.1 reads an unquoted Yes as true, so booleans are accepted (and matched to yes/no).
    positive: str | bool | int | float = ""
    """The target value that means churn (`Yes`, `1`, `true`, ...; matched whatever its case and
    surrounding spaces). YAML reads an unquoted Yes as true, so booleans are accepted."""
    id: str = ""
    """Optional customer id column; it becomes `customer_key`, a salted hash (without it the row
    number is hashed). Required with `events`."""
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)
    """Per-column type overrides of the inferred schema, e.g. `{plan: {type: ordinal, order:
    [basic, pro]}, notes: {type: text}}`."""
    quality: QualityParams = QualityParams()
    """The data-quality gate: prepare stops before writing anything when a threshold is broken."""
    customers: CustomersParams = CustomersParams()
    """Date columns of the customers table when an event log is given."""
    events: EventsParams = EventsParams()
    """An event/transaction log beside the customers table: prepare then builds the point-in-time
    snapshot from it."""

    @model_validator(mode="after")
    def _user_source_complete(self) -> DataParams:
        if self.source == "synthetic":
            if self.events.path:
                raise ValueError("data.events needs a customers table: set data.source and path")
            return self
        if not self.path:
            raise ValueError(f"data.source {self.source} needs data.path")
        if self.events.path:
            return self._events_complete()
        if not self.target:
            raise ValueError(f"data.source {self.source} needs data.target (the label column)")
        if str(self.positive).strip() == "":
            raise ValueError(f"data.source {self.source} needs data.positive (the churn value)")
        if self.source == "sql" and not (self.query or self.table):
            raise ValueError("data.source sql needs data.query or data.table")
        return self

    def _events_complete(self) -> DataParams:
        if not self.id:
            raise ValueError("data.events needs data.id (the customer id column of data.path)")
        if self.target or str(self.positive).strip():
            raise ValueError(
                "with data.events the label is churn after snapshot_date (closure or no "
                "activity); leave data.target and data.positive empty"
            )
        if self.source == "sql" and not (self.query or self.table):
            raise ValueError("data.source sql needs data.query or data.table")
        if self.events_source == "sql" and not (self.events.query or self.events.table):
            raise ValueError("SQL events need data.events.query or data.events.table")
        return self

    @property
    def events_source(self) -> str:
        """How to read the event log: its own ``source`` or the customers table's."""
        return self.events.source or self.source


class SyntheticParams(Strict):
    """Section ``synthetic``: size, seed and history of the built-in synthetic CRM data."""

    n_customers: int = Field(50_000, ge=100, le=20_000_000)
    """Customers the built-in generator creates."""
    seed: int = Field(42, ge=0)
    """Seed of the generator."""
    history_days: int = Field(180, ge=90, le=1095)
    """Days of login, payment and ticket history generated before the snapshot."""
    campaign_share: float = Field(0.3, ge=0, lt=1)
    """Share of customers who got a retention offer at random before the snapshot (the past
    campaign of the uplift stage; 0 = no campaign, labels as without an offer)."""


class PrepareParams(Strict):
    """Section ``prepare``: the aggregation windows of the point-in-time snapshot."""

    short_window_days: int = Field(30, gt=0)
    """The short aggregation window before the snapshot (features such as `logins_30d`,
    `spend_30d`)."""
    long_window_days: int = Field(90, gt=0)
    """The long aggregation window (features such as `logins_90d`, `tickets_90d`); must be longer
    than the short one."""

    @model_validator(mode="after")
    def _windows_ordered(self) -> PrepareParams:
        if self.short_window_days >= self.long_window_days:
            raise ValueError(
                "short_window_days must be smaller than long_window_days, got "
                f"{self.short_window_days} and {self.long_window_days}"
            )
        return self


class SplitParams(Strict):
    """Section ``split``: the train / validation / test split, one row per customer."""

    method: Literal["stratified", "time"] = "stratified"
    """`stratified` (random, with the same churn rate in every part) or `time` (the oldest
    customers by `time_column` in train, the newest in test)."""
    time_column: str = "signup_date"
    """The date column that orders customers for `method: time`."""
    train: float = Field(0.70, gt=0, lt=1)
    """Share of customers in the train split."""
    valid: float = Field(0.15, gt=0, lt=1)
    """Share in the validation split (early stopping, calibration, the threshold)."""
    test: float = Field(0.15, gt=0, lt=1)
    """Share in the test split (evaluate only); the three shares must sum to 1."""
    seed: int = Field(42, ge=0)
    """Seed of the split."""

    @model_validator(mode="after")
    def _fractions_sum_to_one(self) -> SplitParams:
        total = self.train + self.valid + self.test
        if abs(total - 1.0) > 1e-9:
            raise ValueError(
                f"train + valid + test must sum to 1, got {self.train} + {self.valid} + "
                f"{self.test} = {total:g}"
            )
        return self


class TextParams(Strict):
    """Section ``featurize.text``: TF-IDF of the support-ticket text, optionally reduced by SVD."""

    enabled: bool = True
    """Switch the text family on or off (off: no text features)."""
    max_features: int = Field(100, gt=0)
    """Terms kept in the TF-IDF vocabulary (the most frequent in train)."""
    ngram_max: int = Field(2, ge=1, le=3)
    """Longest word n-gram (1 to 3)."""
    min_df: int = Field(5, gt=0)
    """Fewest train documents a term must appear in."""
    norm: Literal["l2", "none"] = "l2"
    """`l2`: each customer's TF-IDF row has unit length; `none`: sublinear counts × idf, so three
    complaints weigh more than one."""
    svd_components: int = Field(0, ge=0)
    """Truncated SVD of the TF-IDF terms to this many dense components; 0 keeps the terms."""


class FeaturizeParams(Strict):
    """Section ``featurize``: the featurizer, fitted on the train split only."""

    log_columns: list[str] = Field(default_factory=list)
    """Numeric columns that always get log1p (skewed amounts), besides those the `transforms`
    family picks by skewness."""
    scale: bool = True
    """Scale the numeric columns (with `transforms.scaler`)."""
    onehot_min_frequency: int = Field(20, gt=0)
    """Categories seen fewer times than this in train are grouped into one `infrequent_sklearn`
    column."""
    ordinal: dict[str, list[str]] = Field(default_factory=dict)
    """Ordered categorical columns and their order from lowest to highest, encoded as ranks."""
    date_columns: list[str] = Field(default_factory=list)
    """Date columns made into date parts and elapsed days (with the schema's datetime columns)."""
    ratios: dict[str, Pair] = Field(default_factory=dict)
    """Ratio features, `name: [numerator, denominator]`."""
    text: TextParams = TextParams()
    """TF-IDF of the support-ticket text."""
    # The feature-engineering catalogue: one section per family, each with ``enabled``.
    seed: int = Field(42, ge=0)
    """Seed of every random step of the featurizer (iterative imputation, Isolation Forest,
    binning sample, text SVD, target-encoding folds, selection)."""
    missing: MissingParams = MissingParams()
    """Feature family `missing`: imputation, indicators, sparse rows and columns."""
    outliers: OutlierParams = OutlierParams()
    """Feature family `outliers`: bounds learned on train, capping or log, flags."""
    transforms: TransformParams = TransformParams()
    """Feature family `transforms`: skew transforms, scaling, binning."""
    encoding: EncodingParams = EncodingParams()
    """Feature family `encoding`: one-hot, ordinal and target encoding."""
    dates: DateParams = DateParams()
    """Feature family `dates`: calendar parts and elapsed days."""
    constructed: ConstructParams = ConstructParams()
    """Feature family `constructed`: ratios, products, group ratios, polynomial terms."""
    selection: SelectionParams = SelectionParams()
    """Feature selection and reduction (off by default)."""


class EvaluateParams(Strict):
    """Section ``evaluate``: intervals, slices, explanations and the report of the test split."""

    calibration_bins: int = Field(10, ge=2, le=100)
    """Equal-width bins of the calibration plot and of the expected calibration error (train and
    evaluate)."""
    top_features: int = Field(20, gt=0)
    """Features shown in the importance plots."""
    bootstrap_resamples: int = Field(1000, ge=10, le=100_000)
    """Bootstrap resamples of the test customers for the metric intervals and paired comparisons."""
    bootstrap_seed: int = Field(42, ge=0)
    """Seed of the bootstrap."""
    confidence: float = Field(0.95, gt=0, lt=1)
    """Confidence level of the bootstrap intervals."""
    segments: list[str] = Field(
        default_factory=lambda: ["plan", "region", "contract", "tenure_band"]
    )
    """Categorical columns of the prepared table to slice the metrics by
    (`metrics/segments.json`); `tenure_band` is derived from `tenure_band_days`."""
    tenure_band_days: list[int] = Field(default_factory=lambda: [90, 365, 730])
    """Edges in days of the derived `tenure_band` segment (increasing)."""
    dependence_features: int = Field(4, ge=0, le=12)
    """Top features that get a SHAP dependence plot (`plots/dependence/`)."""
    top_customers: int = Field(20, ge=0, le=1000)
    """Highest-risk test customers listed in `reports/top_risk_customers.md|csv`."""
    reasons_per_customer: int = Field(3, gt=0, le=10)
    """Reasons (features raising the risk most) listed per top-risk customer."""
    explain_rows: int = Field(2_000, ge=100)
    """SHAP importance and dependence plots use a seeded sample of at most this many test
    customers (exact TreeSHAP on 150,000 customers was most of evaluate's time at 1M customers;
    2,000 of the default 7,500 gives the same top features); the top-risk customers are
    always explained, so their reasons do not depend on it."""
    explain_seed: int = Field(42, ge=0)
    """Seed of that sample."""

    @model_validator(mode="after")
    def _bands_increasing(self) -> EvaluateParams:
        edges = self.tenure_band_days
        if not edges or any(e <= 0 for e in edges) or edges != sorted(set(edges)):
            raise ValueError(
                f"tenure_band_days must be increasing positive day counts, got {edges}"
            )
        if len(set(self.segments)) != len(self.segments):
            raise ValueError(f"segments must not repeat a column, got {self.segments}")
        return self


class BusinessParams(Strict):
    """The cost matrix of a retention campaign, in one currency per customer.

    A contacted churner who accepts the offer is retained (gains ``retained_customer_value``);
    every contacted customer costs ``offer_cost``; the campaign can reach
    ``contact_budget_share`` of the customers, highest risk first.
    """

    retained_customer_value: float = Field(500.0, gt=0)
    """What a retained churner is worth."""
    offer_cost: float = Field(50.0, ge=0)
    """What one contact (a retention offer) costs, accepted or not."""
    offer_acceptance_rate: float = Field(0.3, gt=0, le=1)
    """Share of contacted churners who accept the offer and stay."""
    contact_budget_share: float = Field(0.1, gt=0, le=1)
    """Share of customers the campaign can contact, highest risk first (the budget figures and
    `threshold.method: budget`)."""
    currency: str = Field("EUR", min_length=1, max_length=12)
    """The currency of these amounts, shown after every amount in the reports (`EUR`, `USD`,
    `£`, ...); it changes no figure."""


class ServeParams(Strict):
    """Section ``serve``: limits and outputs of the REST API and batch scoring."""

    max_batch: int = Field(10_000, gt=0)
    """Most customers in one `/predict` request (more: 413)."""
    max_body_bytes: int = Field(20_000_000, gt=0)
    """Largest `/predict` body in bytes (larger: 413)."""
    top_reasons: int = Field(3, ge=0, le=20)
    """Reasons returned per customer by the API and batch scoring (0: none, faster)."""
    # exact: TreeSHAP (as evaluate); approx: XGBoost's path attribution (Saabas), also
    # additive to the log-odds, ~7x faster on a 1,000-customer request (measured).
    contributions: Literal["exact", "approx"] = "exact"
    """`exact`: TreeSHAP, as evaluate; `approx`: XGBoost's path attribution (Saabas), also
    additive to the log-odds and faster on large requests."""
    chunk_rows: int = Field(100_000, gt=0)
    """Rows read, scored and written at a time by `churnlab score`."""
    tier_names: list[str] = Field(default_factory=lambda: ["low", "medium", "high"])
    """Names of the risk tiers, lowest first."""
    tier_bounds: list[float] = Field(default_factory=lambda: [0.2, 0.5])
    """Probabilities where the tiers start: `tier_names[i + 1]` starts at `tier_bounds[i]`
    (increasing, inside (0, 1))."""
    call_list_order: Literal["value_at_risk", "probability", "uplift"] = "value_at_risk"
    """How `churnlab predict` orders its call list. `value_at_risk`: expected value at risk =
    the churn probability (within `survival.value_horizon_days` when the survival model is
    saved with the churn model) × the customer's value (the value column, else the survival
    model's lifetime value, else `business.retained_customer_value`); with one value for every
    customer this is the churn-probability order. `probability`: churn probability alone.
    `uplift`: expected net gain of a contact (uplift × value − offer cost; needs the uplift
    model, else value at risk)."""

    @model_validator(mode="after")
    def _tiers_ordered(self) -> ServeParams:
        bounds = self.tier_bounds
        if len(self.tier_names) != len(bounds) + 1:
            raise ValueError(
                f"tier_names needs one more entry than tier_bounds, got {len(self.tier_names)} "
                f"names and {len(bounds)} bounds"
            )
        if bounds != sorted(set(bounds)) or any(not 0 < b < 1 for b in bounds):
            raise ValueError(f"tier_bounds must increase strictly inside (0, 1), got {bounds}")
        return self


class DriftParams(Strict):
    """Section ``drift``: when ``churnlab drift`` calls a feature or the predictions drifted."""

    bins: int = Field(10, ge=2, le=100)
    """Reference-quantile bins of a numeric feature's PSI (and of the prediction PSI)."""
    psi_threshold: float = Field(0.2, gt=0)
    """A feature drifts when its PSI exceeds this and its test's p-value is below `p_value`."""
    p_value: float = Field(0.001, gt=0, lt=1)
    """Significance level of the KS (numbers) or chi-squared (categories) test."""
    prediction_psi_threshold: float = Field(0.1, gt=0)
    """`churnlab drift` exits 1 when the PSI of the predicted probabilities exceeds this."""
    max_drifted_features: int = Field(0, ge=0)
    """`churnlab drift` exits 1 when more features than this drift."""


class RegistryParams(Strict):
    """Section ``registry``: the promotion gate of ``churnlab register`` (GTO)."""

    min_roc_auc: float = Field(0.80, ge=0, le=1)
    """The promotion gate's floor: the test ROC-AUC a model needs to be registered."""
    baseline_margin: float = Field(0.01, ge=-1, le=1)
    """The model must also beat the logistic-regression baseline's test ROC-AUC by this much."""
    stage: str = "prod"
    """The GTO stage a promoted model is assigned to."""


class Params(Strict):
    """All of ``params.yaml``: one field per section."""

    data: DataParams = DataParams()
    """Where the customers come from and how the label is defined."""
    synthetic: SyntheticParams = SyntheticParams()
    """The built-in synthetic data (`data.source: synthetic`)."""
    prepare: PrepareParams = PrepareParams()
    """Aggregation windows of the point-in-time snapshot."""
    split: SplitParams = SplitParams()
    """The train / validation / test split."""
    featurize: FeaturizeParams = FeaturizeParams()
    """The featurizer: the feature families and their options."""
    train: TrainParams = TrainParams()
    """The model, its hyper-parameters, calibration and the decision threshold."""
    cv: CVParams = CVParams()
    """Cross-validation of the model-selection studies (`studies/dvc.yaml`)."""
    leaderboard: LeaderboardParams = LeaderboardParams()
    """The leaderboard's candidates and selection rule (`studies/dvc.yaml`)."""
    search: SearchParams = SearchParams()
    """The hyper-parameter search (`studies/dvc.yaml`)."""
    evaluate: EvaluateParams = EvaluateParams()
    """Test-set evaluation: intervals, slices, explanations and the report."""
    business: BusinessParams = BusinessParams()
    """The cost matrix of a retention campaign, for thresholds and business figures."""
    serve: ServeParams = ServeParams()
    """The REST API and batch scoring."""
    drift: DriftParams = DriftParams()
    """Drift monitoring (`churnlab drift`)."""
    registry: RegistryParams = RegistryParams()
    """The promotion gate of `churnlab register`."""
    actions: ActionsParams = ActionsParams()
    """The suggested action per reason family (`churnlab predict`, the HTML report)."""
    report: ReportParams = ReportParams()
    """How reasons are worded, where a customer's value comes from, derived segments."""
    value: ValueParams = ValueParams()
    """Customer value from purchase logs: BG/NBD and Gamma-Gamma, and their BTYD check."""
    survival: SurvivalParams = SurvivalParams()
    """Time to churn, its models, metrics and the value at risk (`churnlab survival`)."""
    engine: EngineParams = EngineParams()
    """Which engine runs the stages: `local` or Apache `spark` (issue 16)."""
    uplift: UpliftParams = UpliftParams()
    """Uplift modelling of a past retention campaign and the contact policy (`uplift` stage)."""


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"{key} is not a known key"
    if error["type"] == "missing":
        return f"{key} is required"
    found = error.get("input")
    return (
        f"{key}: {message}, got {found!r}" if not isinstance(found, dict) else f"{key}: {message}"
    )


def parse_params(raw: object, source: str = "params.yaml") -> Params:
    """Validate a mapping as read from YAML; raise UserError naming every bad key path."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise UserError(f"{source}: expected a mapping of sections, got {type(raw).__name__}")
    try:
        params = Params.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{source}: {_describe(err)}" for err in exc.errors()]
        raise UserError("\n".join(lines)) from None
    _check_search_space(params, source)
    return params


def _check_search_space(params: Params, source: str) -> None:
    """Every searched name must be a hyper-parameter of ``train.<search.model>``."""
    model = params.search.model
    known = set(type(getattr(params.train, model)).model_fields)
    unknown = sorted(set(params.search.space) - known)
    if unknown:
        raise UserError(
            f"{source}: search.space.{unknown[0]} is not a hyper-parameter of train.{model}; "
            f"known: {', '.join(sorted(known))}"
        )


def text_line(data: bytes, offset: int) -> int:
    """The 1-based line of byte ``offset`` in ``data``."""
    return data.count(b"\n", 0, offset) + 1


def load_params(path: Path | str = "params.yaml") -> Params:
    """Read and validate ``params.yaml``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        line = text_line(path.read_bytes(), exc.start)
        raise UserError(
            f"{path} is not UTF-8: byte {exc.object[exc.start]:#04x} on line {line} "
            f"({exc.reason}); save the file as UTF-8"
        ) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(f"{path} is not valid YAML: {exc}") from None
    return parse_params(raw, str(path))
