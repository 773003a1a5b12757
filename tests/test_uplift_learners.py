"""Uplift learners, the contact policy and the campaign checks (churnlab.uplift)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from churnlab import package
from churnlab.config.params import load_params
from churnlab.config.uplift import LEARNER_NAMES, UpliftParams
from churnlab.errors import UserError
from churnlab.modeling.registry import spec_for
from churnlab.uplift import base as base_settings
from churnlab.uplift import campaign_data, learners, metrics, policy
from conftest import small_params

ROOT = Path(__file__).resolve().parents[1]


def _campaign(n: int, seed: int, share: float = 0.3, effect: float = -2.0):
    """Churn with a strong effect of the offer where f1 > 0 (persuadables), none elsewhere."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["f0", "f1", "f2", "f3"])
    t = (rng.random(n) < share).astype(int)
    logit = X["f0"].to_numpy() - 1
    p0 = 1 / (1 + np.exp(-logit))
    p1 = 1 / (1 + np.exp(-(logit + np.where(X["f1"] > 0, effect, 0.0))))
    y = (rng.random(n) < np.where(t == 1, p1, p0)).astype(int)
    return X, y, t, p0 - p1


@pytest.fixture(scope="module")
def data():
    X, y, t, tau = _campaign(6000, 0)
    return X, y, t, tau


@pytest.mark.parametrize("name", sorted(learners.LEARNERS))
def test_learner_finds_the_persuadables_and_round_trips(name, data, tmp_path):
    X, y, t, tau = data
    base = spec_for("lightgbm").make(small_params().train, y)
    train, valid, test = slice(0, 3500), slice(3500, 4500), slice(4500, None)
    model = learners.LEARNERS[name](base=base).fit(
        X.iloc[train], y[train], t[train], valid=(X.iloc[valid], y[valid], t[valid])
    )
    score = model.predict(X.iloc[test])
    # Persuadables (f1 > 0) are ranked above the rest; the Qini is most of the oracle's.
    assert score[tau[test] > 0].mean() > score[tau[test] == 0].mean()
    oracle = metrics.qini_coefficient(1 - y[test], tau[test], t[test])
    assert metrics.qini_coefficient(1 - y[test], score, t[test]) > 0.5 * oracle > 0
    package.save(model, tmp_path / "uplift.skops")
    np.testing.assert_allclose(package.load(tmp_path / "uplift.skops").predict(X.iloc[test]), score)


def test_policy_contacts_by_net_gain_within_budget():
    uplift = np.array([0.5, 0.05, 0.3, -0.2, 0.2])
    # value 100, cost 10: gains 40, -5, 20, -30, 10; budget 2 of 5.
    np.testing.assert_array_equal(
        policy.uplift_contacts(uplift, 100.0, 10.0, 0.4), [True, False, True, False, False]
    )
    sets = policy.policies(uplift, np.array([0.9, 0.8, 0.1, 0.7, 0.2]), 100.0, 10.0, 0.4)
    np.testing.assert_array_equal(sets["risk"], [True, True, False, False, False])
    result = policy.compare(sets, uplift, 100.0, 10.0, resamples=20, seed=0)
    assert result["uplift"]["net_gain"] == pytest.approx(60.0)
    assert result["risk"]["net_gain"] == pytest.approx(35.0)
    assert result["everyone"]["net_gain"] == pytest.approx(35.0)
    assert result["no_one"] == {"net_gain": 0.0, "contacted": 0}
    assert result["uplift_over_risk"]["value"] == pytest.approx(60 / 35 - 1)


def test_no_effect_contacts_no_one():
    X, y, t, tau = _campaign(44_000, 1, effect=0.0)
    assert not tau.any()
    model = learners.TLearner(base=spec_for("logreg").make(small_params().train, y))
    score = model.fit(X.iloc[:40_000], y[:40_000], t[:40_000]).predict(X.iloc[40_000:])
    assert abs(metrics.qini_coefficient(1 - y[40_000:], score, t[40_000:])) < 0.05
    # Estimated uplifts are small, so no customer is worth an offer of 10 % of their value.
    assert not policy.uplift_contacts(score, 500.0, 50.0, 0.1).any()


