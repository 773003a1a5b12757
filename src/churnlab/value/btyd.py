"""BG/NBD and Gamma-Gamma fits (PyMC-Marketing ``clv``) and what they say per customer.

:func:`fit_btyd` fits the BG/NBD model (purchases and drop-out) on every customer's
frequency, recency and T, and the Gamma-Gamma model (spend per purchase) on the customers with
repeat purchases, as the models' authors prescribe. Priors are flat (``HalfFlat``) on every
population parameter, so MAP is the maximum-likelihood fit of the ``lifetimes`` library and the
posterior is driven by the data. ``fit_method: mcmc`` draws a short NUTS posterior (intervals
for the BTYD check); ``map`` finds the point estimate in seconds.

:func:`customer_value` gives, per customer, P(alive), the expected purchases and the expected
value (expected purchases × expected spend per purchase, undiscounted) over the horizon, and
the inferred churn label: P(alive) below ``value.alive_threshold``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
from pymc_extras.prior import Prior
from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

from churnlab.config.value import ValueParams
from churnlab.errors import UserError

log = logging.getLogger(__name__)

BG_PARAMS = ("r", "alpha", "a", "b")
GG_PARAMS = ("p", "q", "v")


@dataclass
class BTYDFit:
    """The fitted purchase (BG/NBD) and spend (Gamma-Gamma) models."""

    purchases: BetaGeoModel
    spend: GammaGammaModel

    def posterior(self) -> dict[str, np.ndarray]:
        """Every population parameter's draws (one draw for MAP), flattened."""
        draws = {n: self.purchases.fit_result[n] for n in BG_PARAMS}
        draws |= {n: self.spend.fit_result[n] for n in GG_PARAMS}
        return {name: np.asarray(value).ravel() for name, value in draws.items()}

    def max_r_hat(self) -> float | None:
        """The largest split R-hat of the population parameters (None below two chains)."""
        if self.purchases.idata.posterior.sizes["chain"] < 2:
            return None
        worst = [
            float(az.rhat(model.idata, var_names=list(names)).to_array().max())
            for model, names in ((self.purchases, BG_PARAMS), (self.spend, GG_PARAMS))
        ]
        return max(worst)


def _fit(model, data: pd.DataFrame, vp: ValueParams) -> None:
    if vp.fit_method == "map":
        model.fit(data=data, method="map", progressbar=False)
        return
    model.fit(
        data=data,
        method="mcmc",
        draws=vp.draws,
        tune=vp.tune,
        chains=vp.chains,
        cores=1,
        random_seed=vp.seed,
        progressbar=False,
    )


def fit_btyd(summary: pd.DataFrame, vp: ValueParams) -> BTYDFit:
    """Fit both models on a ``purchases.summarise`` table; UserError without repeat buyers."""
    repeat = summary[summary["frequency"] > 0]
    if len(repeat) < 10:
        raise UserError(
            f"purchase log: {len(repeat)} customer(s) with a repeat purchase; the BG/NBD and "
            "Gamma-Gamma models need at least 10"
        )
    flat = {name: Prior("HalfFlat") for name in BG_PARAMS}
    purchases = BetaGeoModel(model_config=flat)
    _fit(purchases, summary[["customer_id", "frequency", "recency", "T"]], vp)
    spend = GammaGammaModel()
    _fit(spend, repeat[["customer_id", "frequency", "monetary_value"]], vp)
    return BTYDFit(purchases, spend)


def _mean(values) -> np.ndarray:
    return np.asarray(values.mean(("chain", "draw")))


def customer_value(fit: BTYDFit, summary: pd.DataFrame, vp: ValueParams) -> pd.DataFrame:
    """Per customer: ``p_alive``, ``expected_purchases`` and ``expected_value`` over
    ``value.horizon_weeks``, ``expected_spend`` per purchase and ``churned`` (inferred)."""
    data = summary[["customer_id", "frequency", "recency", "T", "monetary_value"]]
    p_alive = _mean(fit.purchases.expected_probability_alive(data))
    purchases = _mean(fit.purchases.expected_purchases(data, future_t=vp.horizon_weeks))
    spend = _mean(fit.spend.expected_customer_spend(data))
    return pd.DataFrame(
        {
            "customer_id": data["customer_id"].to_numpy(),
            "p_alive": p_alive,
            "expected_purchases": purchases,
            "expected_spend": spend,
            "expected_value": purchases * spend,
            "churned": p_alive < vp.alive_threshold,
        }
    )
