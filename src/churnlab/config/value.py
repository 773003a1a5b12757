"""The ``value`` section of ``params.yaml``: customer value from purchase logs (BTYD).

BG/NBD (purchases and drop-out) and Gamma-Gamma (spend per purchase) fitted with
PyMC-Marketing's ``clv`` module; the horizon and the P(alive) threshold of the inferred churn
label; and the BTYD check of the ``value`` stage, which simulates purchase logs from known
parameters (``simulation``) and checks that the fit recovers them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from churnlab.config.base import Strict


class BTYDTruth(Strict):
    """Known BG/NBD and Gamma-Gamma parameters that the ``value`` stage simulates from
    (time unit: one week)."""

    r: float = Field(0.6, gt=0)
    """BG/NBD: shape of the Gamma distribution of purchase rates."""
    alpha: float = Field(8.0, gt=0)
    """BG/NBD: rate of the Gamma distribution of purchase rates (weeks)."""
    a: float = Field(0.6, gt=0)
    """BG/NBD: first shape of the Beta distribution of drop-out probabilities."""
    b: float = Field(3.0, gt=0)
    """BG/NBD: second shape of the Beta distribution of drop-out probabilities."""
    p: float = Field(6.0, gt=0)
    """Gamma-Gamma: shape of the spend of one purchase."""
    q: float = Field(4.0, gt=1)
    """Gamma-Gamma: shape of the Gamma distribution of customers' spend rates (above 1, so the
    mean spend exists)."""
    v: float = Field(15.0, gt=0)
    """Gamma-Gamma: rate of the Gamma distribution of customers' spend rates."""


class BTYDSimulation(Strict):
    """The simulated purchase logs of the BTYD check."""

    customers: int = Field(2000, ge=50, le=200_000)
    """How many customers are simulated."""
    cohort_weeks: int = Field(12, ge=0)
    """First purchases are spread uniformly over the first `cohort_weeks` weeks."""
    calibration_weeks: int = Field(52, gt=0)
    """Weeks from the start to the end of the calibration period (the fit sees only these)."""
    holdout_weeks: int = Field(26, gt=0)
    """Weeks of the holdout period after calibration, whose repeat purchases are predicted."""
    seed: int = Field(18, ge=0)
    """Seed of the simulation."""
    truth: BTYDTruth = BTYDTruth()
    """The parameters the purchase logs are simulated from."""

    @model_validator(mode="after")
    def _cohort_inside_calibration(self) -> BTYDSimulation:
        if self.cohort_weeks >= self.calibration_weeks:
            raise ValueError("cohort_weeks must be below calibration_weeks")
        return self


class ValueParams(Strict):
    """Customer value from purchase logs: BG/NBD + Gamma-Gamma (the `value` stage of
    `studies/dvc.yaml`, off the default `dvc repro`: its MCMC takes minutes)."""

    horizon_weeks: int = Field(26, gt=0)
    """Horizon of expected purchases and expected value (weeks)."""
    alive_threshold: float = Field(0.5, gt=0, lt=1)
    """A customer whose P(alive) is below this is labelled churned (inferred churn label)."""
    fit_method: Literal["mcmc", "map"] = "mcmc"
    """`mcmc` (a short NUTS run: posterior intervals) or `map` (point estimate, seconds)."""
    draws: int = Field(500, ge=50, le=10_000)
    """MCMC draws per chain."""
    tune: int = Field(500, ge=50, le=10_000)
    """MCMC tuning steps per chain."""
    chains: int = Field(2, ge=1, le=8)
    """MCMC chains (run one after the other)."""
    interval: float = Field(0.94, gt=0, lt=1)
    """Mass of the central posterior interval that must contain each true parameter."""
    seed: int = Field(18, ge=0)
    """Seed of the MCMC sampler."""
    simulation: BTYDSimulation = BTYDSimulation()
    """The simulated purchase logs of the BTYD check."""
