"""The typed, validated view of ``params.yaml``.

Every stage loads its section through :func:`load_params`, which fails before any work when
a key is unknown, a type is wrong or a value is out of range, naming the key path
(``params.yaml: train.xgboost.max_depth must be ...``). The sections of the feature families
(:mod:`churnlab.config.features`), of the models and model selection
(:mod:`churnlab.config.models`) and of multi-table user data (:mod:`churnlab.config.events`)
live in their own modules.

About 330 lines: the data, split, evaluation, business, serving and monitoring sections are
short and cross-validated together (``Params``'s validators read several of them), so they
stay in one module.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from churnlab.config.base import Strict
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
from churnlab.errors import UserError


class ColumnSpec(Strict):
    """A per-column type override for user data; ``order`` is required for ``ordinal``."""

    type: Literal["numeric", "categorical", "ordinal", "text", "datetime", "drop"]
    order: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _order_for_ordinal(self) -> ColumnSpec:
        if self.type == "ordinal" and len(self.order) < 2:
            raise ValueError("an ordinal column needs an order of at least two values")
        return self


class QualityParams(Strict):
    """Data-quality gate thresholds; prepare fails before writing anything when one is broken."""

    min_rows: int = Field(100, gt=0)
    max_target_missing_share: float = Field(0.05, ge=0, le=1)
    min_class_count: int = Field(20, gt=0)
    leakage_auc: float = Field(0.99, gt=0.5, le=1)


class DataParams(Strict):
    source: Literal["synthetic", "csv", "parquet", "sql"] = "synthetic"
    snapshot_date: dt.date = Field(default=dt.date(2026, 6, 30), strict=False)
    churn_window_days: int = Field(60, gt=0, le=365)
    # User data (source csv / parquet / sql): a file path or a SQLAlchemy-style URL.
    path: str = ""
    query: str = ""
    table: str = ""
    target: str = ""
    # YAML 1.1 reads an unquoted Yes as true, so booleans are accepted (and matched to yes/no).
    positive: str | bool | int | float = ""
    id: str = ""
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)
    quality: QualityParams = QualityParams()
    customers: CustomersParams = CustomersParams()
    events: EventsParams = EventsParams()

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
    n_customers: int = Field(50_000, ge=100, le=20_000_000)
    seed: int = Field(42, ge=0)
    history_days: int = Field(180, ge=90, le=1095)


class PrepareParams(Strict):
    short_window_days: int = Field(30, gt=0)
    long_window_days: int = Field(90, gt=0)

    @model_validator(mode="after")
    def _windows_ordered(self) -> PrepareParams:
        if self.short_window_days >= self.long_window_days:
            raise ValueError(
                "short_window_days must be smaller than long_window_days, got "
                f"{self.short_window_days} and {self.long_window_days}"
            )
        return self


class SplitParams(Strict):
    method: Literal["stratified", "time"] = "stratified"
    time_column: str = "signup_date"
    train: float = Field(0.70, gt=0, lt=1)
    valid: float = Field(0.15, gt=0, lt=1)
    test: float = Field(0.15, gt=0, lt=1)
    seed: int = Field(42, ge=0)

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
    enabled: bool = True
    max_features: int = Field(100, gt=0)
    ngram_max: int = Field(2, ge=1, le=3)
    min_df: int = Field(5, gt=0)
    # l2: each customer's TF-IDF row has unit length; none: raw sublinear counts x idf, so
    # three complaints weigh more than one.
    norm: Literal["l2", "none"] = "l2"
    # Truncated SVD of the TF-IDF matrix to this many dense components (0: keep the terms).
    svd_components: int = Field(0, ge=0)


class FeaturizeParams(Strict):
    log_columns: list[str] = Field(default_factory=list)
    scale: bool = True
    onehot_min_frequency: int = Field(20, gt=0)
    ordinal: dict[str, list[str]] = Field(default_factory=dict)
    date_columns: list[str] = Field(default_factory=list)
    # name: [numerator, denominator]
    ratios: dict[str, Pair] = Field(default_factory=dict)
    text: TextParams = TextParams()
    # The feature-engineering catalogue: one section per family, each with ``enabled``.
    seed: int = Field(42, ge=0)
    missing: MissingParams = MissingParams()
    outliers: OutlierParams = OutlierParams()
    transforms: TransformParams = TransformParams()
    encoding: EncodingParams = EncodingParams()
    dates: DateParams = DateParams()
    constructed: ConstructParams = ConstructParams()
    selection: SelectionParams = SelectionParams()


class EvaluateParams(Strict):
    calibration_bins: int = Field(10, ge=2, le=100)
    top_features: int = Field(20, gt=0)
    bootstrap_resamples: int = Field(1000, ge=10, le=100_000)
    bootstrap_seed: int = Field(42, ge=0)
    confidence: float = Field(0.95, gt=0, lt=1)
    # Categorical columns of the prepared table to slice metrics by; "tenure_band" is derived.
    segments: list[str] = Field(
        default_factory=lambda: ["plan", "region", "contract", "tenure_band"]
    )
    tenure_band_days: list[int] = Field(default_factory=lambda: [90, 365, 730])
    dependence_features: int = Field(4, ge=0, le=12)
    top_customers: int = Field(20, ge=0, le=1000)
    reasons_per_customer: int = Field(3, gt=0, le=10)
    # SHAP importance and dependence plots use a seeded sample of at most this many test
    # customers (exact TreeSHAP on 150k customers took most of evaluate at 1M customers).
    explain_rows: int = Field(20_000, ge=100)
    explain_seed: int = Field(42, ge=0)

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
    offer_cost: float = Field(50.0, ge=0)
    offer_acceptance_rate: float = Field(0.3, gt=0, le=1)
    contact_budget_share: float = Field(0.1, gt=0, le=1)


class ServeParams(Strict):
    max_batch: int = Field(10_000, gt=0)
    max_body_bytes: int = Field(20_000_000, gt=0)
    top_reasons: int = Field(3, ge=0, le=20)
    # exact: TreeSHAP (as evaluate); approx: XGBoost's path attribution (Saabas), also
    # additive to the log-odds, ~7x faster on a 1,000-customer request (measured).
    contributions: Literal["exact", "approx"] = "exact"
    chunk_rows: int = Field(100_000, gt=0)
    # Risk tiers: tier_names[i + 1] starts at probability tier_bounds[i].
    tier_names: list[str] = Field(default_factory=lambda: ["low", "medium", "high"])
    tier_bounds: list[float] = Field(default_factory=lambda: [0.2, 0.5])

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
    bins: int = Field(10, ge=2, le=100)
    psi_threshold: float = Field(0.2, gt=0)
    p_value: float = Field(0.001, gt=0, lt=1)
    prediction_psi_threshold: float = Field(0.1, gt=0)
    max_drifted_features: int = Field(0, ge=0)


class RegistryParams(Strict):
    min_roc_auc: float = Field(0.80, ge=0, le=1)
    baseline_margin: float = Field(0.01, ge=-1, le=1)
    stage: str = "prod"


class Params(Strict):
    data: DataParams = DataParams()
    synthetic: SyntheticParams = SyntheticParams()
    prepare: PrepareParams = PrepareParams()
    split: SplitParams = SplitParams()
    featurize: FeaturizeParams = FeaturizeParams()
    train: TrainParams = TrainParams()
    cv: CVParams = CVParams()
    leaderboard: LeaderboardParams = LeaderboardParams()
    search: SearchParams = SearchParams()
    evaluate: EvaluateParams = EvaluateParams()
    business: BusinessParams = BusinessParams()
    serve: ServeParams = ServeParams()
    drift: DriftParams = DriftParams()
    registry: RegistryParams = RegistryParams()


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


def load_params(path: Path | str = "params.yaml") -> Params:
    """Read and validate ``params.yaml``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(f"{path} is not valid YAML: {exc}") from None
    return parse_params(raw, str(path))
