"""Hyper-parameter search: the budget, reproducibility with a seed, grids, bad spaces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab.errors import UserError
from churnlab.modeling import tuning as search
from conftest import small_params


@pytest.fixture(scope="module")
def tiny() -> tuple:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 4)), columns=["a", "b", "c", "d"])
    y = (X["a"] + 0.5 * X["b"] + rng.normal(size=400) > 0.8).astype(int).to_numpy()
    return X.iloc[:300], y[:300], X.iloc[300:], y[300:]


def params_for(method: str, n_trials: int, space: dict, model: str = "logreg", **extra):
    return small_params(
        search={"model": model, "method": method, "n_trials": n_trials, "space": space, **extra},
        cv={"n_jobs": 1},  # tiny folds: worker processes would cost more than they save
    )


LOGREG_SPACE = {"C": {"type": "float", "low": 0.001, "high": 10.0, "log": True}}


@pytest.mark.e2e
@pytest.mark.parametrize("method", ["tpe", "random"])
def test_budget_is_respected_and_the_seed_reproduces(tiny, method):
    p = params_for(method, 5, LOGREG_SPACE, pruning=False)
    first = search.summary(p, search.run(p, tiny))
    again = search.summary(p, search.run(p, tiny))
    assert first["n_trials"] == 5
    assert [t["params"] for t in first["trials"]] == [t["params"] for t in again["trials"]]
    assert first["best_params"] == again["best_params"]
    assert first["best_value"] == max(t["value"] for t in first["trials"])
    # The first trial is what params.yaml already has.
    assert first["trials"][0]["params"] == {"C": p.train.logreg.C}
    other = search.summary(
        params_for(method, 5, LOGREG_SPACE, pruning=False, seed=7),
        search.run(params_for(method, 5, LOGREG_SPACE, pruning=False, seed=7), tiny),
    )
    assert [t["params"] for t in other["trials"][1:]] != [t["params"] for t in first["trials"][1:]]


def test_grid_visits_every_point_once(tiny):
    space = {"C": {"type": "categorical", "choices": [0.01, 0.1, 1.0]}}
    p = params_for("grid", 50, space)
    result = search.summary(p, search.run(p, tiny))
    assert result["n_trials"] == 3
    assert sorted(t["params"]["C"] for t in result["trials"]) == [0.01, 0.1, 1.0]


def test_boosted_search_with_pruning_stays_in_budget(tiny):
    space = {"max_depth": {"type": "int", "low": 1, "high": 4}}
    p = params_for("tpe", 4, space, model="xgboost", pruner_startup_trials=1)
    result = search.summary(p, search.run(p, tiny))
    assert result["n_trials"] == 4
    assert all(1 <= t["params"]["max_depth"] <= 4 for t in result["trials"])
    assert {t["state"] for t in result["trials"]} <= {"complete", "pruned"}


def test_grid_needs_discrete_values(tiny):
    p = params_for("grid", 5, LOGREG_SPACE)
    with pytest.raises(UserError, match=r"search\.space\.C: grid search needs"):
        search.run(p, tiny)


def test_a_space_value_the_model_refuses_names_the_key(tiny):
    space = {"max_iter": {"type": "int", "low": -5, "high": -1}}
    p = params_for("random", 2, space)
    with pytest.raises(UserError, match=r"search\.space\.max_iter"):
        search.run(p, tiny)


def test_unknown_space_key_fails_at_params_load():
    with pytest.raises(UserError, match=r"search\.space\.max_dept is not a hyper-parameter"):
        params_for("tpe", 2, {"max_dept": {"type": "int", "low": 1, "high": 3}}, model="xgboost")