def test_ipw_uplift_is_unbiased_for_the_average_effect():
    _, y, t, tau = _campaign(200_000, 2, share=0.2)
    estimate = policy.ipw_uplift(1 - y, t, np.full(len(t), 0.2)).mean()
    assert estimate == pytest.approx(tau.mean(), abs=0.01)


def test_imbalanced_campaign_with_propensity():
    """Offers given more often to risky customers: the propensity column corrects the IPW."""
    X, _, _, tau = _campaign(200_000, 3)
    rng = np.random.default_rng(4)
    e = np.where(X["f0"] > 0, 0.6, 0.15)
    t = (rng.random(len(e)) < e).astype(int)
    p0 = 1 / (1 + np.exp(-(X["f0"].to_numpy() - 1)))
    p = np.where(t == 1, p0 - tau, p0)
    y = (rng.random(len(p)) < p).astype(int)
    frame = X.assign(offer=np.where(t == 1, "yes", "no"), e=e)
    flags = campaign_data.treatment_flags(frame, "offer", "yes", "test.csv")
    np.testing.assert_array_equal(flags, t)
    weighted = policy.ipw_uplift(1 - y, flags, campaign_data.propensities(frame, "e", flags, "x"))
    naive = policy.ipw_uplift(1 - y, flags, np.full(len(t), t.mean()))
    assert weighted.mean() == pytest.approx(tau.mean(), abs=0.01)
    assert abs(naive.mean() - tau.mean()) > 0.02
    # The balance check sees the imbalance on f0 and not on f2.
    smd = campaign_data.balance(X, flags)
    assert campaign_data.imbalanced(smd)[0] == "f0" and "f2" not in campaign_data.imbalanced(smd)


@pytest.mark.parametrize(
    ("frame", "column", "message"),
    [
        (pd.DataFrame({"a": [1, 0]}), "offer", "is missing"),
        (pd.DataFrame({"offer": [1, 1, 1]}), "offer", "exactly two values"),
        (pd.DataFrame({"offer": [0, 1, 2]}), "offer", "exactly two values"),
        (pd.DataFrame({"offer": ["no", "none"]}), "offer", "no treated customers"),
    ],
)
def test_bad_treatment_column_is_a_clear_error(frame, column, message):
    before = frame.copy()
    with pytest.raises(UserError, match=message):
        campaign_data.treatment_flags(frame, column, 1, "customers.csv")
    pd.testing.assert_frame_equal(frame, before)  # nothing lost


def test_bad_propensity_is_a_clear_error():
    frame = pd.DataFrame({"offer": [0, 1], "e": [0.3, 1.2]})
    with pytest.raises(UserError, match="strictly between 0 and 1"):
        campaign_data.propensities(frame, "e", np.array([0, 1]), "customers.csv")


def test_shift_learner_recovers_the_log_odds_shift(data):
    """The campaign moves the churn log-odds by -2 where f1 > 0 and not elsewhere: the shift
    booster, started from the control model's log-odds, learns about that."""
    X, y, t, tau = data
    base = spec_for("logreg").make(small_params().train, y)
    fit, valid = slice(0, 4500), slice(4500, None)
    model = learners.ShiftLearner(base=base).fit(
        X.iloc[fit], y[fit], t[fit], valid=(X.iloc[valid], y[valid], t[valid])
    )
    shift = model.shift_.shift(X)
    assert np.median(shift[tau > 0]) == pytest.approx(-2.0, abs=0.7)
    assert np.median(shift[tau == 0]) == pytest.approx(0.0, abs=0.5)
    # The uplift is the control probability minus the shifted one: positive where f1 > 0.
    assert (model.predict(X)[tau > 0] > 0).mean() > 0.9


