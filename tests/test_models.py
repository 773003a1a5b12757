"""The model registry: every entry fits, predicts valid probabilities and beats chance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from churnlab.config.columns import TARGET
from churnlab.config.params import TrainParams
from churnlab.features import feature_frame
from churnlab.modeling.registry import REGISTRY
from churnlab.modeling.zoo import xgboost as xgboost_model
from churnlab.modeling.zoo.rules import RuleBasedModel
from churnlab.modeling.zoo.xgboost import train_curve_sample
from conftest import small_params


@pytest.fixture(scope="module")
def data(split_parts, fitted_featurizer) -> dict[str, dict]:
    """Per split: the featurizer's matrix, the raw columns and the label."""
    out = {}
    for name in ("train", "valid", "test"):
        raw = feature_frame(split_parts[name])
        out[name] = {
            "features": fitted_featurizer.transform(raw).astype("float32"),
            "raw": raw,
            "y": split_parts[name][TARGET].to_numpy(),
        }
    return out


def inputs(data: dict, name: str, model: str) -> pd.DataFrame:
    return data[name]["features" if REGISTRY[model].uses_features else "raw"]


@pytest.fixture(scope="module")
def fitted(data) -> dict:
    p = small_params().train
    models = {}
    for name, spec in REGISTRY.items():
        models[name] = spec.fit(
            spec.make(p, data["train"]["y"]),
            inputs(data, "train", name),
            data["train"]["y"],
            inputs(data, "valid", name),
            data["valid"]["y"],
        )
    return models


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_model_predicts_probabilities(fitted, data, name):
    X = inputs(data, "test", name)
    proba = fitted[name].predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert np.unique(proba[:, 1]).size > 1


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_model_beats_chance_on_held_out_customers(fitted, data, name):
    scores = fitted[name].predict_proba(inputs(data, "test", name))[:, 1]
    assert roc_auc_score(data["test"]["y"], scores) > 0.65


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_importance_is_indexed_by_feature_name(fitted, data, name):
    names = list(data["train"]["features"].columns)
    importance = REGISTRY[name].importance(fitted[name], names)
    assert isinstance(importance, pd.Series)
    if name in NO_IMPORTANCE:
        assert importance.empty
    elif REGISTRY[name].uses_features:
        assert list(importance.index) == names
        assert (importance >= 0).all()
        assert importance.max() > 0


NO_IMPORTANCE = {"mlp", "svm_rbf"}  # no native importance; documented in their zoo modules


def test_xgboost_early_stopping_on_an_easy_problem():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(600, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int).to_numpy()
    p = TrainParams.model_validate(
        {
            "xgboost": {
                "n_estimators": 500,
                "early_stopping_rounds": 5,
                "learning_rate": 0.3,
                "n_jobs": 1,
            }
        }
    )
    spec = REGISTRY["xgboost"]
    model = spec.fit(spec.make(p, y[:400]), X[:400], y[:400], X[400:], y[400:])
    assert model.best_iteration < p.xgboost.n_estimators - 1
    history = model.evals_result()
    assert set(history) == {"validation_0", "validation_1"}
    assert len(history["validation_1"]["logloss"]) <= model.best_iteration + 1 + 5


def test_train_curve_sample_is_a_seeded_subset_in_order():
    X = pd.DataFrame({"a": np.arange(1000)})
    y = np.arange(1000) % 2
    X_small, y_small = train_curve_sample(X, y, seed=3, rows=100)
    again, _ = train_curve_sample(X, y, seed=3, rows=100)
    assert len(X_small) == 100 and X_small.index.equals(again.index)
    assert X_small["a"].is_monotonic_increasing
    assert np.array_equal(y_small, y[X_small["a"].to_numpy()])
    assert train_curve_sample(X, y, seed=3, rows=5000)[0] is X


def test_train_curve_sample_does_not_change_the_model(monkeypatch):
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(900, 3)), columns=["a", "b", "c"])
    y = (X["a"] + rng.normal(scale=0.5, size=900) > 0).astype(int).to_numpy()
    p = TrainParams.model_validate(
        {"xgboost": {"n_estimators": 300, "early_stopping_rounds": 10, "n_jobs": 1}}
    )
    spec = REGISTRY["xgboost"]

    def fit():
        return spec.fit(spec.make(p, y[:600]), X[:600], y[:600], X[600:], y[600:])

    full = fit()
    monkeypatch.setattr(xgboost_model, "TRAIN_CURVE_ROWS", 100)
    sampled = fit()
    assert sampled.best_iteration == full.best_iteration
    assert np.array_equal(sampled.predict_proba(X[600:]), full.predict_proba(X[600:]))
    # The train curve really was computed on the sample: it differs from the full-train one.
    assert sampled.evals_result()["validation_0"] != full.evals_result()["validation_0"]
    assert sampled.evals_result()["validation_1"] == full.evals_result()["validation_1"]


