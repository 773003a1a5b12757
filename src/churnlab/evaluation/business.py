"""Business translation of scores: churners caught, retention-campaign savings, baselines.

The campaign model is the cost matrix in params ``business``: every contacted customer costs
``offer_cost``; a contacted churner accepts the offer with probability
``offer_acceptance_rate`` and is then worth ``retained_customer_value``; a churner not
contacted, and a non-churner, bring nothing. So contacting a customer pays off when
``p(churn) × acceptance × value > cost``. These functions only need the ``BusinessParams``
object, so cost-based thresholds can reuse them.

Which value a customer has is decided in one place, :func:`customer_value`: a value column the
params name, else the survival model's lifetime value, else the flat
``retained_customer_value``. When each customer's value is known, the one contact rule is
:func:`contact_decision` on the expected value at risk (churn probability within the horizon ×
value): contact when ``acceptance × value at risk − offer cost > 0``, at most the contact
budget, highest value at risk first. ``churnlab predict``
decides with it and the survival stage measures the value it saves on the test split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnlab.config.params import BusinessParams
from churnlab.errors import UserError
from churnlab.metrics import classification_metrics, expected_caught, ranking_summary, rounded


@dataclass(frozen=True)
class CustomerValue:
    """Each customer's value, which source it came from (``column``, ``survival`` or
    ``flat``) and the sentences that say so in a report."""

    values: np.ndarray
    source: str
    notes: list[str]


def customer_value(
    b: BusinessParams,
    n: int,
    column=None,
    column_name: str = "",
    lifetime=None,
) -> CustomerValue:
    """The one value model: which value applies to each of ``n`` customers.

    1. ``column`` (the values of a value column the params or the command name, e.g. a yearly
       revenue): that value; a cell that is not a non-negative number gets the flat value;
    2. else ``lifetime`` (the survival model's customer lifetime value, margin per period ×
       discounted expected remaining lifetime): that value, the flat one where it is missing;
    3. else the flat ``business.retained_customer_value`` for everyone (the documented
       fallback; the value-at-risk order is then the churn-probability order).
    """
    flat = b.retained_customer_value
    if column is not None:
        values = pd.to_numeric(pd.Series(np.asarray(column)), errors="coerce").to_numpy("float64")
        source, notes = "column", [f"Customer value from column {column_name}."]
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            notes.append(
                f"{int(bad.sum()):,} customers have no usable {column_name} and count with the "
                f"business value {flat:,.0f}."
            )
    elif lifetime is not None:
        values = np.asarray(lifetime, dtype="float64")
        bad = ~np.isfinite(values)
        source = "survival"
        notes = ["Customer value: margin × expected remaining lifetime (survival model)."]
    else:
        return CustomerValue(np.full(n, flat), "flat", [])
    return CustomerValue(np.where(bad, flat, values), source, notes)


def net_savings(churners_contacted: float, contacted: float, b: BusinessParams) -> float:
    """Expected money saved by a campaign: retained value minus the cost of the offers."""
    retained = churners_contacted * b.offer_acceptance_rate
    return retained * b.retained_customer_value - contacted * b.offer_cost


def break_even_probability(b: BusinessParams) -> float:
    """The churn probability above which one contact is worth its cost."""
    return b.offer_cost / (b.offer_acceptance_rate * b.retained_customer_value)


def budget_contacts(n_customers: int, b: BusinessParams) -> int:
    return int(np.ceil(b.contact_budget_share * n_customers))


def expected_net_gain(value_at_risk, b: BusinessParams) -> np.ndarray:
    """Expected net gain of contacting each customer: the value at risk an accepted offer
    keeps, minus the offer's cost."""
    return b.offer_acceptance_rate * np.asarray(value_at_risk, dtype="float64") - b.offer_cost