@pytest.mark.parametrize("treatment", [[0, 1, 2, 1], [1, 1, 1, 1], [0.0, 0.5, 1.0, 1.0]])
def test_learner_refuses_a_treatment_that_is_not_two_groups(treatment):
    X = pd.DataFrame({"f0": [0.1, 0.2, 0.3, 0.4]})
    model = learners.TLearner(base=spec_for("logreg").make(small_params().train, [0, 1, 0, 1]))
    with pytest.raises(ValueError, match="0/1 with both groups"):
        model.fit(X, np.array([0, 1, 0, 1]), np.array(treatment))


def test_corrected_shift_learner_keeps_the_control_misfit_out_of_the_shift():
    """The control risk is curved in f0 (a logistic regression misses it) and the offer moves
    the log-odds by -2 where f1 > 0 only. The plain shift booster learns the misfit as part of
    the offer's effect on the treated; the corrected learner learns the misfit on the control
    customers first, so its shift of customers without an effect stays near zero."""
    rng = np.random.default_rng(3)
    n = 12_000
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["f0", "f1", "f2"])
    t = (rng.random(n) < 0.4).astype(int)
    logit = 1.5 * X["f0"].to_numpy() ** 2 - 2.0
    effect = np.where(X["f1"] > 0, -2.0, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-(logit + t * effect)))).astype(int)
    base = spec_for("logreg").make(small_params().train, y)
    fit, valid = slice(0, 9000), slice(9000, None)
    shifts = {}
    for name in ("shift", "shift_corrected"):
        model = learners.LEARNERS[name](base=base).fit(
            X.iloc[fit], y[fit], t[fit], valid=(X.iloc[valid], y[valid], t[valid])
        )
        shifts[name] = model.shift_.shift(X)
    none = effect == 0
    error = {name: np.abs(shift[none]).mean() for name, shift in shifts.items()}
    assert error["shift_corrected"] < 0.5 * error["shift"]
    assert np.median(shifts["shift_corrected"][~none]) == pytest.approx(-2.0, abs=0.6)


def test_the_params_name_every_learner_and_refuse_an_unknown_one(tmp_path):
    assert set(UpliftParams().candidates) == set(LEARNER_NAMES) == set(learners.LEARNERS)
    assert UpliftParams(learner="shift_corrected").learner == "shift_corrected"
    raw = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    raw["uplift"]["candidates"] = ["shift", "shift_corected"]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(UserError, match=r"uplift\.candidates.*shift_corrected"):
        load_params(tmp_path / "params.yaml")


def test_base_params_give_lightgbm_its_library_defaults_without_early_stopping(data):
    """`uplift.base_params` replaces the churn settings inside the learners; with
    `early_stopping_rounds: 0` the base fits its fixed rounds and ignores the valid split."""
    X, y, t, _ = data
    zoo = spec_for("lightgbm").make(small_params().train, y)
    base = base_settings.with_params(zoo, base_settings.LIGHTGBM_LIBRARY_DEFAULTS)
    assert base.colsample_bytree == 1.0 and zoo.colsample_bytree != 1.0  # the flag in every tree
    fit, valid, test = slice(0, 3500), slice(3500, 4500), slice(4500, None)
    with_valid = learners.SLearner(base=base).fit(
        X.iloc[fit], y[fit], t[fit], valid=(X.iloc[valid], y[valid], t[valid])
    )
    without = learners.SLearner(base=base).fit(X.iloc[fit], y[fit], t[fit])
    assert with_valid.model_.best_iteration == 100
    np.testing.assert_allclose(with_valid.predict(X.iloc[test]), without.predict(X.iloc[test]))
    # The churn settings stop early on the valid split instead.
    stopped = learners.SLearner(base=zoo).fit(
        X.iloc[fit], y[fit], t[fit], valid=(X.iloc[valid], y[valid], t[valid])
    )
    assert stopped.model_.best_iteration < zoo.n_estimators


def test_unknown_base_param_is_one_clear_error():
    base = spec_for("logreg").make(small_params().train, [0, 1])
    with pytest.raises(UserError, match=r"uplift\.base_params: .*'num_leaves'.*known: C"):
        base_settings.with_params(base, {"num_leaves": 4})
    assert UpliftParams(base_params={"C": 0.5}).base_params == {"C": 0.5}
