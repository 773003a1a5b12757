"""Value at risk in evaluate's decisions: the top-risk list, its columns and a bad value column.

With per-customer value (a value column here; the survival model's lifetime value on the
default run) evaluate ranks its top-risk list by expected value at risk and shows the value,
the value at risk and whether the value-at-risk rule calls the customer; without value the
list is the churn-score list of before. A value column that is missing, negative or text
stops evaluate with one message before anything is written.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from churnlab import io, package
from churnlab.errors import UserError
from churnlab.evaluation import business, model_card, shap_report, valuation
from churnlab.features import feature_frame
from churnlab.stages import evaluate
from conftest import small_params


@pytest.fixture(scope="module")
def pipeline(trained_run):
    return package.load(trained_run / "models/pipeline.skops")


@pytest.fixture(scope="module")
def valued_test(trained_run) -> pd.DataFrame:
    """The small run's test split; its ``monthly_fee`` column serves as each customer's value
    (a column of the customers file, as Telco's ``TotalCharges``)."""
    return io.read_table(trained_run / "data/split/test.parquet")


def top_risk(pipeline, test, scores, params, priority=None):
    return shap_report.explain_test(
        pipeline, test, scores, params.evaluate, params.report, params.actions, priority=priority
    )


def test_a_value_column_ranks_the_top_risk_list_by_value_at_risk(pipeline, valued_test):
    params = small_params(report={"value_column": "monthly_fee"}, evaluate={"top_customers": 15})
    scores = pipeline.predict_proba(feature_frame(valued_test))[:, 1]
    valued = valuation.test_value(params, pipeline, valued_test, scores, None)
    assert valued.value.source == "column"
    fee = valued_test["monthly_fee"].to_numpy("float64")
    fee = np.where(np.isnan(fee), params.business.retained_customer_value, fee)  # blank: flat
    np.testing.assert_allclose(valued.at_risk, scores * fee)
    found = valuation.with_value(
        top_risk(pipeline, valued_test, scores, params, valued.at_risk),
        valued,
        valued_test,
        params.business,
    )
    table = found.top_risk
    expected = np.sort(valued.at_risk)[::-1][:15]
    np.testing.assert_allclose(table["value_at_risk"], expected.round(2))
    by_key = pd.Series(fee, index=valued_test["customer_key"])
    np.testing.assert_allclose(
        table["customer_value"], by_key.loc[table["customer_key"]], atol=0.01
    )
    product = table["churn_score"] * table["customer_value"]
    np.testing.assert_allclose(table["value_at_risk"], product, atol=0.01)
    called = business.value_at_risk_contacts(valued.at_risk, params.business)
    assert table["call"].sum() == min(int(called.sum()), 15)  # the rule's calls, first in order
    assert list(table.columns[4:7]) == ["customer_value", "value_at_risk", "call"]
    by_score = top_risk(pipeline, valued_test, scores, params).top_risk
    assert not table["customer_key"].equals(by_score["customer_key"])  # another order
    shown = model_card.top_risk_table(table)
    assert "# Customers with the highest value at risk" in shown and "| value at risk |" in shown


def test_without_value_the_top_risk_list_is_as_before(pipeline, valued_test):
    params = small_params(evaluate={"top_customers": 15})  # no value column named
    scores = pipeline.predict_proba(feature_frame(valued_test))[:, 1]
    assert valuation.test_value(params, pipeline, valued_test, scores, None) is None
    before = top_risk(pipeline, valued_test, scores, params)
    assert valuation.with_value(before, None, valued_test, params.business) is before
    assert list(before.top_risk.columns) == shap_report.TOP_RISK_COLUMNS
    assert before.top_risk["churn_score"].is_monotonic_decreasing
    shown = model_card.top_risk_table(before.top_risk)
    assert shown.startswith("# Highest-risk customers of the test split\n")
    assert (
        "| rank | customer_key | churn score | churned | top reasons | suggested action |\n"
        in shown
    )
    assert "value at risk" not in shown
    # the survival model is only read when its stage ran on these test customers
    other = {"n_test": len(valued_test) + 1, "value": {}}
    assert valuation.survival_table(params, pipeline, valued_test, other) is None
    assert valuation.survival_table(params, pipeline, valued_test, {"skipped": "no dates"}) is None


def test_values_follow_the_customer_key_not_the_row():
    # the top-risk rows come in another order than the test split: each keeps its own value
    test = pd.DataFrame({"customer_key": ["a", "b", "c", "d"]})
    value = business.CustomerValue(np.array([10.0, 20.0, 30.0, 40.0]), "column", [])
    probability = np.array([0.5, 0.1, 0.9, 0.2])
    valued = valuation.TestValue(value, probability, probability * value.values)
    top = pd.DataFrame(
        {"rank": [1, 2], "customer_key": ["c", "a"], "churn_score": [0.9, 0.5], "churned": [1, 0]}
        | {"reasons": ["x", "y"], "suggested_action": ["call", "call"]}
    )
    found = shap_report.Explanations(pd.DataFrame(), "m", [], top, pd.DataFrame())
    b = small_params(business={"offer_cost": 5.0, "offer_acceptance_rate": 0.5}).business
    table = valuation.with_value(found, valued, test, b).top_risk
    assert table["customer_value"].tolist() == [30.0, 10.0]
    assert table["value_at_risk"].tolist() == [27.0, 5.0]
    assert table["call"].tolist() == [1, 0]  # 0.5 × 27 > 5; 0.5 × 5 < 5


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["12.5", "-3", "40"], "1 negative cells (e.g. '-3')"),
        ([12.5, "n/a", "40"], "1 not a number cells (e.g. 'n/a')"),
    ],
)
def test_a_bad_value_column_is_one_clear_error(cells, message):
    with pytest.raises(UserError, match="value column 'yearly'") as raised:
        business.checked_value_column(pd.Series(cells, dtype=object), "yearly", "test.parquet")
    assert message in str(raised.value)
    blanks = business.checked_value_column(pd.Series(["12.5", " ", None]), "yearly", "t")
    assert blanks.iloc[0] == 12.5 and blanks.iloc[1:].isna().all()  # blanks: the flat value


