"""Profit-based model choice: the expected maximum profit measure for churn (EMPC).

EMPC (Verbraken, Verbeke & Baesens 2013) is the profit per customer of a retention campaign
that contacts the best-scored fraction of customers, with that fraction chosen to maximise
profit, averaged over the uncertain share ``gamma ~ Beta(alpha, beta)`` of contacted churners
who accept the offer. A contacted churner who accepts is worth ``clv - incentive_cost -
contact_cost``, one who refuses costs ``contact_cost``, a contacted non-churner costs
``incentive_cost + contact_cost``. Unlike ROC-AUC it weighs only the top of the ranking that a
campaign would contact. Computed by the ``empulse`` library (its ``empc_score``); the default
parameters are the paper's (clv 200, incentive 10, contact 1, Beta(6, 14)), so figures are
comparable across models and papers; pass others for a given business.

``empulse`` pulls in ``sympy`` and takes seconds to import, so it is imported on first use.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

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


def empc(y: np.ndarray, scores: np.ndarray, campaign: EMPCParams = PAPER) -> float:
    """Expected maximum profit per customer (in the currency of ``clv``)."""
    from empulse.metrics import empc_score  # seconds to import (sympy)

    return float(empc_score(np.asarray(y), np.asarray(scores), **asdict(campaign)))


def empc_contact_share(y: np.ndarray, scores: np.ndarray, campaign: EMPCParams = PAPER) -> float:
    """The expected fraction of customers that the profit-maximising campaign contacts."""
    from empulse.metrics import empc_score

    return float(empc_score.optimal_rate(np.asarray(y), np.asarray(scores), **asdict(campaign)))
