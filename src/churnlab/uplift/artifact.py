"""The uplift learner as it travels with the churn model, and what it answers per customer.

The uplift stage saves ``models/uplift.skops`` beside ``models/pipeline.skops``: the chosen
learner, the feature columns it reads (the churn featurizer's output, less any column made
from the treatment or propensity) and the decision's money (value of a retained customer,
offer cost, contact budget). A stage that does not apply (uplift off, no treatment column)
saves ``{"skipped": reason}`` instead, so a stale learner never outlives its data. The scorer
loads it when present (:func:`load` gives None otherwise) and adds, per customer, the uplift
(the drop in churn probability if contacted) and the recommended action of
:func:`churnlab.uplift.policy.uplift_contacts`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from churnlab import package
from churnlab.uplift import policy

log = logging.getLogger(__name__)

CONTACT, NO_CONTACT = "contact", "do not contact"


@dataclass(frozen=True)
class UpliftModel:
    """A fitted uplift learner with the columns it reads and the decision's money."""

    learner: Any
    columns: list[str]
    value: float  # of a retained customer (business.retained_customer_value at training)
    offer_cost: float
    budget_share: float

    def uplift(self, features: pd.DataFrame) -> np.ndarray:
        """Estimated drop in churn probability if contacted, per row of the churn features."""
        return np.asarray(self.learner.predict(features[self.columns]), dtype="float64")

    def actions(self, uplift, value=None, budget_share: float | None = None) -> np.ndarray:
        """``contact`` when uplift × value − offer cost > 0, best first within the budget
        (the stage's policy); ``value`` per customer defaults to the saved one."""
        value = self.value if value is None else np.asarray(value, dtype="float64")
        share = self.budget_share if budget_share is None else budget_share
        contacted = policy.uplift_contacts(uplift, value, self.offer_cost, share)
        return np.where(contacted, CONTACT, NO_CONTACT).astype(object)


def bundle(learner, columns, value: float, offer_cost: float, budget_share: float) -> dict:
    """What the stage saves: plain containers and the allow-listed learner."""
    return {
        "learner": learner,
        "columns": [str(c) for c in columns],
        "value": float(value),
        "offer_cost": float(offer_cost),
        "budget_share": float(budget_share),
    }


def skipped(reason: str) -> dict:
    return {"skipped": reason}


def from_bundle(saved: dict) -> UpliftModel | None:
    if "skipped" in saved:
        return None
    return UpliftModel(
        saved["learner"],
        list(saved["columns"]),
        saved["value"],
        saved["offer_cost"],
        saved["budget_share"],
    )


def load(path: Path, feature_names: list[str]) -> UpliftModel | None:
    """The saved learner, or None when absent, skipped, or made for other features (a learner
    of an earlier featurizer is ignored with a warning rather than scoring wrong columns)."""
    if not path.exists():
        return None
    saved = package.load(path)
    if not isinstance(saved, dict):  # a bare learner of an earlier version: no columns known
        log.warning("%s has no feature columns: re-run `dvc repro uplift`; ignored", path)
        return None
    model = from_bundle(saved)
    if model is not None and not set(model.columns) <= set(feature_names):
        log.warning("%s was fitted on other features than the churn model; ignored", path)
        return None
    return model
