"""``survival.uplift_blend``: the Cox margin plus a weight times the uplift learner's churn
log-odds of each customer's own arm (churnlab.survival.blend), the weight chosen on valid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import package
from churnlab.config.survival import SurvivalParams
from churnlab.modeling.registry import spec_for
from churnlab.survival import artifact, blend, scoring
from churnlab.survival.models import fit_model
from churnlab.survival.offer import OFFER, with_offer
from churnlab.uplift import artifact as uplift_artifact
from churnlab.uplift import learners
from conftest import small_params


def _campaign(rng, n: int) -> tuple:
    """Churn log-odds ``f0 - 1``, moved by -2 by the offer where ``f1 > 0``; the duration's
    hazard follows the own arm's log-odds; the 60-day label from the duration."""
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["f0", "f1", "f2"])
    offered = (rng.random(n) < 0.3).astype(int)
    log_odds = X["f0"].to_numpy() - 1 + offered * np.where(X["f1"] > 0, -2.0, 0.0)
    time = np.ceil(rng.exponential(90 / np.exp(log_odds)))
    duration, event = np.minimum(time, 365.0), time <= 365
    return with_offer(X, offered), duration, event, (event & (duration <= 60)).astype(int)


@pytest.fixture(scope="module")
def fitted():
    """train / valid / test, the uplift learner fitted on train (valid for early stopping),
    the plain Cox model and its blend."""
    rng = np.random.default_rng(11)
    train, valid, test = (_campaign(rng, n) for n in (4000, 1500, 1500))
    base = spec_for("logreg").make(small_params().train, train[3])
    columns = ["f0", "f1", "f2"]
    flags = [part[0][OFFER].to_numpy().astype(int) for part in (train, valid)]
    learner = learners.LEARNERS["shift_corrected"](base=base).fit(
        train[0][columns], train[3], flags[0], valid=(valid[0][columns], valid[3], flags[1])
    )
    uplift = uplift_artifact.from_bundle(uplift_artifact.bundle(learner, columns, 0, 0, 0))
    p = SurvivalParams(n_estimators=60, n_jobs=1)
    model = fit_model("xgb_cox", p, train[:3], valid[:3])
    mixed, chosen = blend.blended(model, uplift, train[:3], valid[:3])
    return train, valid, test, uplift, model, mixed, chosen, p


def test_own_arm_log_odds_are_the_control_log_odds_moved_by_the_offer(fitted):
    test, uplift = fitted[2], fitted[3]
    X, learner = test[0], uplift.learner
    own = blend.own_arm_log_odds(learner, uplift.columns, X)
    control = learner._log_odds(X[uplift.columns])
    treated = control + learner.shift_.shift(X[uplift.columns])
    offered = X[OFFER].to_numpy() == 1
    np.testing.assert_allclose(own[~offered], control[~offered], atol=1e-6)
    np.testing.assert_allclose(own[offered], treated[offered], atol=1e-6)


def test_the_weight_is_the_best_validation_concordance():
    rng = np.random.default_rng(4)
    risk, noise = rng.normal(size=3000), rng.normal(size=3000)
    time = np.ceil(rng.exponential(50 / np.exp(risk)))  # whole days, as the durations
    duration, event = np.minimum(time, 200.0), time <= 200
    assert blend.choose_weight(noise, risk, duration, event) > 0.5  # the informative one wins
    assert blend.choose_weight(risk, noise, duration, event) == 0.0  # noise adds nothing


def test_the_blend_is_chosen_on_valid_and_ranks_the_test_customers_better(fitted):
    _, valid, test, uplift, model, mixed, chosen, _ = fitted
    assert chosen["applied"] and chosen["weight"] > 0
    expected = blend.choose_weight(
        model.risk(valid[0]),
        blend.own_arm_log_odds(uplift.learner, uplift.columns, valid[0]),
        *valid[1:3],
    )
    assert chosen["weight"] == expected
    plain = scoring.harrell(*test[1:3], model.risk(test[0]))
    assert scoring.harrell(*test[1:3], mixed.risk(test[0])) > plain
    curves = mixed.survival(test[0], np.array([30.0, 60.0, 90.0]))
    assert ((curves >= 0) & (curves <= 1)).all() and (np.diff(curves, axis=1) <= 0).all()