def contact_decision(priority, gain, b: BusinessParams) -> np.ndarray:
    """Who to contact: of the contact budget's customers with the highest ``priority`` (first
    in order on ties), those whose expected net ``gain`` is positive. The value-at-risk rule is
    ``priority = gain's value at risk`` (:func:`value_at_risk_contacts`)."""
    priority = np.nan_to_num(np.asarray(priority, dtype="float64"), nan=-np.inf)
    chosen = np.zeros(len(priority), dtype=bool)
    chosen[np.argsort(-priority, kind="stable")[: budget_contacts(len(priority), b)]] = True
    return chosen & (np.asarray(gain, dtype="float64") > 0)


def value_at_risk_contacts(value_at_risk, b: BusinessParams) -> np.ndarray:
    """The contact rule when value is known: within the budget by expected value at risk,
    and only where ``acceptance × value at risk − offer cost > 0``."""
    return contact_decision(value_at_risk, expected_net_gain(value_at_risk, b), b)


def at_threshold(y: np.ndarray, scores: np.ndarray, threshold: float, b: BusinessParams) -> dict:
    """Contact every customer scored at or above the threshold."""
    contacted = np.asarray(scores) >= threshold
    caught = float(np.asarray(y)[contacted].sum())
    return {
        "contacted": int(contacted.sum()),
        "churners_caught": caught,
        "expected_retained": caught * b.offer_acceptance_rate,
        "expected_net_savings": net_savings(caught, int(contacted.sum()), b),
    }


def at_budget(y: np.ndarray, scores: np.ndarray, b: BusinessParams) -> dict:
    """Contact the highest-risk customers that the budget allows (expected over ties)."""
    k = budget_contacts(len(y), b)
    caught = expected_caught(y, scores, k)
    return {
        "contacted": k,
        "churners_caught": caught,
        "capture_rate": caught / max(float(np.sum(y)), 1.0),
        "expected_retained": caught * b.offer_acceptance_rate,
        "expected_net_savings": net_savings(caught, k, b),
    }


def profit_curve(y: np.ndarray, scores: np.ndarray, b: BusinessParams, points: int = 101):
    """Expected net savings of contacting everyone at or above each threshold in [0, 1]."""
    y = np.asarray(y, dtype="float64")
    scores = np.asarray(scores, dtype="float64")
    thresholds = np.linspace(0, 1, points)
    order = np.sort(scores)
    # Customers at or above t: n - (number strictly below t); same for churners.
    contacted = len(scores) - np.searchsorted(order, thresholds, side="left")
    churn_scores = np.sort(scores[y == 1])
    caught = len(churn_scores) - np.searchsorted(churn_scores, thresholds, side="left")
    savings = net_savings(caught, contacted, b)
    return pd.DataFrame(
        {
            "threshold": thresholds,
            "contacted_share": contacted / len(scores),
            "expected_net_savings": savings,
        }
    )


def compare_at_budget(y: np.ndarray, scores_by_model: dict[str, np.ndarray], b) -> dict:
    """Each model's campaign at the same contact budget (same number of customers)."""
    return {name: at_budget(y, scores, b) for name, scores in scores_by_model.items()}


def gains_frames(y: np.ndarray, scores_by_model: dict[str, np.ndarray], points: int = 100):
    """Cumulative gains (share of churners caught) and lift by share contacted, one column
    per model, so ``dvc plots`` draws one line per model from each frame."""
    y = np.asarray(y, dtype="float64")
    shares = np.arange(1, points + 1) / points
    ks = np.ceil(shares * len(y)).astype(int)
    gains = {"contacted_share": shares}
    lift = {"contacted_share": shares}
    for name, scores in scores_by_model.items():
        caught = np.array([expected_caught(y, scores, k) for k in ks])
        gains[name] = caught / y.sum()
        lift[name] = (caught / ks) / y.mean()
    return pd.DataFrame(gains), pd.DataFrame(lift)


