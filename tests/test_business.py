"""Campaign savings, budgets and the profit curve against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from churnlab.config.params import BusinessParams
from churnlab.evaluation import business

B = BusinessParams(
    retained_customer_value=100.0,
    offer_cost=10.0,
    offer_acceptance_rate=0.5,
    contact_budget_share=0.2,
)


def test_net_savings_and_break_even():
    # 3 churners contacted, half accept → 1.5 × 100 − 5 contacts × 10
    assert business.net_savings(3, 5, B) == pytest.approx(100.0)
    assert business.break_even_probability(B) == pytest.approx(0.2)


def test_at_threshold_and_budget():
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.2, 0.1, 0.1, 0.1, 0.0, 0.0, 0.0])
    t = business.at_threshold(y, scores, 0.5, B)
    assert t == {
        "contacted": 3,
        "churners_caught": 2.0,
        "expected_retained": 1.0,
        "expected_net_savings": pytest.approx(1.0 * 100 - 30),
    }
    b = business.at_budget(y, scores, B)  # 20% of 10 = 2 contacts, both churners
    assert b["contacted"] == 2 and b["churners_caught"] == 2.0
    assert b["capture_rate"] == pytest.approx(2 / 3)


def test_profit_curve_matches_at_threshold():
    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.3).astype(int)
    scores = np.round(rng.random(400), 2)
    curve = business.profit_curve(y, scores, B, points=11)
    for t, saved in zip(curve["threshold"], curve["expected_net_savings"], strict=True):
        expected = business.at_threshold(y, scores, t, B)["expected_net_savings"]
        assert saved == pytest.approx(expected)


def test_gains_reach_everyone_and_better_model_catches_more():
    rng = np.random.default_rng(1)
    y = (rng.random(1000) < 0.2).astype(int)
    good = y + rng.normal(0, 0.5, 1000)
    noise = rng.random(1000)
    gains, lift = business.gains_frames(y, {"model": good, "rules": noise}, points=10)
    assert gains.iloc[-1][["model", "rules"]].tolist() == pytest.approx([1.0, 1.0])
    assert (gains["model"] >= gains["rules"] - 1e-9).all()
    assert lift["model"].iloc[0] > 2 > lift["rules"].iloc[0] - 1


def test_baseline_summary_keys_for_the_promotion_gate():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(2)
    y = (rng.random(500) < 0.2).astype(int)
    scores = {"rules": rng.random(500), "logreg": y * 0.3 + rng.random(500) * 0.7}
    out = business.baseline_summary(y, scores, {"rules": 0.5, "logreg": 0.5}, B)
    assert out["logreg"]["roc_auc"] == pytest.approx(roc_auc_score(y, scores["logreg"]), abs=1e-6)
    assert out["logreg"]["roc_auc"] > out["rules"]["roc_auc"]
    for name in scores:
        assert {"pr_auc", "ks", "top_decile_lift", "at_budget", "at_threshold"} <= set(out[name])
