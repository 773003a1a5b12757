"""The value a campaign saves on the test split: calling by value at risk against by churn risk.

Three policies on the same test customers and the same contact budget (params ``business``):

- ``value_at_risk``: the contact rule (:func:`churnlab.evaluation.business.value_at_risk_contacts`):
  within the budget by expected value at risk, and only where ``acceptance × value at risk −
  offer cost > 0``;
- ``value_at_risk_budget``: the whole budget by expected value at risk (as many calls as the
  probability policy);
- ``probability``: the whole budget by churn probability alone (the classifier's when the stage
  has it, else the survival model's within the value horizon): the order before value was known.

The saved value is realized, not expected: a contacted customer who churned within the value
horizon accepts the offer with probability ``offer_acceptance_rate`` and is then kept, worth
their value; every contact costs ``offer_cost``. The intervals are paired: both policies are
summed over the same resampled customers (the contacts stay those chosen on the whole split).
"""

from __future__ import annotations

import numpy as np

from churnlab.config.params import BusinessParams
from churnlab.evaluation.business import contact_decision, value_at_risk_contacts
from churnlab.survival.scoring import bootstrap_draws, interval

POLICIES = ("value_at_risk", "value_at_risk_budget", "probability")


def policy_contacts(value_at_risk, probability, b: BusinessParams) -> dict[str, np.ndarray]:
    """Who each policy contacts (a boolean per customer)."""
    everyone = np.ones(len(value_at_risk))  # a positive gain for all: the whole budget
    return {
        "value_at_risk": value_at_risk_contacts(value_at_risk, b),
        "value_at_risk_budget": contact_decision(value_at_risk, everyone, b),
        "probability": contact_decision(probability, everyone, b),
    }


def realized_saving(churned, value, b: BusinessParams) -> np.ndarray:
    """Per customer, what contacting them saved: the kept share of a churner's value, minus
    the offer's cost."""
    kept = b.offer_acceptance_rate * np.asarray(churned, "float64") * np.asarray(value, "float64")
    return kept - b.offer_cost


def compare(
    value, value_at_risk, probability, churned, b: BusinessParams, resamples: int, seed: int
) -> dict:
    """Contacts, churners among them (the saved customers are ``offer_acceptance_rate`` of
    those) and realized saved value of each policy on the test customers, and each value
    policy's saved value minus the probability policy's with its 95 % paired interval."""
    contacts = policy_contacts(np.asarray(value_at_risk, "float64"), probability, b)
    saving = realized_saving(churned, value, b)

    def figures(weight: np.ndarray) -> dict[str, float]:
        out = {name: float(np.sum(weight * saving * c)) for name, c in contacts.items()}
        for name in POLICIES[:2]:
            out[f"{name}_minus_probability"] = out[name] - out["probability"]
        return out

    full = figures(np.ones(len(saving)))
    draws = bootstrap_draws(figures, len(saving), resamples, seed)
    churners = np.asarray(churned, dtype=bool)
    return {
        "contacted": {name: int(c.sum()) for name, c in contacts.items()},
        "churners_contacted": {name: int((c & churners).sum()) for name, c in contacts.items()},
        "saved": {name: full[name] for name in POLICIES},
        "differences": {
            key: {"value": full[key], "interval": interval(draws[key])}
            for key in (f"{name}_minus_probability" for name in POLICIES[:2])
        },
    }
