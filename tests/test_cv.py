"""Cross-validation: one set of folds shared by every model, stratified or in time order."""

from __future__ import annotations

import numpy as np
import pytest

from churnlab import io
from churnlab.config import paths
from churnlab.modeling import crossval as cv
from churnlab.stages import cv as cv_stage
from churnlab.stages import folds as folds_stage
from conftest import small_params


def test_stratified_folds_partition_and_keep_the_churn_rate():
    rng = np.random.default_rng(0)
    y = (rng.uniform(size=1000) < 0.2).astype(int)
    scheme, fold = cv.assign_folds(y, 5, seed=1)
    assert scheme == "stratified"
    assert sorted(np.unique(fold)) == [0, 1, 2, 3, 4]
    for train, held_out in cv.splits(scheme, fold):
        assert len(np.intersect1d(train, held_out)) == 0
        assert len(train) + len(held_out) == len(y)
        assert abs(y[held_out].mean() - y.mean()) < 0.02
    again = cv.assign_folds(y, 5, seed=1)[1]
    np.testing.assert_array_equal(fold, again)
    assert not np.array_equal(fold, cv.assign_folds(y, 5, seed=2)[1])


def test_time_folds_only_train_on_the_past():
    rng = np.random.default_rng(0)
    signup = rng.permutation(600)  # the time of each row
    y = rng.integers(0, 2, size=600)
    scheme, fold = cv.assign_folds(y, 4, seed=0, time_order=np.argsort(signup))
    assert scheme == "time"
    held_out_blocks = list(cv.splits(scheme, fold))
    assert len(held_out_blocks) == 4
    for train, held_out in held_out_blocks:
        assert signup[train].max() < signup[held_out].min()


def test_summary_is_mean_and_sample_std():
    results = [
        {"roc_auc": a, "pr_auc": 0.5, "f1": 0.4, "empc": 3.0, "fit_s": 1.0, "predict_s": 0.1}
        for a in (0.8, 0.9)
    ]
    out = cv.summarize(results)
    assert out["roc_auc"]["mean"] == pytest.approx(0.85)
    assert out["roc_auc"]["std"] == pytest.approx(np.std([0.8, 0.9], ddof=1), abs=1e-6)


@pytest.mark.e2e
def test_every_model_is_scored_on_the_same_held_out_customers(featurized_run, monkeypatch):
    """The folds stage writes the folds once; each model's cv run reads exactly those."""
    monkeypatch.chdir(featurized_run)
    params = small_params(cv={"folds": 3, "n_jobs": 1})
    folds_stage.main(params)
    seen: dict[str, list] = {}
    real = cv.score_fold

    def recording(name, p, X, y, X_valid, y_valid, train, held_out):
        seen.setdefault(name, []).append(held_out.copy())
        return real(name, p, X, y, X_valid, y_valid, train, held_out)

    monkeypatch.setattr(cv, "score_fold", recording)
    for model in ("rules", "logreg"):
        out = cv_stage.run(params, model)
        assert len(out["folds"]) == 3
        assert 0.5 < out["roc_auc"]["mean"] <= 1
    for a, b in zip(seen["rules"], seen["logreg"], strict=True):
        np.testing.assert_array_equal(a, b)
    written = io.read_json(paths.CV_METRICS / "logreg.json")
    assert [f["n_held_out"] for f in written["folds"]] == [len(a) for a in seen["logreg"]]


@pytest.mark.e2e
def test_parallel_folds_give_the_same_scores(featurized_run, monkeypatch):
    monkeypatch.chdir(featurized_run)
    from churnlab.modeling.inputs import study_data

    params = small_params()
    data = study_data(params, "logreg")
    fold_splits = list(cv.splits(*cv.assign_folds(data[1], 3, seed=0)))
    one = cv.cross_validate("logreg", params.train, data, fold_splits, n_jobs=1)
    two = cv.cross_validate("logreg", params.train, data, fold_splits, n_jobs=2)
    assert [r["roc_auc"] for r in one] == [r["roc_auc"] for r in two]
