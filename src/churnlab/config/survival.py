"""Section ``survival`` of ``params.yaml``: time to churn, its models and customer value.

Read by the ``survival`` stage (:mod:`churnlab.stages.survival`) and the pure code of
:mod:`churnlab.survival`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from churnlab.config.base import Strict

SurvivalModel = Literal["xgb_cox", "xgb_aft", "coxph", "rsf"]


class SurvivalValueParams(Strict):
    """Contractual customer value: margin per period over the discounted expected remaining
    lifetime, the survival curve extended past the follow-up by a geometric tail
    (:func:`churnlab.survival.curves.lifetime_periods`)."""

    margin_column: str = "monthly_fee"
    """Column of the customers (split tables) holding the revenue per period; empty = every
    customer has `margin_per_period`."""
    margin_share: float = Field(0.3, gt=0, le=1)
    """Share of the revenue in `margin_column` that is margin."""
    margin_per_period: float = Field(10.0, ge=0)
    """Margin per period when `margin_column` is empty or missing for a customer."""
    period_days: int = Field(30, gt=0, le=366)
    """Length of one billing period in days."""
    discount_rate: float = Field(0.01, ge=0, lt=1)
    """Discount rate per period of future margins."""
    max_periods: int = Field(60, gt=0, le=600)
    """Lifetime cap in periods from the snapshot (60 monthly periods = 5 years): the expected
    remaining lifetime counts the periods up to it. Beyond the observed follow-up the survival
    curve continues with the hazard of its last `tail_periods` held constant (a geometric
    tail); a cap at or below the observed periods counts the follow-up only."""
    tail_periods: int = Field(3, gt=0, le=24)
    """Observed periods at the end of the follow-up whose mean hazard per period the tail keeps
    (fewer when the follow-up has fewer periods)."""


class SurvivalParams(Strict):
    """Time to churn: durations after the snapshot, survival models, metrics and value at risk.

    A customer's duration runs from the snapshot to the account closure or to the start of the
    first inactivity of `data.churn_window_days` (the label's definition), censored at the end
    of the observed history.
    """

    follow_up_days: int = Field(365, ge=90, le=1825)
    """Synthetic data: days of history generated after the snapshot (end of observation)."""
    observed_until: dt.date | None = Field(None, strict=False)
    """User data: the end of the observed history; empty = the last event of the log."""
    model: SurvivalModel = "xgb_cox"
    """The survival model whose figures are the headline of `metrics/survival.json`."""
    baselines: list[SurvivalModel] = Field(default_factory=list)
    """Further models reported beside it, e.g. `[xgb_aft, coxph, rsf]` (scikit-survival's Cox
    model and random survival forest are the field's baselines); empty by default to keep the
    stage short."""
    horizons_days: list[int] = Field(default_factory=lambda: [30, 60, 90])
    """Horizons of the churn probabilities and the time-dependent AUC."""
    value_horizon_days: int = Field(60, gt=0)
    """Horizon of the value at risk: P(churn within it) times the customer's value."""
    n_estimators: int = Field(500, gt=0)
    """XGBoost models: most boosting rounds (early stopping on the validation split)."""
    learning_rate: float = Field(0.1, gt=0, le=1)
    """XGBoost models: the learning rate."""
    max_depth: int = Field(4, gt=0, le=16)
    """XGBoost models: depth of the trees."""
    refit: bool = False
    """XGBoost models: after early stopping on the validation split, fit again on train+valid
    with the number of rounds scaled by the row ratio (as the classifier's `refit:
    train_valid`); the Breslow baseline then comes from train+valid too."""
    aft_sigma: float = Field(1.0, gt=0)
    """`xgb_aft`: scale of the log-normal error distribution."""
    coxph_alpha: float = Field(1.0, ge=0)
    """`coxph`: ridge penalty (one-hot columns are collinear, so keep it above zero)."""
    baseline_max_rows: int = Field(5000, ge=100)
    """`coxph` and `rsf`: fitted on a seeded sample of at most this many training rows (both
    grow fast with the rows)."""
    rsf_trees: int = Field(50, gt=0)
    """`rsf`: number of trees."""
    n_jobs: int = Field(2, gt=0)
    """Threads of the XGBoost models and the forest."""
    bootstrap_resamples: int = Field(100, ge=20)
    """Bootstrap resamples of the test customers for the intervals."""
    seed: int = Field(42, ge=0)
    """Seed of the forest, the row sample and the bootstrap."""
    cross_validate: bool = True
    """Also cross-validate every model (`model` and `baselines`) on the folds the classifiers
    use (`cv.folds`, `cv.seed`, as the studies' folds stage assigns them): concordance and
    integrated Brier score per fold under `cv` in `metrics/survival.json`."""
    offer_covariate: bool = True
    """Give the survival models the past campaign's offer flag as a covariate (`past_offer`)
    when the data has a campaign (synthetic, or a user table with the `uplift.treatment`
    column): an observed fact before the snapshot. Scoring customers without that column
    counts them as not offered. The churn classifier never reads it."""
    uplift_blend: bool = False
    """`xgb_cox` with a past campaign: rank by the Cox margin plus a weight times the churn
    log-odds of each customer's own arm (offered or not) from the uplift stage's learner
    (`models/uplift.skops`, fitted on train), the weight chosen on the validation split's
    concordance (:mod:`churnlab.survival.blend`). No campaign, no uplift model (or
    `uplift.enabled: false`): the Cox margin alone."""
    segment: str = "contract"
    """Column of the split tables whose values get one Kaplan-Meier curve each."""
    value: SurvivalValueParams = SurvivalValueParams()
    """How the value of a customer is computed."""

    @model_validator(mode="after")
    def _horizons_valid(self) -> SurvivalParams:
        if not self.horizons_days or min(self.horizons_days) <= 0:
            raise ValueError("horizons_days must be a non-empty list of positive day counts")
        if self.model in self.baselines:
            raise ValueError(f"baselines must not repeat the headline model {self.model}")
        return self
