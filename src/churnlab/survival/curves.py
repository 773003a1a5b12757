"""Per customer: survival curve, median time to churn, churn within each horizon, and value.

Contractual value (customer lifetime value) is the margin per period times the expected
discounted remaining lifetime, ``sum_k S(k * period) / (1 + rate)^k`` over the periods
``k = 1 .. survival.value.max_periods``: the model's survival within the observed follow-up and,
beyond it, a geometric tail that holds the hazard per period of the last observed stretch
constant (:func:`lifetime_periods`; the survival models cannot see past the follow-up, so the
tail is an assumption, stated in ``docs/value.md``). The value at risk is the probability of
churning within the value horizon times that value. A call list ranked by the
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


def lifetime_periods(
    survival_at_periods: np.ndarray,
    discount_rate: float,
    max_periods: int | None = None,
    tail_periods: int = 3,
) -> np.ndarray:
    """Expected discounted number of periods still paid, ``sum_k S(k) / (1 + rate)^k`` for
    ``k = 1 .. max_periods``. Rows are customers, columns the survival ``S(1) .. S(K)`` at the
    end of each observed period. Past ``K`` the survival is a geometric tail,
    ``S(K + j) = S(K) q^j`` with ``q = (S(K) / S(K - m))^(1 / m)`` the mean survival per period
    of the last ``m = min(tail_periods, K)`` observed periods (``S(0) = 1``): a constant
    hazard, summed in closed form. ``max_periods`` None (or at most ``K``): the observed
    periods only, up to the cap."""
    s = np.asarray(survival_at_periods, dtype="float64")
    observed = s.shape[1]
    cap = observed if max_periods is None else int(max_periods)
    d = 1.0 / (1.0 + discount_rate)
    seen = min(observed, cap)
    total = s[:, :seen] @ d ** np.arange(1, seen + 1)
    if cap <= observed or observed == 0:
        return total
    m = min(tail_periods, observed)
    last = s[:, observed - 1]
    start = s[:, observed - m - 1] if observed > m else np.ones(len(s))
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.clip(np.where(start > 0, last / start, 0.0), 0.0, 1.0) ** (1.0 / m)
        log_x = np.log(q * d)  # -inf where nobody survives: the tail is 0
        ratio = np.where(log_x < -1e-12, np.expm1((cap - observed) * log_x) / np.expm1(log_x), 0)
    # sum_{j=1}^{n} x^j = x (1 - x^n) / (1 - x), and n when x = 1 (no hazard, no discount)
    tail = np.where(log_x < -1e-12, q * d * ratio, cap - observed)
    return total + last * d**observed * tail


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
    lifetime = lifetime_periods(
        curves[:, period_ends - 1], v.discount_rate, v.max_periods, v.tail_periods
    )
    out["expected_lifetime_periods"] = lifetime
    out["value"] = margin * lifetime
    risk_in_horizon = 1.0 - curves[:, min(value_horizon, follow_up_days) - 1]
    out["value_at_risk"] = risk_in_horizon * out["value"]
    out["value_horizon_churn_probability"] = risk_in_horizon
    return pd.DataFrame(out)


def revalued(table: pd.DataFrame, value) -> pd.DataFrame:
    """``table`` with another ``value`` per customer (the one the value model chose,
    :func:`churnlab.evaluation.business.customer_value`) and its value at risk."""
    out = table.copy()
    out["value"] = np.asarray(value, dtype="float64")
    out["value_at_risk"] = out["value_horizon_churn_probability"] * out["value"]
    return out


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
