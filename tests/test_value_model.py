"""One customer-value model: the lifetime value past the follow-up and which value applies.

The customer lifetime value extends the survival curve past the observed follow-up by a
geometric tail (checked against the closed form of a constant hazard and a hand-computed
tail); :func:`churnlab.evaluation.business.customer_value` says which value a customer has
(a value column, else the survival model's lifetime value, else the flat business value); the
evaluate stage's business section and report show the saved value beside the saved customers
only when customers have a value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab.config.params import BusinessParams
from churnlab.config.survival import SurvivalValueParams
from churnlab.evaluation import business, report_pages
from churnlab.survival import curves
from conftest import small_params
from test_model_card import BUSINESS, METRICS
from test_survival_decisions import B, example_campaign
from test_survival_value import ConstantHazard


def geometric_sum(x: float, n: int) -> float:
    """sum_{k=1}^{n} x^k in closed form."""
    return n if x == 1.0 else x * (1.0 - x**n) / (1.0 - x)


@pytest.mark.parametrize(("q", "rate", "cap"), [(0.9, 0.01, 60), (0.97, 0.0, 120), (1.0, 0.0, 24)])
def test_constant_hazard_lifetime_is_the_closed_form(q, rate, cap):
    # A constant monthly retention q: S(k) = q^k. Observed: 12 monthly periods of a 365-day
    # follow-up; the tail continues the same hazard, so the whole sum is geometric.
    v = SurvivalValueParams(discount_rate=rate, max_periods=cap, margin_per_period=10.0)
    customers = pd.DataFrame({"monthly_fee": [np.nan]})
    table = curves.customer_table(
        ConstantHazard([q]), None, 365, [30], 60, curves.margins(customers, v), v
    )
    expected = geometric_sum(q / (1.0 + rate), cap)
    assert table["expected_lifetime_periods"][0] == pytest.approx(expected, rel=1e-9)
    assert table["value"][0] == pytest.approx(10.0 * expected, rel=1e-9)
    assert table["value_at_risk"][0] == pytest.approx((1 - q**2) * 10.0 * expected, rel=1e-9)


def test_the_tail_keeps_the_hazard_of_the_last_observed_stretch():
    # Half leave in period 1, then 10 % a period: the tail (last 2 periods) keeps q = 0.9.
    s = np.array([[0.5, 0.45, 0.405], [0.5, 0.0, 0.0], [0.9, 0.8, 0.7]])
    lifetime = curves.lifetime_periods(s, 0.0, max_periods=5, tail_periods=2)
    assert lifetime[0] == pytest.approx(0.5 + 0.45 + 0.405 + 0.3645 + 0.32805)
    assert lifetime[1] == pytest.approx(0.5)  # nobody left: no tail, no NaN
    # over the whole observed stretch (S(0) = 1): q = 0.7 ** (1 / 3)
    q = 0.7 ** (1 / 3)
    whole = curves.lifetime_periods(s[2:], 0.1, max_periods=4, tail_periods=5)
    assert whole[0] == pytest.approx(0.9 / 1.1 + 0.8 / 1.1**2 + 0.7 / 1.1**3 + 0.7 * q / 1.1**4)
    # a cap inside the follow-up counts the observed periods up to it; no cap: all of them
    assert curves.lifetime_periods(s, 0.0, max_periods=2)[2] == pytest.approx(1.7)
    assert curves.lifetime_periods(s, 0.0)[2] == pytest.approx(2.4)


def test_the_lifetime_value_is_longer_than_the_follow_up_and_capped():
    v = SurvivalValueParams()
    assert (v.max_periods, v.tail_periods) == (60, 3)
    retention = [0.8, 0.95, 0.99]
    table = curves.customer_table(
        ConstantHazard(retention), None, 365, [30], 60, np.full(3, 10.0), v
    )
    within = curves.lifetime_periods(np.array(retention)[:, None] ** np.arange(1, 13), 0.01)
    assert (table["expected_lifetime_periods"] > within).all()
    assert (table["expected_lifetime_periods"] < 60).all()
    # the more loyal, the more of the value lies past the follow-up
    assert np.all(np.diff(table["expected_lifetime_periods"] / within) > 0)


def test_which_value_applies():
    b = BusinessParams(retained_customer_value=500.0)
    column = pd.Series([120.0, np.nan, -3.0, "x"])
    lifetime = np.array([50.0, 60.0, np.nan, 80.0])
    chosen = business.customer_value(b, 4, column, "yearly_value", lifetime)
    assert chosen.source == "column"  # a named column wins over the survival model
    np.testing.assert_allclose(chosen.values, [120.0, 500.0, 500.0, 500.0])
    assert "3 customers have no usable yearly_value" in " ".join(chosen.notes)
    chosen = business.customer_value(b, 4, None, "", lifetime)
    assert chosen.source == "survival"
    np.testing.assert_allclose(chosen.values, [50.0, 60.0, 500.0, 80.0])
    chosen = business.customer_value(b, 4)
    assert chosen.source == "flat" and chosen.notes == []
    np.testing.assert_allclose(chosen.values, np.full(4, 500.0))


def test_the_business_section_gets_the_saved_value_only_with_values():
    from churnlab.evaluation import valuation

    survival = {"n_test": 4, "value": {"from": "survival", "campaign": example_campaign()}}
    params = small_params(business=B.model_dump())
    y, scores = np.zeros(4), np.zeros(4)
    saved = valuation.saved_value_section(params, survival, None, y, scores)
    # value at risk: customers 0 and 1 (both churned); probability: 1 (churned) and 2
    assert saved["churners_contacted"] == {
        "value_at_risk": 2,
        "value_at_risk_budget": 2,
        "probability": 1,
    }
    assert saved["saved_customers"]["value_at_risk"] == pytest.approx(0.5 * 2)
    assert saved["saved"]["probability"] == pytest.approx(0.5 * 100 - 2 * 10)
    assert saved["value_from"] == "survival"
    assert saved["break_even_value_at_risk"] == pytest.approx(10 / 0.5)  # cost / acceptance
    five = np.zeros(5)  # other test customers
    assert valuation.saved_value_section(params, survival, None, five, five) is None
    skipped = {"skipped": "no timestamps"}
    assert valuation.saved_value_section(params, skipped, None, y, scores) is None
    assert valuation.saved_value_section(params, None, None, y, scores) is None
    assert business.saved_value_section(None, "survival", B) is None


def page(m: dict, valued: dict | None = None) -> str:
    figures = report_pages.Figures((b"png", "profit"), (b"png", "gains"))
    top = pd.DataFrame(
        {"rank": [1], "customer_key": ["a"], "churn_score": [0.9], "churned": [1]}
        | (valued or {})
        | {"reasons": ["x"], "suggested_action": ["call"]}
    )
    drivers = pd.DataFrame({"column": [], "direction": []})
    quality = {"rows_out": 10, "rows_in": 10, "label_rate": 0.2, "duplicate_rows": 0}
    return report_pages.evaluation_page(
        m, quality, BUSINESS | {"currency": "EUR"}, top, drivers, figures
    )


def test_the_report_shows_saved_value_beside_saved_customers():
    saved = business.saved_value_section(example_campaign(), "survival", B)
    m = METRICS | {"business": METRICS["business"] | {"saved_value": saved}}
    shown = page(m)
    diff = saved["differences"]["value_at_risk_minus_probability"]
    assert "customers kept" in shown and "churners reached" in shown
    assert f"{diff['value']:,.0f} EUR more, 95 % paired interval" in shown
    assert "survival model&#x27;s lifetime value" in shown or "survival model's lifetime" in shown
    before = page(METRICS)  # no value: the page as before
    assert "customers kept" not in before and "paired interval" not in before


def test_evaluate_values_the_test_customers_by_a_value_column():
    # No survival stage (no timestamps), a value column: evaluate compares the policies
    # itself with the classifier's probability and the label.
    from churnlab.evaluation import valuation

    survival = {"skipped": "no dates"}  # the survival stage's metrics without timestamps
    params = small_params(
        report={"value_column": "yearly"},
        business=B.model_dump(),
        evaluate={"bootstrap_resamples": 50},
    )
    test = pd.DataFrame({"yearly": [1000.0, 100.0, None, 500.0]})
    y, scores = np.array([1, 1, 0, 0]), np.array([0.3, 0.9, 0.8, 0.1])
    valued = valuation.test_value(params, None, test, scores, survival)
    saved = valuation.saved_value_section(params, survival, valued, y, scores)
    # a blank counts with the flat 500: value at risk 300, 90, 400, 50; the rule calls 0 and 2
    assert saved["value_from"] == "column"
    assert saved["contacted"]["value_at_risk"] == 2
    assert saved["saved"]["value_at_risk"] == pytest.approx(0.5 * 1000 - 10 - 10)
    assert saved["saved"]["probability"] == pytest.approx(0.5 * 100 - 10 - 10)
    assert saved["churned_within_days"] == params.data.churn_window_days
    without = small_params(business=B.model_dump())
    valued = valuation.test_value(without, None, test, scores, survival)
    assert valued is None
    assert valuation.saved_value_section(without, survival, valued, y, scores) is None


def test_the_report_call_list_shows_value_and_value_at_risk():
    valued = {"customer_value": [2500.0], "value_at_risk": [2250.0], "call": [1]}
    shown = page(METRICS, valued)
    assert "<th>value at risk</th>" in shown and "<th>call</th>" in shown
    assert '"value at risk">2,250</td>' in shown and '"value">2,500</td>' in shown
    assert "value at risk" not in page(METRICS).split("Who to call")[1].split("</table>")[0]
