"""The contact decision and the money it makes, as pure functions of arrays.

The uplift policy contacts a customer when estimated uplift × value − offer cost > 0, best
first, within the contact budget. It is compared with contacting by churn risk (today's
policy) at the same number of contacts, with contacting everyone and with contacting no one.
A policy's net gain is Σ over contacted customers of (uplift × value − cost):

- *exact* when the true uplifts are known (synthetic data);
- estimated by inverse-propensity weighting otherwise: a contacted customer's uplift is
  replaced by ``stayed × (t / e − (1 − t) / (1 − e))``, unbiased for it in a campaign with
  propensity ``e`` (the test split of a past campaign is such a sample).

Per-customer gains add up, so the paired bootstrap of two policies resamples customers and
sums the difference of their gains.
"""

from __future__ import annotations

import numpy as np

EPS = 0.02


def uplift_contacts(uplift, value, cost: float, budget_share: float) -> np.ndarray:
    """Who the uplift policy contacts: positive expected net gain, best first, within budget."""
    gain = np.asarray(uplift, dtype="float64") * value - cost
    budget = int(np.floor(budget_share * len(gain)))
    order = np.argsort(-gain, kind="mergesort")[:budget]
    contacted = np.zeros(len(gain), dtype=bool)
    contacted[order[gain[order] > 0]] = True
    return contacted


def top_contacts(score, count: int) -> np.ndarray:
    """The ``count`` customers with the highest ``score`` (e.g. churn risk)."""
    contacted = np.zeros(len(score), dtype=bool)
    contacted[np.argsort(-np.asarray(score), kind="mergesort")[:count]] = True
    return contacted


def ipw_uplift(stayed, treatment, propensity) -> np.ndarray:
    """Per-customer unbiased (noisy) estimate of the uplift from one campaign outcome."""
    t = np.asarray(treatment, dtype="float64")
    e = np.clip(np.asarray(propensity, dtype="float64"), EPS, 1 - EPS)
    return np.asarray(stayed, dtype="float64") * (t / e - (1 - t) / (1 - e))


def customer_gains(contacted, uplift, value, cost: float) -> np.ndarray:
    """Each customer's contribution to a policy's net gain (0 when not contacted)."""
    return np.where(contacted, np.asarray(uplift, dtype="float64") * value - cost, 0.0)


def policies(uplift_score, risk_score, value, cost, budget_share) -> dict[str, np.ndarray]:
    """The contact sets compared: uplift, risk (same number of contacts), everyone, no one."""
    uplift = uplift_contacts(uplift_score, value, cost, budget_share)
    n = len(uplift)
    return {
        "uplift": uplift,
        "risk": top_contacts(risk_score, int(uplift.sum())),
        "everyone": np.ones(n, dtype=bool),
        "no_one": np.zeros(n, dtype=bool),
    }


def compare(contact_sets, effect, value, cost, resamples: int, seed: int, confidence=0.95):
    """Net gain and contacts per policy, and the uplift policy's paired gain over the others.

    ``effect`` is the per-customer uplift used for the money: the true one, or
    :func:`ipw_uplift`'s estimate.
    """
    gains = {k: customer_gains(c, effect, value, cost) for k, c in contact_sets.items()}
    out: dict = {
        name: {"net_gain": float(g.sum()), "contacted": int(contact_sets[name].sum())}
        for name, g in gains.items()
    }
    rng = np.random.default_rng(seed)
    n = len(effect)
    picks = [rng.integers(0, n, n) for _ in range(resamples)]
    alpha = (1 - confidence) / 2
    for other in ("risk", "everyone", "no_one"):
        diff = gains["uplift"] - gains[other]
        values = np.array([diff[p].sum() for p in picks])
        low, high = np.quantile(values, [alpha, 1 - alpha])
        out[f"uplift_minus_{other}"] = {
            "value": float(diff.sum()),
            "low": float(low),
            "high": float(high),
        }
    # The relative gain over the risk policy, on the same resamples (None when risk earns <= 0).
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.array([gains["uplift"][p].sum() / gains["risk"][p].sum() - 1 for p in picks])
    ratios = ratios[np.isfinite(ratios)]
    if out["risk"]["net_gain"] > 0 and len(ratios):
        low, high = np.quantile(ratios, [alpha, 1 - alpha])
        relative = out["uplift"]["net_gain"] / out["risk"]["net_gain"] - 1
        out["uplift_over_risk"] = {"value": relative, "low": float(low), "high": float(high)}
    else:
        out["uplift_over_risk"] = None
    return out
