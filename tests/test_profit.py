"""EMPC (evaluation/profit.py) against cases computed by hand, and as the leaderboard's metric."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from churnlab.config.params import LeaderboardParams
from churnlab.errors import UserError
from churnlab.evaluation.profit import (
    PAPER,
    EMPCParams,
    empc,
    empc_contact_share,
    roc_convex_hull,
)
from churnlab.modeling.selection import select


def test_four_customers_by_hand():
    # Ranked by score: churner, non-churner, churner, non-churner. With clv 200, incentive 10 and
    # contact 1, a contacted churner is worth 190 * gamma - 1 and a contacted non-churner costs
    # 11. Contacting the top three gives (2 * (190 gamma - 1) - 11) / 4, which beats the top one
    # ((190 gamma - 1) / 4) whenever gamma > 12/190, where Beta(6, 14) puts almost all its mass,
    # so EMPC ~ (380 * E[gamma] - 13) / 4 = (380 * 0.3 - 13) / 4 = 25.25.
    y = np.array([0, 1, 0, 1])
    scores = np.array([0.1, 0.9, 0.4, 0.3])
    assert empc(y, scores) == pytest.approx(25.25, abs=0.01)
    assert empc_contact_share(y, scores) == pytest.approx(0.75, abs=0.01)


def test_perfect_ranking_contacts_every_churner():
    # all churners first: profit = share of churners * (190 * E[gamma] - 1) = 0.25 * 56 = 14
    y = np.array([1, 0, 0, 0, 1, 0, 0, 0])
    assert empc(y, y * 0.8 + 0.1) == pytest.approx(14.0, abs=1e-6)


def _contact_all_or_none(y: np.ndarray, c: EMPCParams) -> float:
    """A constant score leaves two campaigns, everyone or no one: integrate the better one."""
    churn = y.mean()

    def best(gamma: float) -> float:
        everyone = churn * (gamma * (c.clv - c.incentive_cost) - c.contact_cost) - (1 - churn) * (
            c.incentive_cost + c.contact_cost
        )
        return max(everyone, 0.0) * stats.beta.pdf(gamma, c.alpha, c.beta)

    return integrate.quad(best, 0, 1, limit=200)[0]


@pytest.mark.parametrize("churners", [2, 6, 9])
def test_constant_scores_match_numerical_integration(churners):
    y = np.array([1] * churners + [0] * (12 - churners))
    campaign = EMPCParams(clv=150.0, incentive_cost=20.0, contact_cost=2.0, alpha=3.0, beta=5.0)
    expected = _contact_all_or_none(y, campaign)
    assert empc(y, np.full(len(y), 0.5), campaign) == pytest.approx(expected, rel=1e-4, abs=1e-6)


def test_a_better_ranking_earns_more():
    rng = np.random.default_rng(0)
    y = rng.binomial(1, 0.2, 2000)
    noise = rng.normal(size=len(y))
    assert empc(y, y + 0.5 * noise) > empc(y, y + 3 * noise) > empc(y, noise)
    assert PAPER.clv == 200.0 and PAPER.alpha == 6.0 and PAPER.beta == 14.0


def _summary(auc: float, profit: float | None) -> dict:
    out = {m: {"mean": auc, "std": 0.004} for m in ("roc_auc", "pr_auc", "f1")}
    if profit is not None:
        out["empc"] = {"mean": profit, "std": 0.1}
    return out


def test_leaderboard_can_choose_by_empc():
    summaries = {"logreg": _summary(0.86, 9.0), "xgboost": _summary(0.87, 7.5)}
    assert select(summaries, LeaderboardParams())["model"] == "xgboost"
    by_profit = select(summaries, LeaderboardParams(primary_metric="empc", tie_tolerance=0.01))
    assert by_profit["model"] == "logreg"
    assert "best mean CV empc" in by_profit["reason"]


def test_empc_choice_without_empc_in_cv_results_is_a_clear_error():
    summaries = {"logreg": _summary(0.86, 9.0), "xgboost": _summary(0.87, None)}
    with pytest.raises(UserError, match=r"metrics/cv/xgboost\.json has no empc"):
        select(summaries, LeaderboardParams(primary_metric="empc"))


def _random_case(rng: np.random.Generator, case: int):
    """Labels, scores (continuous, rounded into ties, or a few levels) and a random campaign."""
    n = int(rng.integers(2, 2000))
    y = rng.binomial(1, rng.uniform(0.02, 0.9), n)
    scores = y * rng.uniform(0, 2) + rng.normal(size=n)
    scores = [scores, np.round(scores, 1), rng.integers(0, 5, n).astype(float)][case % 3]
    campaign = EMPCParams(
        clv=float(rng.uniform(20, 500)),
        incentive_cost=float(rng.uniform(0, 30)),
        contact_cost=float(rng.uniform(0, 5)),
        alpha=float(rng.uniform(0.5, 10)),
        beta=float(rng.uniform(0.5, 20)),
    )
    return y, scores, campaign


def test_empc_matches_empulse_on_random_cases():
    # empulse is the oracle only: the evaluate stage does not import it (it pulls in sympy).
    from dataclasses import asdict

    empulse_metrics = pytest.importorskip("empulse.metrics")
    rng = np.random.default_rng(13)
    for case in range(24):
        y, scores, campaign = _random_case(rng, case)
        expected = empulse_metrics.empc_score(y, scores, **asdict(campaign))
        rate = empulse_metrics.empc_score.optimal_rate(y, scores, **asdict(campaign))
        assert empc(y, scores, campaign) == pytest.approx(expected, abs=1e-6)
        assert empc_contact_share(y, scores, campaign) == pytest.approx(rate, abs=1e-6)


def test_single_class_and_unprofitable_campaigns():
    y, scores = np.ones(5), np.arange(5.0)
    # every customer churns: contacting all earns 190 * E[gamma] - 1 = 56 each
    assert empc(y, scores) == pytest.approx(56.0, abs=1e-6)
    assert empc_contact_share(y, scores) == pytest.approx(1.0, abs=1e-6)
    assert empc(np.zeros(5), scores) == 0.0 and empc_contact_share(np.zeros(5), scores) == 0.0
    # an incentive above the customer's value: no campaign pays
    assert empc(np.array([1, 0, 1]), np.array([0.9, 0.1, 0.8]), EMPCParams(clv=5.0)) == 0.0


def test_nan_scores_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        empc(np.array([0, 1]), np.array([np.nan, 0.3]))


def test_the_hull_keeps_only_convex_vertices():
    # Ranked churner, non-churner, churner, churner: the ROC points (fp, tp) are (0,0), (0,1),
    # (1,1), (1,2), (1,3); (1,1) and (1,2) lie below the hull's edge from (0,1) to (1,3).
    tp, fp = roc_convex_hull(np.array([1, 0, 1, 1]), np.array([0.9, 0.8, 0.7, 0.6]))
    assert tp.tolist() == [0, 1, 3] and fp.tolist() == [0, 0, 1]
