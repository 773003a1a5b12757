"""Explanations: contributions plus the base value reproduce each model's log-odds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from churnlab.config.columns import TARGET
from churnlab.evaluation.explain import contributions, readable, top_reasons
from churnlab.features import feature_frame
from churnlab.modeling.registry import REGISTRY
from conftest import small_params

# Models with an exact method; the others raise NotImplementedError (tested below).
EXPLAINED = ("rules", "logreg", "svm_linear", "xgboost", "lightgbm", "catboost")


@pytest.fixture(scope="module")
def pipelines(split_parts, fitted_featurizer) -> dict[str, Pipeline]:
    p = small_params().train
    out = {}
    for name in (*EXPLAINED, "tree"):
        spec = REGISTRY[name]
        parts = {}
        for part in ("train", "valid"):
            raw = feature_frame(split_parts[part])
            X = fitted_featurizer.transform(raw).astype("float32") if spec.uses_features else raw
            parts[part] = (X, split_parts[part][TARGET].to_numpy())
        model = spec.fit(spec.make(p, parts["train"][1]), *parts["train"], *parts["valid"])
        steps = [("model", model)]
        if spec.uses_features:
            steps.insert(0, ("features", fitted_featurizer))
        out[name] = Pipeline(steps)
    return out


@pytest.mark.parametrize("name", EXPLAINED)
def test_contributions_sum_to_the_margin(pipelines, split_parts, name):
    frame = feature_frame(split_parts["test"]).head(200)
    contribs, base = contributions(pipelines[name], frame)
    p = pipelines[name].predict_proba(frame)[:, 1]
    margin = np.log(p / (1 - p))
    np.testing.assert_allclose(contribs.sum(axis=1).to_numpy() + base, margin, atol=1e-4)
    assert len(contribs) == len(frame)


def test_top_reasons_are_the_largest_positive_contributions():
    contribs = pd.DataFrame({"num__a": [0.5, -1.0], "cat__b_x": [2.0, -0.2], "num__c": [-0.1, 0.3]})
    reasons = top_reasons(contribs, k=2)
    assert reasons[0] == [
        {"feature": "b_x", "contribution": 2.0},
        {"feature": "a", "contribution": 0.5},
    ]
    assert reasons[1] == [{"feature": "c", "contribution": 0.3}]  # only risk-raising reasons


def test_readable_drops_the_group_prefix():
    assert readable("num__days_since_last_login") == "days_since_last_login"
    assert readable("plain") == "plain"


def test_reasons_frame_for_batch_scoring(pipelines, split_parts):
    from churnlab.evaluation.explain import reasons_frame

    frame = feature_frame(split_parts["test"]).head(50)
    out = reasons_frame(pipelines["xgboost"], frame, k=2)
    np.testing.assert_allclose(out["churn_score"], pipelines["xgboost"].predict_proba(frame)[:, 1])
    assert out.index.equals(frame.index)
    assert all(len(r) <= 2 for r in out["reason_list"])
    riskiest = out["churn_score"].idxmax()
    assert out.loc[riskiest, "reasons"] != "none"
    assert all("__" not in r["feature"] for rs in out["reason_list"] for r in rs)


def test_text_terms_get_a_readable_label():
    from churnlab.evaluation.explain import label

    assert label("text__want_my") == 'ticket text "want my"'
    assert label("num__age") == "age"


def test_explained_rows_are_all_customers_or_a_seeded_sorted_sample():
    from churnlab.evaluation.shap_report import explained_rows

    assert np.array_equal(explained_rows(50, 100, seed=1), np.arange(50))
    sample = explained_rows(1000, 100, seed=1)
    assert len(sample) == 100 and len(np.unique(sample)) == 100
    assert np.all(np.diff(sample) > 0) and sample.max() < 1000
    assert np.array_equal(sample, explained_rows(1000, 100, seed=1))
    assert not np.array_equal(sample, explained_rows(1000, 100, seed=2))


def test_models_without_an_exact_method_say_so(pipelines, split_parts):
    frame = feature_frame(split_parts["test"]).head(5)
    with pytest.raises(NotImplementedError, match="DecisionTreeClassifier"):
        contributions(pipelines["tree"], frame)


def test_a_calibrated_model_is_explained_through_the_model_it_wraps(pipelines, split_parts):
    """Contributions sum to the uncalibrated log-odds; calibration keeps the order."""
    from churnlab.modeling.calibration import calibrate

    features, model = pipelines["xgboost"].named_steps.values()
    valid = split_parts["valid"]
    X_valid = features.transform(feature_frame(valid)).astype("float32")
    calibrated = Pipeline(
        [("features", features), ("model", calibrate(model, X_valid, valid[TARGET], "sigmoid"))]
    )
    frame = feature_frame(split_parts["test"]).head(200)
    contribs, base = contributions(calibrated, frame)
    p = pipelines["xgboost"].predict_proba(frame)[:, 1]
    np.testing.assert_allclose(contribs.sum(axis=1) + base, np.log(p / (1 - p)), atol=1e-4)
    q = calibrated.predict_proba(frame)[:, 1]
    assert (np.argsort(p, kind="stable") == np.argsort(q, kind="stable")).mean() > 0.99