def test_no_campaign_or_no_uplift_model_keeps_the_cox_margin(fitted):
    train, valid, _, uplift, model, *_ = fitted
    assert blend.blended(model, None, train[:3], valid[:3]) == (
        model,
        {"applied": False, "reason": "no campaign or no uplift model"},
    )
    bare = [(part[0].drop(columns=[OFFER]), *part[1:3]) for part in (train, valid)]
    assert blend.blended(model, uplift, *bare)[0] is model
    s_learner = uplift_artifact.UpliftModel(object(), uplift.columns, 0, 0, 0)  # no control model
    assert blend.blended(model, s_learner, train[:3], valid[:3])[0] is model


def test_the_blends_baseline_matches_kaplan_meier_on_the_training_customers(fitted):
    """The marginal baseline: the training customers' mean predicted survival is their
    Kaplan-Meier curve on every day (the Breslow baseline of the blended risk was not:
    it under-predicted churn at every horizon on the default synthetic data)."""
    train, mixed = fitted[0], fitted[5]
    days = np.arange(1.0, 366.0)
    mean = mixed.survival(train[0], days).mean(axis=0)
    np.testing.assert_allclose(mean, scoring.kaplan_meier(*train[1:3], days), atol=1e-6)
    assert np.all(np.diff(mixed.baseline.cumulative) >= 0)  # a cumulative hazard never falls


def test_a_saved_blend_scores_as_the_fitted_one(fitted, tmp_path):
    test, mixed, p = fitted[2], fitted[5], fitted[7]
    offer = {"column": "treated", "treated_value": 1}
    saved = artifact.bundle("xgb_cox", mixed, test[0].columns, p, 365, offer)
    package.save(saved, tmp_path / "survival.skops")
    loaded = artifact.load(tmp_path / "survival.skops", ["f0", "f1", "f2"])
    assert isinstance(loaded.model, blend.Blended)
    rows = test[0].head(300)
    np.testing.assert_allclose(loaded.model.risk(rows), mixed.risk(rows), rtol=1e-6)
    customers = {"treated": rows[OFFER].to_numpy().astype(int)}
    table = loaded.table(rows.drop(columns=[OFFER]), customers)
    days = np.array([30.0, 60.0, 90.0])
    expected = 1.0 - mixed.survival(rows, days)
    np.testing.assert_allclose(table[["p_churn_30d", "p_churn_60d", "p_churn_90d"]], expected)


@pytest.mark.parametrize("saved", ["skipped", "absent"])
def test_the_stage_without_an_uplift_model_uses_the_cox_margin(
    fitted, saved, tmp_path, monkeypatch
):
    """``uplift.enabled: false`` or no campaign: the uplift stage saved ``{"skipped": ...}`` (or
    nothing); the survival stage's headline is the plain Cox model."""
    from churnlab.config import paths
    from churnlab.config.params import Params
    from churnlab.stages import survival as stage

    monkeypatch.chdir(tmp_path)
    if saved == "skipped":
        package.save(uplift_artifact.skipped("uplift.enabled is false"), paths.UPLIFT_MODEL)
    train, valid = fitted[0], fitted[1]
    params = Params(survival=SurvivalParams(uplift_blend=True, n_estimators=30, n_jobs=1))
    model, chosen = stage.headline_model(params, train[:3], valid[:3])
    assert not isinstance(model, blend.Blended) and chosen["applied"] is False
    off = Params(survival=SurvivalParams(uplift_blend=False, n_estimators=30, n_jobs=1))
    assert stage.headline_model(off, train[:3], valid[:3])[1] is None
