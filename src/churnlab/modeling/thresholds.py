"""The decision threshold, chosen on validation: maximum F1, maximum expected profit, a
contact budget, or a fixed value.

The profit rule reuses :mod:`churnlab.evaluation.business` (the campaign's cost matrix): contacting
everyone scored at or above ``t`` earns ``business.net_savings`` of the churners among them;
the chosen ``t`` is the one that earns most on the validation customers. Only cuts between
distinct scores matter, so every distinct score is tried (exact, no grid), plus contacting
nobody. The budget rule contacts the ``contact_budget_share`` riskiest customers.
"""

from __future__ import annotations

import numpy as np

from churnlab.config.models import ThresholdParams
from churnlab.config.params import BusinessParams
from churnlab.evaluation import business
from churnlab.metrics import max_f1_threshold


def profit_threshold(y: np.ndarray, scores: np.ndarray, b: BusinessParams) -> float:
    """The threshold with the highest expected net savings (ties: fewer contacts)."""
    y = np.asarray(y, dtype="float64")
    scores = np.asarray(scores, dtype="float64")
    order = np.argsort(-scores, kind="stable")
    ranked, churned = scores[order], y[order]
    caught = np.cumsum(churned)
    contacted = np.arange(1, len(ranked) + 1)
    # A cut can only fall after the last customer of a group of equal scores.
    last = np.r_[ranked[1:] != ranked[:-1], True]
    savings = business.net_savings(caught[last], contacted[last], b)
    # The first maximum (up to float noise): among equally profitable cuts, fewer contacts.
    best = int(np.flatnonzero(np.isclose(savings, savings.max(), rtol=1e-12, atol=1e-9))[0])
    if savings[best] <= 0:
        return float(np.nextafter(ranked[0], np.inf))  # contacting nobody is best
    return float(ranked[last][best])


def budget_threshold(scores: np.ndarray, b: BusinessParams) -> float:
    """The score of the last customer the budget reaches (ties at the cut are all contacted)."""
    scores = np.sort(np.asarray(scores, dtype="float64"))[::-1]
    k = business.budget_contacts(len(scores), b)
    return float(scores[min(k, len(scores)) - 1])


def choose_threshold(
    y: np.ndarray, scores: np.ndarray, t: ThresholdParams, b: BusinessParams
) -> float:
    if t.method == "max_f1":
        return max_f1_threshold(y, scores)
    if t.method == "profit":
        return profit_threshold(y, scores, b)
    if t.method == "budget":
        return budget_threshold(scores, b)
    return t.value


def threshold_summary(
    y: np.ndarray, scores: np.ndarray, threshold: float, t: ThresholdParams, b: BusinessParams
) -> dict:
    """What the chosen threshold does on validation: contacts, churners caught, profit."""
    campaign = business.at_threshold(y, scores, threshold, b)
    return {
        "method": t.method,
        "threshold": round(float(threshold), 6),
        "contacted": campaign["contacted"],
        "contacted_share": round(campaign["contacted"] / max(len(scores), 1), 6),
        "churners_caught": campaign["churners_caught"],
        "expected_net_savings": round(float(campaign["expected_net_savings"]), 6),
    }
