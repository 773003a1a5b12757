"""Survival metrics against scikit-survival, the models, the oracle, curves and value at risk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sksurv.metrics import concordance_index_censored, integrated_brier_score

from churnlab.config.params import BusinessParams, parse_params
from churnlab.config.survival import SurvivalParams
from churnlab.errors import UserError
from churnlab.survival import curves, scoring, sources
from churnlab.survival.models import MODELS, Breslow, fit_model, target


def small_case(seed: int, n: int = 250):
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    time = np.ceil(rng.exponential(60 * np.exp(-risk)))
    censor = rng.uniform(20, 150, n)
    return np.minimum(time, np.ceil(censor)), time <= censor, risk


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_harrell_matches_scikit_survival_with_ties(seed):
    duration, event, risk = small_case(seed)
    rounded = np.round(risk, 1)  # ties in risk count one half
    for score in (risk, rounded, -risk):
        expected = concordance_index_censored(event, duration, score)[0]
        assert scoring.harrell(duration, event, score) == pytest.approx(expected, abs=1e-12)
    # integer weights are repeated customers
    weight = np.random.default_rng(seed).integers(0, 3, len(duration))
    rows = np.repeat(np.arange(len(duration)), weight)
    expected = concordance_index_censored(event[rows], duration[rows], risk[rows])[0]
    assert scoring.harrell(duration, event, risk, weight) == pytest.approx(expected, abs=1e-12)


def test_integrated_brier_matches_scikit_survival():
    train, test = small_case(3), small_case(4)
    times = np.arange(10.0, 100.0, 5.0)
    curves_at = np.exp(-np.outer(np.exp(test[2]), times / 60))
    mine = scoring.brier_losses(train[:2], test[:2], curves_at, times).mean()
    theirs = integrated_brier_score(target(*train[:2]), target(*test[:2]), curves_at, times)
    assert mine == pytest.approx(theirs, rel=1e-10)
    flat = np.tile(scoring.kaplan_meier(*train[:2], times), (len(test[0]), 1))
    km = scoring.brier_losses(train[:2], test[:2], flat, times).mean()
    assert mine < km  # the true hazard beats the population curve


def test_breslow_matches_scikit_survival_cox_curves():
    from sksurv.linear_model import CoxPHSurvivalAnalysis

    duration, event, risk = small_case(5)
    X = risk[:, None]
    cox = CoxPHSurvivalAnalysis(ties="breslow").fit(X, target(duration, event))
    days = np.array([5.0, 30.0, 60.0, 90.0])
    theirs = np.vstack([f(days) for f in cox.predict_survival_function(X[:5])])
    mine = Breslow(cox.predict(X), duration, event).survival(cox.predict(X[:5]), days)
    np.testing.assert_allclose(mine, theirs, rtol=1e-6)


@pytest.fixture(scope="module")
def synthetic():
    """Small synthetic customers with durations, the true churn probability as the feature."""
    params = parse_params({"synthetic": {"n_customers": 3000, "seed": 9}})
    table, truth = sources.synthetic_durations(params)
    table = table[table["customer_id"].isin(truth["customer_id"])]  # not the late signups
    p = truth.set_index("customer_id")["churn_probability"].reindex(table["customer_id"])
    X = pd.DataFrame({"logit": np.log(p / (1 - p)).to_numpy()})
    y = table["duration_days"].to_numpy(), table["churned_event"].to_numpy()
    half = len(X) // 2
    return (X[:half], y[0][:half], y[1][:half]), (X[half:], y[0][half:], y[1][half:]), p


def test_a_model_given_the_true_hazard_reaches_the_oracle_concordance(synthetic):
    train, test, _ = synthetic
    oracle = scoring.harrell(test[1], test[2], test[0]["logit"].to_numpy())
    # the Cox model is monotone in its one feature: exactly the oracle's ranking
    cox = fit_model("coxph", SurvivalParams(n_jobs=1), train, test)
    assert scoring.harrell(test[1], test[2], cox.risk(test[0])) == pytest.approx(oracle, abs=1e-12)
    # boosted trees bin the feature (ties): within the 0.01 of the target
    boosted = fit_model("xgb_cox", SurvivalParams(n_jobs=1), train, test)
    assert scoring.harrell(test[1], test[2], boosted.risk(test[0])) >= oracle - 0.01
    assert oracle > 0.7


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_gives_proper_survival_curves(synthetic, name):
    train, test, _ = synthetic
    p = SurvivalParams(n_jobs=1, rsf_trees=10, baseline_max_rows=800, n_estimators=50)
    model = fit_model(name, p, train, test)
    days = np.array([1, 30, 60, 90, 365])
    s = model.survival(test[0][:200], days)
    assert s.shape == (200, 5)
    assert ((s >= 0) & (s <= 1)).all() and (np.diff(s, axis=1) <= 1e-12).all()
    # higher risk, lower survival at the label window
    risk = model.risk(test[0][:200])
    assert np.corrcoef(risk, s[:, 2])[0, 1] < -0.5


def test_models_refuse_negative_durations(synthetic):
    train, test, _ = synthetic
    bad = (train[0], -train[1], train[2])
    with pytest.raises(UserError, match="not positive"):
        fit_model("xgb_cox", SurvivalParams(), bad, test)


def test_curves_median_value_and_value_at_risk():
    days = np.arange(1, 6)
    s = np.array([[0.9, 0.7, 0.5, 0.4, 0.3], [0.99, 0.98, 0.97, 0.96, 0.95]])
    median = curves.median_days(s, days)
    assert median[0] == 3 and np.isnan(median[1])
    lifetime = curves.lifetime_periods(s[:, [1, 3]], 0.0)
    np.testing.assert_allclose(lifetime, [1.1, 1.94])
    assert curves.lifetime_periods(s[:, [1, 3]], 0.1)[0] == pytest.approx(0.7 / 1.1 + 0.4 / 1.21)
    v = SurvivalParams().value
    frame = pd.DataFrame({"monthly_fee": [100.0, np.nan, -1.0]})
    np.testing.assert_allclose(curves.margins(frame, v), [30.0, 10.0, 0.0])
    table = pd.DataFrame({"value": [1000.0, 100.0, 50.0], "value_at_risk": [300.0, 90.0, 0.0]})
    b = BusinessParams(contact_budget_share=1 / 3, offer_acceptance_rate=0.5, offer_cost=10.0)
    saved = curves.saved_value(table, b)
    assert saved["by_value_at_risk"] == pytest.approx(0.5 * 300 - 10)
    assert saved["by_probability"] == pytest.approx(0.5 * 90 - 10)  # 0.9 > 0.3


def test_bootstrap_intervals_cover_the_estimate(synthetic):
    _, test, _ = synthetic
    risk = test[0]["logit"].to_numpy()

    def figures(weight):
        return {"concordance": scoring.harrell(test[1], test[2], risk, weight)}

    low, high = scoring.bootstrap(figures, len(risk), 30, 0)["concordance"]
    point = scoring.harrell(test[1], test[2], risk)
    assert low < point < high and high - low < 0.1


def test_dynamic_auc_matches_scikit_survival_where_it_applies():
    from sksurv.metrics import cumulative_dynamic_auc

    train, test = small_case(6, 300), small_case(7, 300)
    keep = test[0] < train[0].max()  # scikit-survival needs test times inside train's
    horizons = [20, 40, 60]
    theirs = cumulative_dynamic_auc(
        target(*train[:2]), target(test[0][keep], test[1][keep]), test[2][keep], horizons
    )[0]
    mine = scoring.dynamic_auc(train[:2], (test[0][keep], test[1][keep]), test[2][keep], horizons)
    np.testing.assert_allclose(list(mine.values()), theirs, rtol=1e-10)
