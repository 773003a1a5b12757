"""Value at risk in every decision, survival on the classifiers' folds, the offer covariate.

The one contact rule (acceptance × value at risk − offer cost > 0, within the budget), the
test-split comparison of the value it saves against calling by churn probability, ``churnlab
predict``'s decision and the report lines; the survival models cross-validated on the folds
the studies' folds stage assigns; the past offer flag read for training and defaulted to "no
offer" when scoring rows without it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import io, package
from churnlab.config.columns import TARGET
from churnlab.config.params import BusinessParams, parse_params
from churnlab.config.survival import SurvivalParams
from churnlab.evaluation import business, outlook_report
from churnlab.serving import predict
from churnlab.survival import artifact, crossval, policies, sources
from churnlab.survival.models import fit_model
from churnlab.survival.offer import OFFER, offered, with_offer

B = BusinessParams(contact_budget_share=0.5, offer_acceptance_rate=0.5, offer_cost=10.0)


def test_the_contact_rule_keeps_the_budget_and_a_positive_gain():
    value_at_risk = np.array([100.0, 15.0, 30.0, 25.0, np.nan, 5.0])
    # gain = 0.5 × value at risk − 10: 40, -2.5, 5, 2.5, nan, -7.5; budget ceil(0.5 × 6) = 3
    np.testing.assert_allclose(business.expected_net_gain([30.0, 5.0], B), [5.0, -7.5])
    contact = business.value_at_risk_contacts(value_at_risk, B)
    assert contact.tolist() == [True, False, True, True, False, False]
    tight = B.model_copy(update={"contact_budget_share": 0.2})  # 2 customers: 100 and 30
    assert np.flatnonzero(business.value_at_risk_contacts(value_at_risk, tight)).tolist() == [0, 2]
    # another priority (churn probability) within the same budget, the same gain filter
    gain = business.expected_net_gain(value_at_risk, B)
    by_p = business.contact_decision([0.1, 0.9, 0.8, 0.7, 0.2, 0.95], gain, B)
    # the budget is 5, 1 and 2; 5 and 1 have a negative gain; 3 (gain 2.5) is outside it
    assert np.flatnonzero(by_p).tolist() == [2]
    ties = business.contact_decision([1.0, 1.0, 1.0, 1.0], np.ones(4), B)
    assert ties.tolist() == [True, True, False, False]  # file order on ties


def test_saved_value_by_hand_and_paired_intervals():
    value = np.array([1000.0, 100.0, 40.0, 500.0])
    probability = np.array([0.3, 0.9, 0.8, 0.1])
    churned = np.array([True, True, False, False])
    at_risk = probability * value  # 300, 90, 32, 50
    out = policies.compare(value, at_risk, probability, churned, B, 50, 0)
    # value at risk: the budget is 2 (300 and 90), both gains positive; probability: 0.9, 0.8
    assert out["contacted"] == {"value_at_risk": 2, "value_at_risk_budget": 2, "probability": 2}
    assert out["saved"]["value_at_risk"] == pytest.approx(0.5 * 1000 - 10 + 0.5 * 100 - 10)
    assert out["saved"]["probability"] == pytest.approx(0.5 * 100 - 10 - 10)
    diff = out["differences"]["value_at_risk_minus_probability"]
    assert diff["value"] == pytest.approx(500.0)
    low, high = diff["interval"]
    assert low <= high and high > 0  # a resample without customer 0 gains nothing


def test_saved_value_rule_contacts_nobody_worth_less_than_the_offer():
    value = np.full(6, 20.0)
    probability = np.linspace(0.1, 0.6, 6)
    churned = np.ones(6, dtype=bool)
    out = policies.compare(value, probability * value, probability, churned, B, 20, 0)
    # 0.5 × at most 12 − 10 < 0: the rule calls no one, the probability order calls 3
    assert out["contacted"]["value_at_risk"] == 0 and out["saved"]["value_at_risk"] == 0.0
    assert out["saved"]["probability"] == pytest.approx(3 * (0.5 * 20 - 10))


def test_predict_decides_by_the_value_at_risk_within_the_budget():
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "churn_probability": [0.9, 0.2, 0.5, 0.6],
            "expected_value_at_risk": [18.0, 180.0, 50.0, 21.0],
        }
    )
    decided = predict.decide(frame, B)
    np.testing.assert_allclose(decided["expected_net_gain"], [-1.0, 80.0, 15.0, 0.5])
    assert decided["contact"].tolist() == [False, True, True, False]  # d is outside the budget
    by_p = predict.decide(frame, B, "probability")  # a and d first; a's gain is negative
    assert by_p["contact"].tolist() == [False, False, False, True]
    calls = predict.call_list(decided, B)
    assert calls["customer_id"].tolist() == ["b", "c"] and calls["contact"].all()
    lines = outlook_report.prediction_lines(decided, "EUR")
    assert any("Worth a call: 2 customers" in line and "95 EUR" in line for line in lines)


def example_campaign() -> dict:
    """The survival stage's comparison on four hand-made test customers (as in its output)."""
    out = policies.compare(
        np.array([1000.0, 100.0, 40.0, 500.0]),
        np.array([300.0, 90.0, 32.0, 50.0]),
        np.array([0.3, 0.9, 0.8, 0.1]),
        np.array([True, True, False, False]),
        B,
        30,
        0,
    )
    return out | {"churned_within_days": 60, "probability_from": "classifier"}