def test_train_curve_after_the_fit_equals_xgboosts_per_round_evaluation(monkeypatch):
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(1500, 4)), columns=["a", "b", "c", "d"])
    y = (X["a"] + X["b"] * X["c"] + rng.normal(size=1500) > 0.5).astype(int).to_numpy()
    p = TrainParams.model_validate(
        {
            "xgboost": {
                "n_estimators": 300,
                "early_stopping_rounds": 20,
                "n_jobs": 1,
                "learning_rate": 0.05,
            }
        }
    )
    spec = REGISTRY["xgboost"]
    X_fit, y_fit, X_valid, y_valid = X[:1000], y[:1000], X[1000:], y[1000:]
    X_curve, y_curve = train_curve_sample(X_fit, y_fit, p.seed, rows=600)
    # What the stage did before: XGBoost evaluating the curve sample every round.
    logged = spec.make(p, y_fit).fit(
        X_fit, y_fit, eval_set=[(X_curve, y_curve), (X_valid, y_valid)], verbose=False
    )
    computed = xgboost_model.train_curve(logged, X_curve, y_curve)
    for metric in ("logloss", "auc"):
        want = np.array(logged.evals_result()["validation_0"][metric])
        assert len(computed[metric]) == len(want) > 20
        assert np.abs(np.array(computed[metric]) - want).max() < 1e-8
    # The stage's fit: the same model and validation curve, the curve sample computed after.
    monkeypatch.setattr(xgboost_model, "TRAIN_CURVE_ROWS", 600)
    fitted = spec.fit(spec.make(p, y_fit), X_fit, y_fit, X_valid, y_valid)
    assert fitted.best_iteration == logged.best_iteration
    assert np.array_equal(fitted.predict_proba(X_valid), logged.predict_proba(X_valid))
    history = fitted.evals_result()
    assert list(history) == ["validation_0", "validation_1"]
    assert history["validation_1"] == logged.evals_result()["validation_1"]
    assert history["validation_0"] == computed


def test_xgboost_uses_params():
    p = small_params(train={"class_weight": "balanced", "seed": 7}).train
    y = np.array([0, 0, 0, 1])
    model = REGISTRY["xgboost"].make(p, y)
    assert model.get_params()["scale_pos_weight"] == 3.0
    assert model.get_params()["random_state"] == 7
    assert model.get_params()["max_depth"] == p.xgboost.max_depth
    unweighted = REGISTRY["xgboost"].make(small_params().train, y)
    assert unweighted.get_params()["scale_pos_weight"] == 1.0


PASSED_THROUGH = ["xgboost", "tree", "forest", "lightgbm", "catboost", "svm_linear", "mlp"]


@pytest.mark.parametrize("name", PASSED_THROUGH)
def test_every_params_field_reaches_the_estimator(name):
    """Factories pass train.<model> through by field name: each value must arrive, even
    one that differs from both the params default and the estimator's own default."""
    p = small_params().train
    section = getattr(p, name)
    changed = {}
    for field, value in section.model_dump().items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue  # literals and lists stay as they are
        changed[field] = value + 1 if isinstance(value, int) else value * 0.5
    p = p.model_copy(update={name: section.model_copy(update=changed)})
    estimator = REGISTRY[name].make(p, np.array([0, 0, 1, 1]))
    arrived = {k.rsplit("__", 1)[-1]: v for k, v in estimator.get_params(deep=True).items()}
    for field, value in getattr(p, name).model_dump().items():
        expected = tuple(value) if isinstance(value, list) else value
        assert arrived[field] == expected, (name, field)


def test_logreg_uses_class_weight():
    p = small_params(train={"class_weight": "balanced"}).train
    assert REGISTRY["logreg"].make(p, np.array([0, 1])).class_weight == "balanced"
    assert REGISTRY["logreg"].make(small_params().train, np.array([0, 1])).class_weight is None


def _rules_frame(**overrides) -> pd.DataFrame:
    base = {
        "contract": ["two-year"],
        "days_since_last_login": [1.0],
        "satisfaction": [5.0],
        "tenure_days": [1000],
        "failed_payments_90d": [0],
        "tickets_90d": [0],
    }
    return pd.DataFrame({**base, **overrides})


@pytest.mark.parametrize(
    "signal",
    [
        {"contract": ["month-to-month"]},
        {"days_since_last_login": [30.0]},
        {"days_since_last_login": [np.nan]},
        {"satisfaction": [2.0]},
        {"tenure_days": [10]},
        {"failed_payments_90d": [1]},
        {"tickets_90d": [2]},
    ],
)
def test_rules_count_one_point_per_signal(signal):
    model = RuleBasedModel()
    assert model._points(_rules_frame())[0] == 0
    assert model._points(_rules_frame(**signal))[0] == 1


