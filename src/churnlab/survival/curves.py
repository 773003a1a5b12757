"""Per customer: survival curve, median time to churn, churn within each horizon, and value.

Contractual value is the margin per period times the expected discounted remaining lifetime
within the observed follow-up, ``sum_k S(k * period) / (1 + rate)^k``; the value at risk is the
probability of churning within the value horizon times that value. A call list ranked by the
value at risk puts a customer likely to leave soon and worth much before one who is only
likely to leave; the contact decision is the value-at-risk rule of
:mod:`churnlab.evaluation.business`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnlab.config.survival import SurvivalValueParams
from churnlab.evaluation import business


def median_days(curves: np.ndarray, days: np.ndarray) -> np.ndarray:
    """First day the survival falls to one half or below; NaN when it never does in ``days``."""
    below = curves <= 0.5
    first = np.argmax(below, axis=1)
    return np.where(below.any(axis=1), np.asarray(days, "float64")[first], np.nan)


def margins(customers: pd.DataFrame, v: SurvivalValueParams) -> np.ndarray:
    """Margin per period of each customer: share of the revenue column, else the flat margin."""
    flat = np.full(len(customers), v.margin_per_period)
    if not v.margin_column or v.margin_column not in customers:
        return flat
    revenue = pd.to_numeric(customers[v.margin_column], errors="coerce").to_numpy("float64")
    margin = np.clip(revenue, 0.0, None) * v.margin_share
    return np.where(np.isfinite(margin), margin, flat)


def lifetime_periods(survival_at_periods: np.ndarray, discount_rate: float) -> np.ndarray:
    """Expected discounted number of periods still paid: rows are customers, columns the
    survival at the end of period 1, 2, ..."""
    k = np.arange(1, survival_at_periods.shape[1] + 1)
    return survival_at_periods @ (1.0 + discount_rate) ** -k


def customer_table(
    model, X, follow_up_days: int, horizons: list[int], value_horizon: int, margin, v
) -> pd.DataFrame:
    """One row per customer: ``p_churn_<h>d`` per horizon, ``median_days_to_churn``,
    ``expected_lifetime_periods``, ``value``, ``value_at_risk`` and the churn probability
    within the value horizon (``value_horizon_churn_probability``)."""
    days = np.arange(1, follow_up_days + 1)
    curves = model.survival(X, days)
    out = {f"p_churn_{h}d": 1.0 - curves[:, min(h, follow_up_days) - 1] for h in horizons}
    out["median_days_to_churn"] = median_days(curves, days)
    period_ends = np.arange(v.period_days, follow_up_days + 1, v.period_days)
    lifetime = lifetime_periods(curves[:, period_ends - 1], v.discount_rate)
    out["expected_lifetime_periods"] = lifetime
    out["value"] = margin * lifetime
    risk_in_horizon = 1.0 - curves[:, min(value_horizon, follow_up_days) - 1]
    out["value_at_risk"] = risk_in_horizon * out["value"]
    out["value_horizon_churn_probability"] = risk_in_horizon
    return pd.DataFrame(out)


def saved_value(table: pd.DataFrame, b) -> dict:
    """Expected value kept by the contact rule on the value at risk (within the budget, where
    ``acceptance × value at risk − offer cost > 0``;
    :func:`churnlab.evaluation.business.value_at_risk_contacts`), and by the whole budget in
    order of the churn probability alone (the same horizon); ``b``: params ``business``."""
    at_risk = table["value_at_risk"].to_numpy("float64")
    p = (table["value_at_risk"] / table["value"].where(table["value"] > 0)).fillna(0.0)
    gain = business.expected_net_gain(at_risk, b)
    contacts = {
        "by_value_at_risk": business.value_at_risk_contacts(at_risk, b),
        "by_probability": business.contact_decision(p.to_numpy(), np.ones(len(p)), b),
    }
    out = {"contacted": business.budget_contacts(len(table), b)}
    for name, contacted in contacts.items():
        out[name] = float(gain[contacted].sum())
    out["contacted_by_value_at_risk"] = int(contacts["by_value_at_risk"].sum())
    return out