def baseline_summary(y: np.ndarray, scores_by_name: dict, thresholds: dict, b) -> dict:
    """Test metrics and campaign figures of each baseline (``baselines.<name>.*``)."""
    keep = ("roc_auc", "pr_auc", "f1", "precision", "recall", "brier", "threshold")
    out = {}
    for name, scores in scores_by_name.items():
        m = classification_metrics(y, scores, thresholds[name])
        entry = rounded({k: m[k] for k in keep} | ranking_summary(y, scores))
        entry["at_budget"] = rounded(at_budget(y, scores, b))
        entry["at_threshold"] = rounded(at_threshold(y, scores, thresholds[name], b))
        out[name] = entry
    return out


def expected_campaign(
    probability: np.ndarray, value: np.ndarray, b: BusinessParams, points: int = 200
) -> pd.DataFrame:
    """Calling scored customers (no outcome known yet) in order of expected value at risk:
    per number called, the expected churners reached, their share of all expected churners
    (expected gains) and the expected net savings, from the calibrated probabilities.
    At most ``points`` rows (evenly spaced numbers called, the last one everybody)."""
    probability = np.asarray(probability, dtype="float64")
    at_risk = probability * np.asarray(value, dtype="float64")
    order = np.argsort(-at_risk, kind="stable")
    churners = np.cumsum(probability[order])
    kept = np.cumsum(at_risk[order]) * b.offer_acceptance_rate
    called = np.arange(1, len(order) + 1)
    rows = np.unique(np.linspace(1, len(order), min(points, len(order))).round().astype(int)) - 1
    return pd.DataFrame(
        {
            "called": called[rows],
            "called_share": called[rows] / len(order),
            "expected_churners": churners[rows],
            "expected_gains": churners[rows] / max(churners[-1], 1e-12),
            "expected_net_savings": kept[rows] - called[rows] * b.offer_cost,
        }
    )


def saved_value_section(campaign: dict | None, value_from: str, b: BusinessParams) -> dict | None:
    """``business.saved_value`` of ``metrics/evaluate.json`` from a ``campaign``
    (:func:`churnlab.survival.policies.compare` on the test customers, valued from
    ``value_from``: ``survival`` or ``column``): per policy — the value-at-risk rule, the
    whole budget by value at risk, the whole budget by churn probability — the customers
    contacted, the churners among them, the saved customers (``offer_acceptance_rate`` of
    those) and the realized saved value, each value policy's paired difference to the
    probability order, and the break-even value at risk of one call. None without a campaign
    (no per-customer value: the section stays as it was)."""
    if not campaign or "churners_contacted" not in campaign:
        return None
    churners = campaign["churners_contacted"]
    saved = {name: churners[name] * b.offer_acceptance_rate for name in churners}
    return campaign | {
        "value_from": value_from,
        "saved_customers": saved,
        "break_even_value_at_risk": break_even_value_at_risk(b),
    }


def break_even_value_at_risk(b: BusinessParams) -> float:
    """The expected value at risk above which one call pays: offer cost / acceptance rate."""
    return b.offer_cost / b.offer_acceptance_rate


def checked_value_column(cells, name: str, where: str) -> pd.Series:
    """The value column ``name`` of ``where`` as numbers, blanks missing (they get the flat
    value, :func:`customer_value`); text that is not a number, or a negative value, is a
    :class:`~churnlab.errors.UserError` naming the column, how many cells and examples."""
    cells = pd.Series(cells)
    text = cells.astype("string").str.strip()
    values = pd.to_numeric(text.mask(text == ""), errors="coerce")
    problems = {
        "not a number": text.notna() & (text != "") & values.isna(),
        "negative": values < 0,
    }
    for what, bad in problems.items():
        if bad.any():
            shown = ", ".join(repr(v) for v in cells[bad].astype(str).unique()[:3])
            raise UserError(
                f"{where}: value column {name!r} has {int(bad.sum()):,} {what} cells (e.g. "
                f"{shown}); a customer's value must be a non-negative number or blank"
            )
    return values.astype("float64")
