"""The params section ``uplift``: the uplift stage's learners, campaign columns and decision.

The stage (``churnlab uplift``) learns from a past retention campaign who is persuaded by an
offer; the decision contacts a customer when their estimated uplift × customer value − offer
cost > 0, within the contact budget. The value of a retained customer and the contact budget
are those of the ``business`` section, so the uplift and the risk policies are compared on the
same money and the same number of contacts.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from churnlab.config.base import Strict
from churnlab.config.models import MODEL_NAMES

LEARNER_NAMES = ("s", "t", "x", "dr", "class_transformation", "shift", "shift_corrected")
Learner = Literal["s", "t", "x", "dr", "class_transformation", "shift", "shift_corrected"]


class UpliftParams(Strict):
    """Section ``uplift``: uplift modelling of a past campaign (the ``uplift`` stage)."""

    enabled: bool = True
    """Run the uplift stage (off: it writes `metrics/uplift.json` with `enabled: false`)."""
    learner: Learner | Literal["auto"] = "auto"
    """`s`, `t`, `x`, `dr` (doubly robust), `class_transformation` or `shift` (the control
    model's churn log-odds, the offer's shift of them boosted on the treated customers);
    `shift_corrected` (the same, the control model's log-odds first corrected by a booster on
    the control customers);
    `auto` = the candidate with the best Qini coefficient on the validation split, or with
    `uplift.cv_folds` > 0 the best cross-validated Qini on train."""
    candidates: list[Learner] = Field(default_factory=lambda: list(LEARNER_NAMES), min_length=1)
    """The learners `auto` compares (each is fitted on train and scored on valid and test)."""
    cv_folds: int = Field(0, ge=0, le=20)
    """`auto` keeps the candidate with the best mean Qini over this many folds of train
    (stratified by treatment × churn, a customer's fold a pure function of its key and
    `uplift.seed`; each fold's learners fitted on the other folds); the kept learner is then
    the one fitted on all of train. 0 = the best Qini on the validation split (a few hundred
    treated customers: noisier; see `uplift.prefer`). Each fold costs about one more fit of
    every candidate; 0 is the default because 2 folds kept the same learner as the cheaper
    `uplift.prefer` rule on every benchmarked split seed (`benchmarks/bench_uplift.py`,
    [Uplift](uplift.md))."""
    prefer: Learner | Literal[""] = "shift_corrected"
    """With `auto`, `uplift.cv_folds: 0` and this learner among `uplift.candidates` (else the
    plain rule): keep this candidate unless another one's Qini on
    the validation split is higher with the paired bootstrap interval of the difference
    (`uplift.bootstrap_resamples` resamples of the validation customers, `evaluate.confidence`)
    above zero; empty = the plain best validation Qini. A few hundred treated customers cannot
    tell close learners apart, and the plain rule then keeps whichever the noise favours
    (`benchmarks/bench_uplift.py`, [Uplift](uplift.md))."""
    cv_average_top: int = Field(3, ge=0, le=len(LEARNER_NAMES))
    """With 2 or more (and `uplift.cv_folds` > 0): one more candidate, `average`, the mean
    uplift of this many candidates with the best cross-validated Qini, scored on the same
    folds; 0 = no average."""
    base_model: str = "logreg"
    """The zoo classifier inside every learner (a `train` model name; its `train.<name>`
    hyper-parameters, early-stopped on the validation split where the model does)."""
    base_params: dict[str, float | int] = Field(default_factory=dict)
    """Hyper-parameters of `uplift.base_model` that replace its `train.<name>` ones inside the
    uplift learners only (the churn settings are tuned for ranking risk, not for learning an
    effect); `early_stopping_rounds: 0` = fixed rounds, no early stopping on the validation
    split. Empty = the churn model's settings. E.g. LightGBM's library defaults
    (`churnlab.uplift.base.LIGHTGBM_LIBRARY_DEFAULTS`), with which our S-learner equals
    causalml's S-learner over LightGBM ([Uplift](uplift.md))."""
    offer_cost: float | None = Field(None, ge=0)
    """Cost of one offer; empty = `business.offer_cost`."""
    contact_budget_share: float | None = Field(None, gt=0, le=1)
    """At most this share of customers is contacted; empty = `business.contact_budget_share`."""
    treatment: str = "treated"
    """User data: the column that says who got the offer (synthetic: the campaign log)."""
    treated_value: str | bool | int | float = 1
    """The value of `uplift.treatment` that means "got the offer" (any other value: control)."""
    propensity: str = ""
    """User data: the column with each customer's probability of getting the offer; empty =
    a randomised campaign (the share treated)."""
    bootstrap_resamples: int = Field(200, ge=10, le=10_000)
    """Resamples of test customers for the intervals of the uplift metrics."""
    seed: int = Field(42, ge=0)
    """Seed of the bootstrap and of the learners' subsampling."""

    @field_validator("cv_folds")
    @classmethod
    def _folds(cls, folds: int) -> int:
        if folds == 1:
            raise ValueError("must be 0 (choose on the validation split) or at least 2")
        return folds

    @field_validator("base_model")
    @classmethod
    def _known_model(cls, name: str) -> str:
        if name not in MODEL_NAMES:
            raise ValueError(f"unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")
        return name