def test_evaluate_stops_before_writing_on_a_bad_value_column(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    kept = tmp_path / "metrics" / "evaluate.json"
    io.write_json({"roc_auc": 0.8}, kept)
    test = pd.DataFrame({"customer_key": ["a", "b"], "churned": [1, 0], "spend": [1.0, 2.0]})
    monkeypatch.setattr(evaluate.package, "load", lambda path: None)
    monkeypatch.setattr(evaluate.io, "read_json", lambda path: {"threshold": 0.5})
    monkeypatch.setattr(evaluate, "scored_test", lambda p, pipe: (test, np.array([0.9, 0.1]), None))
    monkeypatch.setattr(evaluate, "read_outlook", lambda: (None, None, None))
    for named, expected in (("yearly", "is not a column of"), ("customer_key", "not a number")):
        params = small_params(report={"value_column": named})
        with pytest.raises(UserError, match=expected):
            evaluate.main(params)
    assert json.loads(kept.read_text()) == {"roc_auc": 0.8}  # nothing written, nothing lost
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["evaluate.json"]


def test_synthetic_test_customers_are_valued_with_their_past_offer(tmp_path, monkeypatch):
    """Synthetic data logs the past campaign in data/prepared/truth.parquet, not in the split:
    evaluate hands the survival model each test customer's offer flag from there (by key), as
    the survival stage does; without it every offered customer was valued as never offered."""
    truth = tmp_path / "truth.parquet"
    io.write_table(pd.DataFrame({"customer_key": ["c", "a", "b"], "treated": [1, 0, 1]}), truth)
    monkeypatch.setattr(valuation.paths, "TRUTH", truth)
    test = pd.DataFrame({"customer_key": ["a", "b", "c"], "tenure_days": [1, 2, 3]})
    offer = {"column": "treated", "treated_value": 1}
    params = small_params()
    flagged = valuation.with_past_offer(params, test, offer)
    assert flagged["treated"].tolist() == [0, 1, 1]
    assert (
        valuation.with_past_offer(params, test, None) is test
    )  # a model without the offer covariate
    own = test.assign(treated=[1, 1, 0])  # user data: the split carries the column
    assert valuation.with_past_offer(params, own, offer)["treated"].tolist() == [1, 1, 0]
