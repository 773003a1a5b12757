"""``survival.refit``: the XGBoost survival models fitted again on train+valid after early
stopping, for the early-stopped rounds scaled by the row ratio; saved and loaded whole."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import package
from churnlab.config.survival import SurvivalParams
from churnlab.survival import artifact
from churnlab.survival.models import fit_model


def _customers(rng, n: int) -> tuple:
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    hazard = np.exp(X["a"].to_numpy() - 0.5 * X["b"].to_numpy() ** 2)
    time = np.ceil(rng.exponential(60 / hazard))
    return X, np.minimum(time, 365.0), time <= 365


@pytest.fixture(scope="module")
def split():
    rng = np.random.default_rng(5)
    return _customers(rng, 1500), _customers(rng, 500), _customers(rng, 500)


@pytest.mark.parametrize("name", ["xgb_cox", "xgb_aft"])
def test_refit_runs_the_early_stopped_rounds_scaled_on_train_and_valid(split, name):
    train, valid, test = split
    p = SurvivalParams(n_estimators=300, learning_rate=0.3, n_jobs=1)
    stopped = fit_model(name, p, train, valid)
    best = stopped.booster.best_iteration + 1
    assert best < 300  # early stopping ended it: the scaling is tested, not the cap
    refit = fit_model(name, p.model_copy(update={"refit": True}), train, valid)
    assert refit.booster.num_boosted_rounds() == round(best * 2000 / 1500)
    assert refit.booster.best_iteration + 1 == refit.booster.num_boosted_rounds()
    # the valid customers were learned from: another model than the early-stopped one
    assert not np.allclose(refit.risk(test[0]), stopped.risk(test[0]))


def test_refit_cox_baseline_comes_from_train_and_valid(split):
    train, valid, _ = split
    p = SurvivalParams(n_estimators=300, learning_rate=0.3, n_jobs=1, refit=True)
    model = fit_model("xgb_cox", p, train, valid)
    events = np.concatenate([train[1][train[2]], valid[1][valid[2]]])
    np.testing.assert_array_equal(model.baseline.times, np.unique(events))
    assert not set(np.unique(valid[1][valid[2]])) <= set(np.unique(train[1][train[2]]))


def test_a_saved_refit_model_scores_as_the_fitted_one(split, tmp_path):
    train, valid, test = split
    p = SurvivalParams(n_estimators=300, learning_rate=0.3, n_jobs=1, refit=True)
    model = fit_model("xgb_cox", p, train, valid)
    package.save(artifact.bundle("xgb_cox", model, ["a", "b"], p, 365, None), tmp_path / "s")
    loaded = artifact.load(tmp_path / "s", ["a", "b"])
    assert loaded is not None
    np.testing.assert_allclose(loaded.model.risk(test[0]), model.risk(test[0]), rtol=1e-6)
    days = np.array([30.0, 90.0])
    np.testing.assert_allclose(
        loaded.model.survival(test[0], days), model.survival(test[0], days), rtol=1e-6
    )