def test_the_report_shows_the_saved_value_with_its_intervals():
    campaign = example_campaign()
    survival = {
        "model": "xgb_cox",
        "concordance": 0.81,
        "uno_concordance": 0.8,
        "integrated_brier": 0.12,
        "km_integrated_brier": 0.2,
        "value": {
            "saved": {"contacted": 2, "by_value_at_risk": 1.0, "by_probability": 0.0},
            "at_risk": 472.0,
            "currency": "EUR",
            "campaign": campaign,
        },
    }
    frame = outlook_report.saved_value_frame(survival, "")
    assert frame["contacted"].tolist() == [2, 2, 2]
    assert frame["minus by probability"].iloc[-1] == "–"
    low, high = campaign["differences"]["value_at_risk_minus_probability"]["interval"]
    assert f"[{low:,.0f} EUR, {high:,.0f} EUR]" in frame["minus by probability"].iloc[0]
    card = "\n".join(outlook_report.card_lines(None, survival, "EUR"))
    assert "| value-at-risk rule" in card and "realized" in card
    assert outlook_report.saved_value_frame({"skipped": "no timestamps"}) is None


# --- The past offer as a covariate ------------------------------------------------------


def test_offer_flags_come_from_the_campaign_and_default_to_no_offer():
    split = pd.DataFrame({"customer_key": ["k2", "k1", "k3"], "treated": [1, 0, 1]})
    truth = pd.DataFrame({"treated": [1, 0, 0]}, index=["k1", "k2", "k3"])
    params = parse_params({})
    assert sources.offer_flags(params, split, truth, "s").tolist() == [0, 1, 0]
    user = parse_params({"uplift": {"treated_value": "1"}})  # no truth: the column
    assert sources.offer_flags(user, split, None, "s").tolist() == [1, 0, 1]
    assert sources.offer_flags(user, split.drop(columns="treated"), None, "s") is None
    off = parse_params({"survival": {"offer_covariate": False}})
    assert sources.offer_flags(off, split, truth, "s") is None
    assert offered({}, "treated", 1, 3).tolist() == [0, 0, 0]
    assert offered({"treated": np.array(["1", "0"])}, "treated", 1, 2).tolist() == [1, 0]
    X = pd.DataFrame({"a": [0.5, 1.0]})
    assert list(with_offer(X, np.array([1, 0])).columns) == ["a", OFFER]
    assert with_offer(X, None) is X


def test_a_saved_model_reads_the_offer_and_scores_rows_without_it_as_not_offered(tmp_path):
    rng = np.random.default_rng(3)
    n = 3000
    X = pd.DataFrame({"a": rng.normal(size=n)})
    flag = rng.integers(0, 2, n)
    hazard = np.exp(X["a"].to_numpy() - 1.5 * flag)  # the offer keeps customers longer
    time = np.ceil(rng.exponential(80 / hazard))
    duration, event = np.minimum(time, 365.0), time <= 365
    data = (with_offer(X, flag), duration, event)
    p = SurvivalParams(n_estimators=60, n_jobs=1)
    model = fit_model("xgb_cox", p, data, data)
    offer = {"column": "treated", "treated_value": 1}
    package.save(artifact.bundle("xgb_cox", model, data[0].columns, p, 365, offer), tmp_path / "s")
    loaded = artifact.load(tmp_path / "s", ["a"])  # the churn model's features: no offer
    assert loaded is not None and loaded.columns == ["a"] and loaded.offer == offer
    rows = X.head(200)
    without = loaded.table(rows, {})
    not_offered = loaded.table(rows, {"treated": np.zeros(200, dtype=int)})
    treated = loaded.table(rows, {"treated": np.ones(200, dtype=int)})
    pd.testing.assert_frame_equal(without, not_offered)
    assert (treated["p_churn_60d"] < without["p_churn_60d"]).mean() > 0.95


# --- Cross-validation on the classifiers' folds -----------------------------------------


def test_survival_folds_are_the_folds_stage_folds(tmp_path, monkeypatch):
    from churnlab.stages import folds

    rng = np.random.default_rng(1)
    train = pd.DataFrame(
        {
            "customer_key": [f"k{i}" for i in range(200)],
            TARGET: rng.integers(0, 2, 200),
            "signup_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.permutation(200), "D"),
        }
    )
    monkeypatch.chdir(tmp_path)
    io.write_table(train, tmp_path / "data/split/train.parquet")
    for split in ({}, {"method": "time"}):
        params = parse_params({"cv": {"folds": 4, "seed": 7}, "split": split})
        folds.main(params)
        written = io.read_json(tmp_path / "data/studies/folds.json")
        scheme, fold = crossval.classifier_folds(train, params)
        assert scheme == written["scheme"] and fold.tolist() == written["fold"]
        assert fold.index.tolist() == train["customer_key"].tolist()


def test_cross_validation_scores_every_held_out_fold():
    rng = np.random.default_rng(5)
    n = 1500
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    time = np.ceil(rng.exponential(100 * np.exp(-X["a"].to_numpy())))
    censor = rng.uniform(50, 400, n)
    data = (X, np.minimum(time, np.ceil(censor)), time <= censor)
    valid = (X[:300], data[1][:300], data[2][:300])
    params = parse_params({"survival": {"n_estimators": 40, "n_jobs": 1}})
    fold = np.arange(n) % 3
    out = crossval.cross_validate("xgb_cox", params, data, valid, "stratified", fold)
    assert len(out["folds"]) == 3
    assert 0.6 < out["concordance"]["mean"] < 1.0  # the feature drives the hazard
    assert out["integrated_brier"]["mean"] < out["km_integrated_brier"]["mean"]
    means = np.mean([f["concordance"] for f in out["folds"]])
    assert out["concordance"]["mean"] == pytest.approx(means, abs=1e-6)