def test_rules_probability_is_the_churn_rate_per_point_level():
    quiet = _rules_frame()
    risky = _rules_frame(contract=["month-to-month"], satisfaction=[1.0], tickets_90d=[3])
    X = pd.concat([quiet] * 50 + [risky] * 50, ignore_index=True)
    y = np.r_[np.zeros(45), np.ones(5), np.ones(40), np.zeros(10)]
    model = RuleBasedModel().fit(X, y)
    p_quiet, p_risky = model.predict_proba(pd.concat([quiet, risky]))[:, 1]
    assert p_quiet < 0.2 < 0.7 < p_risky
    assert model.predict(risky)[0] == 1


def test_rules_tolerate_missing_contract_column():
    model = RuleBasedModel().fit(_rules_frame(), [0])
    proba = model.predict_proba(_rules_frame().drop(columns=["contract"]))
    assert proba.shape == (1, 2)


def test_rules_use_the_window_columns_the_snapshot_produced():
    frame = _rules_frame().rename(
        columns={"failed_payments_90d": "failed_payments_60d", "tickets_90d": "tickets_60d"}
    )
    risky = frame.assign(failed_payments_60d=[2], tickets_60d=[3])
    model = RuleBasedModel()
    assert model._points(risky)[0] == model._points(frame)[0] + 2


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_class_weighting_switches_per_model(data, name):
    """balanced: the minority class weighs as much as the majority, in each model's terms."""
    y = data["train"]["y"]
    balanced = REGISTRY[name].make(small_params(train={"class_weight": "balanced"}).train, y)
    plain = REGISTRY[name].make(small_params().train, y)
    if name == "rules":
        return  # churn rate per point level: nothing to weight
    if name == "blend":  # each member weighs in its own terms
        expected = (len(y) - y.sum()) / y.sum()
        assert [m.get_params()["scale_pos_weight"] for m in balanced.members] == pytest.approx(
            [expected] * len(balanced.members)
        )
        assert [m.get_params()["scale_pos_weight"] for m in plain.members] == [1.0, 1.0]
    elif name in {"xgboost", "lightgbm", "catboost"}:
        expected = (len(y) - y.sum()) / y.sum()
        assert balanced.get_params()["scale_pos_weight"] == pytest.approx(expected)
        assert plain.get_params()["scale_pos_weight"] == 1.0
    elif name == "mlp":
        assert balanced._balanced and not plain._balanced
    elif name.startswith("svm"):
        assert balanced.estimator.get_params()["model__class_weight"] == "balanced"
        assert plain.estimator.get_params()["model__class_weight"] is None
    else:
        assert balanced.get_params()["class_weight"] == "balanced"
        assert plain.get_params()["class_weight"] is None


def test_unknown_model_name_fails_naming_the_key():
    from churnlab.errors import UserError
    from churnlab.modeling.registry import spec_for

    with pytest.raises(UserError, match=r"^cv model: unknown model 'prophet'; known: .*xgboost"):
        spec_for("prophet", "cv model")


def test_kernel_svm_refuses_or_subsamples_past_its_size(data, caplog):
    from churnlab.errors import UserError

    X, y = data["train"]["features"], data["train"]["y"]
    limit = {"max_rows": 300}
    refuse = small_params(train={"svm_rbf": {**limit, "oversize": "refuse"}}).train
    with pytest.raises(UserError, match=r"train\.svm_rbf\.max_rows: an RBF SVM on"):
        REGISTRY["svm_rbf"].make(refuse, y).fit(X, y)
    sample = small_params(train={"svm_rbf": limit}).train
    with caplog.at_level("WARNING"):
        model = REGISTRY["svm_rbf"].make(sample, y).fit(X, y)
    assert "exceed train.svm_rbf.max_rows=300" in caplog.text
    assert model.estimator_[-1].support_vectors_.shape[0] <= 300


@pytest.mark.parametrize("name", ["lightgbm", "catboost"])
def test_boosted_models_stop_early_on_validation(name):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(600, 3)), columns=["a", "b", "c"])
    y = (X["a"] + rng.normal(size=600) > 0).astype(int).to_numpy()  # noisy: overfits soon
    section = "iterations" if name == "catboost" else "n_estimators"
    settings = {section: 500, "early_stopping_rounds": 5, "learning_rate": 0.3}
    p = small_params(train={name: settings}).train
    spec = REGISTRY[name]
    model = spec.fit(spec.make(p, y[:400]), X[:400], y[:400], X[400:], y[400:])
    assert model.best_iteration < 499
