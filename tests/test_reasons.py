"""Reasons in words: contributions folded back to the customer's columns, values, actions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import io, package
from churnlab.config.report import ActionsParams, ReportParams
from churnlab.evaluation import explain, reasons, shap_report
from churnlab.features import feature_frame
from conftest import small_params


@pytest.fixture(scope="module")
def pipeline(trained_run):
    return package.load(trained_run / "models/pipeline.skops")


@pytest.fixture(scope="module")
def holdout_rows(trained_run) -> pd.DataFrame:
    return io.read_table(trained_run / "data/split/test.parquet")


@pytest.fixture(scope="module")
def contribs(pipeline, holdout_rows) -> pd.DataFrame:
    return explain.contributions(pipeline, feature_frame(holdout_rows))[0]


def test_every_expanded_feature_folds_to_its_source_column(pipeline, contribs):
    fmap = reasons.fold_map(pipeline, list(contribs.columns))
    owner = {f: fmap.columns[o] for f, o in zip(fmap.features, fmap.owner, strict=True)}
    assert owner["cat__contract_month-to-month"] == "contract"
    assert owner["cat__contract_two-year"] == "contract"
    assert owner["num__missingindicator_satisfaction"] == "satisfaction"
    assert owner["bin__tenure_days"] == "tenure_days"
    assert owner["date__signup_date_year"] == "signup_date"
    assert owner["num__spend_per_login"] == "spend_per_login"  # a constructed ratio
    assert {owner[f] for f in contribs.columns if f.startswith("text__")} == {"ticket_text"}
    assert fmap.text == {"ticket_text"}
    assert "contract" in fmap.categorical and "tenure_days" not in fmap.categorical


def test_folding_keeps_each_customers_total(pipeline, contribs):
    fmap = reasons.fold_map(pipeline, list(contribs.columns))
    folded = reasons.fold(contribs, fmap)
    # XGBoost's contributions are float32: sums agree to float32 precision
    np.testing.assert_allclose(folded.sum(axis=1), contribs.sum(axis=1), atol=1e-5)
    one_hot = [c for c in contribs.columns if c.startswith("cat__contract_")]
    np.testing.assert_allclose(folded["contract"], contribs[one_hot].sum(axis=1), atol=1e-5)
    assert folded.shape[1] < contribs.shape[1] / 2


def test_reasons_name_the_customers_own_value_never_a_zero_one_hot(
    pipeline, holdout_rows, contribs
):
    """Observation 4: a one-year customer got ``Contract_Two year (+0.12)``."""
    frame = feature_frame(holdout_rows)
    found = reasons.explain_customers(
        pipeline, frame, contribs.set_axis(frame.index), 3, ReportParams(), ActionsParams()
    )
    texts = found[["reason_1", "reason_2", "reason_3"]]
    flat = [t for t in texts.to_numpy().ravel() if t]
    endings = ("raises risk", "lowers risk", "raise risk", "lower risk")
    assert flat and all(t.endswith(endings) for t in flat)
    assert not any("contract_" in t or "(+" in t for t in flat)
    said = 0
    for (_, row), customer in zip(texts.iterrows(), frame.itertuples(), strict=True):
        for text in row:
            if text.startswith("contract: "):
                assert text.split(": ", 1)[1].rsplit(" ", 2)[0] == customer.contract
                said += 1
    assert said > 10  # the contract was a reason for many customers, always with their value


def test_values_are_worded_with_units():
    assert reasons.describe(1.0, "tenure", {}) == "1 month"  # a tenure without unit: months
    assert reasons.describe(14, "tenure", {}) == "14 months"
    assert reasons.describe(14, "tenure", {"tenure": "years"}) == "14 years"
    assert reasons.describe(14, "tenure", {"tenure": ""}) == "14"
    assert reasons.describe(70, "MonthlyCharges", {"MonthlyCharges": "USD"}) == "70 USD"
    assert reasons.describe(120.0, "tenure_days", {}) == "120 days"
    assert reasons.describe(70.35, "MonthlyCharges", {}) == "70.35"
    assert reasons.describe(1234.5, "TotalCharges", {}) == "1,234"
    assert reasons.describe(np.nan, "TotalCharges", {}) == "missing"
    assert reasons.describe("Month-to-month", "Contract", {}) == "Month-to-month"
    assert reasons.describe(pd.Timestamp("2025-03-01"), "signup_date", {}) == "2025-03-01"


def test_actions_come_from_the_first_matching_family():
    actions = ActionsParams()
    assert reasons.family("Contract", actions) == "contract"
    assert reasons.family("MonthlyCharges", actions) == "price"
    assert reasons.family("PaymentMethod", actions) == "payment"  # before price's "payment"
    assert reasons.family("days_since_last_login", actions) == "inactivity"
    assert reasons.family("tenure", actions) == "new customer"
    assert reasons.family("gender", actions) == ""
    families, todo = reasons.suggested_actions(np.array(["Contract", "gender", ""]), actions)
    assert families == ["contract", "", ""]
    assert todo[0] == actions.rules["contract"].action
    assert todo[1] == todo[2] == actions.default


def test_action_table_is_editable_in_params():
    params = small_params(
        actions={"rules": {"loyalty": {"match": ["contract"], "action": "Send a gift"}}}
    )
    families, todo = reasons.suggested_actions(np.array(["contract"]), params.actions)
    assert (families, todo) == (["loyalty"], ["Send a gift"])


def test_drivers_say_which_values_raise_the_risk(pipeline, holdout_rows, contribs):
    frame = feature_frame(holdout_rows)
    fmap = reasons.fold_map(pipeline, list(contribs.columns))
    found = reasons.drivers(contribs, fmap, reasons.values_frame(pipeline, frame), 10)
    assert len(found) == 10
    assert found["importance"].is_monotonic_decreasing
    by_column = dict(zip(found["column"], found["direction"], strict=True))
    assert by_column["contract"].startswith("month-to-month raises risk")
    assert "two-year" in by_column["contract"].split(";")[1]
    assert by_column["satisfaction"] == "lower values raise risk"


def test_top_risk_table_of_evaluate_has_values_and_actions(pipeline, holdout_rows):
    p = small_params()
    scores = pipeline.predict_proba(feature_frame(holdout_rows))[:, 1]
    found = shap_report.explain_test(
        pipeline, holdout_rows, scores, p.evaluate, p.report, p.actions
    )
    table = found.top_risk
    assert list(table.columns) == shap_report.TOP_RISK_COLUMNS
    assert not table["reasons"].str.contains(r"\(\+", regex=True).any()
    assert table["reasons"].str.contains(": ").all()
    assert set(table["suggested_action"]) <= {r.action for r in p.actions.rules.values()} | {
        p.actions.default
    }
    assert not found.drivers.empty


def test_score_and_the_api_word_reasons_as_predict_does(trained_run, pipeline, holdout_rows):
    """One wording everywhere: ``churnlab score`` and the API (general and fast path) give the
    folded reasons of ``churnlab predict``, with the column's summed contribution."""
    from churnlab.serving.scorer import Scorer

    scorer = Scorer.load(trained_run / "models", small_params().serve)
    frame = feature_frame(holdout_rows).head(60)
    scored = scorer.score(frame)
    contribs = explain.contributions(pipeline, frame)[0].set_axis(frame.index)
    worded = reasons.explain_customers(
        pipeline, frame, contribs, 3, ReportParams(), ActionsParams()
    )
    names = ["reason_1", "reason_2", "reason_3"]
    pd.testing.assert_frame_equal(scored[names], worded[names], check_dtype=False)
    assert not scored["reason_1"].str.contains("contract_").any()
    folded = reasons.fold(contribs, reasons.fold_map(pipeline, list(contribs.columns)))
    for name in names:
        picked = [folded.loc[i, c] for i, c in scored[f"{name}_column"].items()]
        np.testing.assert_allclose(scored[f"{name}_contribution"], picked, atol=1e-5)
    fast = scorer.score_columns({c: frame[c].to_numpy(dtype=object) for c in scorer.schema}, 60)
    assert list(fast["reason_1"]) == scored["reason_1"].tolist()


def test_dates_from_a_request_are_worded_as_dates():
    import datetime as dt

    assert reasons.describe(dt.datetime(2025, 3, 1, 12, 30), "signup_date", {}) == "2025-03-01"
    assert reasons.describe(dt.date(2025, 3, 1), "signup_date", {}) == "2025-03-01"
