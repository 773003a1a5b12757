"""Profit-based model choice: the expected maximum profit measure for churn (EMPC).

EMPC (Verbraken, Verbeke & Baesens 2013) is the profit per customer of a retention campaign
that contacts the best-scored fraction of customers, with that fraction chosen to maximise
profit, averaged over the uncertain share ``gamma ~ Beta(alpha, beta)`` of contacted churners
who accept the offer. A contacted churner who accepts is worth ``clv - incentive_cost -
contact_cost``, one who refuses costs ``contact_cost``, a contacted non-churner costs
``incentive_cost + contact_cost``. Unlike ROC-AUC it weighs only the top of the ranking that a
campaign would contact. The default parameters are the paper's (clv 200, incentive 10, contact
1, Beta(6, 14)), so figures are comparable across models and papers; pass others for a given
business.

Computed exactly here, as in the paper: the profit-maximising campaign for a given ``gamma``
is a vertex of the ROC convex hull; the vertices are optimal on consecutive ``gamma``
intervals, and the profit is linear in ``gamma``, so EMPC is a sum of incomplete-beta
integrals. The ``empulse`` library computes the same measure (tests check the two agree to
1e-6); it is not imported here because it pulls in ``sympy`` (seconds per evaluate run).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EMPCParams:
    """The campaign of the EMPC: customer value, costs and the acceptance-rate distribution."""

    clv: float = 200.0
    incentive_cost: float = 10.0
    contact_cost: float = 1.0
    alpha: float = 6.0
    beta: float = 14.0


PAPER = EMPCParams()
"""Verbraken et al. (2013)'s parameters."""


def roc_convex_hull(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (churners caught, non-churners contacted), as counts from (0, 0) to the class
    totals, of the upper convex hull of the ROC curve; tied scores form one step."""
    y = np.asarray(y).astype(bool)
    order = np.argsort(-np.asarray(scores, dtype="float64"), kind="stable")
    ranked, sorted_scores = y[order], np.asarray(scores, dtype="float64")[order]
    ends = np.r_[np.flatnonzero(np.diff(sorted_scores) != 0), len(ranked) - 1]
    tp = np.r_[0, np.cumsum(ranked)[ends]].astype(np.int64)
    fp = np.r_[0, np.cumsum(~ranked)[ends]].astype(np.int64)
    hull: list[int] = []
    for i in range(len(tp)):  # monotone chain on exact integer counts
        while len(hull) >= 2:
            o, a = hull[-2], hull[-1]
            turn = (fp[a] - fp[o]) * (tp[i] - tp[o]) - (tp[a] - tp[o]) * (fp[i] - fp[o])
            if turn < 0:
                break
            hull.pop()
        hull.append(i)
    return tp[hull], fp[hull]


def _optimal_campaigns(y, scores, c: EMPCParams):
    """Per hull vertex: churn share x TPR, non-churn share x FPR, and the Beta mass of the
    acceptance rates for which that vertex is the profit-maximising campaign, with the
    ``gamma``-weighted mass."""
    from scipy.special import betainc  # scipy.special only: scipy.stats costs a second

    y = np.asarray(y)
    n = len(y)
    if np.isnan(np.asarray(scores, dtype="float64")).any():
        raise ValueError("EMPC: the scores contain NaN")
    tp, fp = roc_convex_hull(y, scores)
    caught = tp / n  # pi_1 * TPR
    wasted = fp / n  # pi_0 * FPR
    gain = c.clv - c.incentive_cost  # of an accepting churner, before the contact cost
    lost = c.incentive_cost + c.contact_cost  # of a contacted non-churner
    d_caught, d_wasted = np.diff(caught), np.diff(wasted)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Moving to the next vertex pays when gamma * gain - contact > lost * d_wasted / d_caught.
        edges = (lost * d_wasted / d_caught + c.contact_cost) / gain
    edges = np.where(d_caught > 0, edges, np.inf) if gain > 0 else np.full(len(d_caught), np.inf)
    bounds = np.clip(np.r_[0.0, edges, 1.0], 0.0, 1.0)
    bounds = np.maximum.accumulate(bounds)
    mass = np.diff(betainc(c.alpha, c.beta, bounds))
    mean = c.alpha / (c.alpha + c.beta)
    gamma_mass = mean * np.diff(betainc(c.alpha + 1, c.beta, bounds))
    return caught, wasted, mass, gamma_mass


def empc(y: np.ndarray, scores: np.ndarray, campaign: EMPCParams = PAPER) -> float:
    """Expected maximum profit per customer (in the currency of ``clv``)."""
    c = campaign
    caught, wasted, mass, gamma_mass = _optimal_campaigns(y, scores, c)
    gain = c.clv - c.incentive_cost
    cost = caught * c.contact_cost + wasted * (c.incentive_cost + c.contact_cost)
    profit = caught * gain * gamma_mass - cost * mass
    return float(np.sum(profit))


def empc_contact_share(y: np.ndarray, scores: np.ndarray, campaign: EMPCParams = PAPER) -> float:
    """The expected fraction of customers that the profit-maximising campaign contacts."""
    caught, wasted, mass, _ = _optimal_campaigns(y, scores, campaign)
    return float(np.sum((caught + wasted) * mass))
