"""The decision threshold: profit-optimal (checked against brute force), budget, max F1."""

from __future__ import annotations

import numpy as np
import pytest

from churnlab.config.models import ThresholdParams
from churnlab.config.params import BusinessParams
from churnlab.evaluation import business
from churnlab.modeling.thresholds import (
    budget_threshold,
    choose_threshold,
    profit_threshold,
    threshold_summary,
)

COSTS = BusinessParams(retained_customer_value=500.0, offer_cost=50.0, offer_acceptance_rate=0.3)


def brute_force(y, scores, b) -> tuple[float, float]:
    """Try every distinct score (and 'contact nobody'); keep the most profitable."""
    best_t, best_value = np.inf, 0.0
    for t in sorted(set(scores), reverse=True):
        value = business.at_threshold(y, scores, t, b)["expected_net_savings"]
        if value > best_value + 1e-9:
            best_t, best_value = t, value
    return best_t, best_value


@pytest.mark.parametrize("seed", range(6))
def test_profit_threshold_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    scores = np.round(rng.uniform(size=60), 2)  # rounding makes ties
    y = (rng.uniform(size=60) < scores).astype(int)
    t, value = brute_force(y, scores, COSTS)
    chosen = profit_threshold(y, scores, COSTS)
    assert chosen == pytest.approx(t)
    got = business.at_threshold(y, scores, chosen, COSTS)["expected_net_savings"]
    assert got == pytest.approx(value)


def test_profit_threshold_on_a_hand_example():
    # Contacting the top two catches one churner: 0.3 * 500 - 2 * 50 = 50; top one: -50;
    # top three (two churners): 300 - 150 = 150; all four: 300 - 200 = 100.
    scores = np.array([0.9, 0.8, 0.7, 0.1])
    y = np.array([0, 1, 1, 0])
    assert profit_threshold(y, scores, COSTS) == pytest.approx(0.7)


def test_contacting_nobody_when_no_cut_pays():
    scores = np.array([0.9, 0.5, 0.2])
    y = np.array([0, 0, 0])
    t = profit_threshold(y, scores, COSTS)
    assert t > 0.9
    assert business.at_threshold(y, scores, t, COSTS)["contacted"] == 0


def test_budget_threshold_contacts_the_budget_share():
    scores = np.linspace(0, 1, 200)
    b = COSTS.model_copy(update={"contact_budget_share": 0.1})
    t = budget_threshold(scores, b)
    assert (scores >= t).sum() == 20


def test_choose_threshold_dispatches_on_the_method():
    rng = np.random.default_rng(1)
    scores = rng.uniform(size=300)
    y = (rng.uniform(size=300) < scores).astype(int)
    fixed = choose_threshold(y, scores, ThresholdParams(method="fixed", value=0.42), COSTS)
    assert fixed == 0.42
    profit = choose_threshold(y, scores, ThresholdParams(method="profit"), COSTS)
    assert profit == profit_threshold(y, scores, COSTS)
    summary = threshold_summary(y, scores, profit, ThresholdParams(method="profit"), COSTS)
    assert summary["contacted"] == int((scores >= profit).sum())
    assert summary["expected_net_savings"] == pytest.approx(brute_force(y, scores, COSTS)[1])
