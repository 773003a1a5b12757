"""The test customers' value for the evaluate stage: a value column, else the survival model's
lifetime value, and what follows from it.

:func:`test_value` gives each test customer's value, churn probability within the value
horizon and expected value at risk (the value column when ``report.value_column`` names one,
else the saved survival model's table, :func:`survival_table`, when the survival stage ran on
these customers); :func:`with_value` adds them to the top-risk list and
:func:`saved_value_section` makes the business section's saved value. Without per-customer
value all three return None or their input unchanged, and evaluate reports as before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from churnlab import io
from churnlab.config import paths
from churnlab.config.params import Params
from churnlab.errors import UserError
from churnlab.evaluation import business
from churnlab.features import feature_frame
from churnlab.survival import artifact as survival_artifact
from churnlab.survival import sources


@dataclass(frozen=True)
class TestValue:
    """Each test customer's value (:func:`churnlab.evaluation.business.customer_value`), churn
    probability within the value horizon and expected value at risk (their product)."""

    value: business.CustomerValue
    probability: np.ndarray
    at_risk: np.ndarray


def value_column_cells(params: Params, test: pd.DataFrame) -> pd.Series | None:
    """The test customers' ``report.value_column`` as numbers (None when none is named or on
    Spark, whose driver reads only a few columns); a named column missing from the test split,
    or holding text or negative values, is a user error before anything is written."""
    named = params.report.value_column
    if not named or params.engine.name == "spark":
        return None
    where = str(paths.SPLIT / "test.parquet")
    if named not in test:
        raise UserError(
            f"params.yaml: report.value_column {named!r} is not a column of {where}; "
            f"columns: {sorted(map(str, test.columns))}"
        )
    return business.checked_value_column(test[named], named, where)


def survival_table(
    params: Params, pipeline, test: pd.DataFrame, survival: dict | None, transformed=None
):
    """The survival model's horizon probability, lifetime value and value at risk of each test
    customer (:mod:`churnlab.survival.artifact`, as ``churnlab predict`` computes them), when
    the survival stage ran on these test customers; else None. ``transformed``: the pipeline's
    features of ``test`` when :func:`scored_test` made them already (made here otherwise)."""
    if not survival or "skipped" in survival or survival.get("n_test") != len(test):
        return None
    if "features" not in pipeline.named_steps:
        return None
    features = pipeline.named_steps["features"]
    model = survival_artifact.load(paths.SURVIVAL_MODEL, list(features.get_feature_names_out()))
    if model is None:
        return None
    made = features.transform(feature_frame(test)) if transformed is None else transformed
    return model.table(made, with_past_offer(params, test, model.offer))


def with_past_offer(params: Params, test: pd.DataFrame, offer: dict | None) -> pd.DataFrame:
    """The test customers with the past offer column the survival model reads. Synthetic data
    keeps its campaign log in ``data/prepared/truth.parquet`` (``treated``), not in the split:
    without it every offered customer would be valued as never offered. The flags are the
    survival stage's own (:func:`churnlab.survival.sources.offer_flags`, joined by customer
    key); user data carries the column in the split, and its truth table is empty."""
    if offer is None or offer["column"] in test or not paths.TRUTH.exists():
        return test
    truth = io.read_table(paths.TRUTH).set_index("customer_key")
    if truth.empty:
        return test
    flags = sources.offer_flags(params, test, truth, str(paths.TRUTH))
    return test if flags is None else test.assign(**{offer["column"]: flags})


def test_value(
    params: Params, pipeline, test, scores, survival, transformed=None
) -> TestValue | None:
    """The test customers' value and value at risk when they have a value: the value column,
    else the survival model's lifetime value (probability within the value horizon from the
    survival model when it ran, else the classifier's); None without per-customer value."""
    cells = value_column_cells(params, test)
    local = params.engine.name != "spark"
    table = survival_table(params, pipeline, test, survival, transformed) if local else None
    if cells is None and table is None:
        return None
    lifetime = None if table is None else table["value"]
    named = params.report.value_column
    chosen = business.customer_value(params.business, len(test), cells, named, lifetime)
    if table is None:
        probability = np.asarray(scores, dtype="float64")
    else:
        probability = table["value_horizon_churn_probability"].to_numpy("float64")
    return TestValue(chosen, probability, probability * chosen.values)


def saved_value_section(params: Params, survival: dict | None, valued, y, scores):
    """``business.saved_value`` (:func:`churnlab.evaluation.business.saved_value_section`)
    from one campaign on the test split: the survival stage's when it ran on these customers
    (churned = within its value horizon); else, with a value column, the same comparison here
    (:func:`churnlab.survival.policies.compare`, the classifier's probability, churned = the
    label); else None (no value: the business section as before)."""
    b, e = params.business, params.evaluate
    if survival and "skipped" not in survival and survival.get("n_test") == len(y):
        value = survival.get("value") or {}
        found = business.saved_value_section(value.get("campaign"), value.get("from", ""), b)
        if found is not None:
            return found
    if valued is None or valued.value.source != "column":
        return None
    from churnlab.survival import policies

    campaign = policies.compare(
        valued.value.values, valued.at_risk, scores, y.astype(bool), b,
        e.bootstrap_resamples, e.bootstrap_seed,
    )  # fmt: skip
    campaign |= {"churned_within_days": params.data.churn_window_days}
    campaign |= {"probability_from": "classifier"}
    return business.saved_value_section(campaign, "column", b)


def with_value(found, valued: TestValue | None, test: pd.DataFrame, b):
    """The top-risk table with each customer's value, expected value at risk and whether the
    value-at-risk rule calls them (:func:`churnlab.evaluation.business.value_at_risk_contacts`
    over the whole test split); unchanged without per-customer value."""
    if found is None or valued is None:
        return found
    keys = pd.Index(test["customer_key"])
    rows = keys.get_indexer(found.top_risk["customer_key"])
    called = business.value_at_risk_contacts(valued.at_risk, b)
    table = found.top_risk.copy()
    at = list(table.columns).index("churned") + 1  # beside the score, before the reasons
    table.insert(at, "customer_value", np.round(valued.value.values[rows], 2))
    table.insert(at + 1, "value_at_risk", np.round(valued.at_risk[rows], 2))
    table.insert(at + 2, "call", called[rows].astype(int))
    return replace(found, top_risk=table)
