"""Training on all the labelled data (refit on train+valid, out-of-fold calibration), selection
within a time budget and fold-bagging (issue 13)."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from churnlab import io, package
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.features import feature_frame
from churnlab.modeling import autoselect, bagging, refit, training
from churnlab.modeling.inputs import inputs
from churnlab.stages import train
from conftest import small_params


def run_train(featurized_run, root, params):
    shutil.copytree(featurized_run, root)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        train.main(params)
        return io.read_json(paths.METRICS / "train.json"), package.load(paths.PIPELINE)


def corrupt_test_split(root) -> None:
    """Shuffle the test labels and scramble every test feature: a model that read them changes."""
    rng = np.random.default_rng(0)
    for path in (root / paths.SPLIT / "test.parquet", root / paths.FEATURES / "test.parquet"):
        if not path.exists():
            continue
        frame = io.read_table(path)
        for column in frame.columns:
            if pd.api.types.is_numeric_dtype(frame[column]):
                frame[column] = rng.permutation(frame[column].to_numpy())
        frame[TARGET] = 1 - frame[TARGET]
        io.write_table(frame, path)


def session_training(trained_run) -> tuple[dict, object]:
    """The session's ``trained_run``: ``featurized_run`` after the train stage on
    ``small_params()``, the run the tests below would otherwise repeat."""
    return io.read_json(trained_run / paths.METRICS / "train.json"), package.load(
        trained_run / paths.PIPELINE
    )


@pytest.mark.e2e
def test_refit_never_reads_the_test_split(featurized_run, trained_run, tmp_path):
    params = small_params()
    summary, pipeline = session_training(trained_run)
    shutil.copytree(featurized_run, tmp_path / "corrupted_src")
    corrupt_test_split(tmp_path / "corrupted_src")
    corrupted, pipeline2 = run_train(tmp_path / "corrupted_src", tmp_path / "corrupted", params)
    assert summary["refit"]["method"] == "train_valid"
    assert corrupted["threshold"] == summary["threshold"]
    assert corrupted["valid"] == summary["valid"]
    valid = feature_frame(io.read_table(trained_run / paths.SPLIT / "valid.parquet"))
    np.testing.assert_array_equal(pipeline.predict_proba(valid), pipeline2.predict_proba(valid))


def scored_customers(summary) -> float:
    """How many customers the threshold was chosen on (contacted / contacted share)."""
    decision = summary["decision"]
    return decision["contacted"] / decision["contacted_share"]


@pytest.mark.e2e
def test_refit_fits_train_plus_valid_with_scaled_rounds(trained_run):
    summary, pipeline = session_training(trained_run)
    r = summary["refit"]
    n_train = len(io.read_table(trained_run / paths.SPLIT / "train.parquet"))
    n_valid = len(io.read_table(trained_run / paths.SPLIT / "valid.parquet"))
    assert r["rows"] == n_train + n_valid
    assert r["final_rounds"] == round(r["early_stopping_rounds_on_train"] * r["rows"] / n_train)
    model = pipeline.named_steps["model"].calibrated_classifiers_[0].estimator.estimator.estimator
    assert model.n_estimators == r["final_rounds"]
    assert scored_customers(summary) == pytest.approx(n_train + n_valid, rel=0.01)


@pytest.mark.e2e
def test_refit_train_keeps_the_validation_protocol(featurized_run, tmp_path):
    summary, _ = run_train(
        featurized_run, tmp_path / "repo", small_params(train={"refit": "train"})
    )
    n_valid = len(io.read_table(tmp_path / "repo" / paths.SPLIT / "valid.parquet"))
    assert summary["refit"] == {"method": "train", "requested": "train", "scored_on": "validation"}
    assert scored_customers(summary) == pytest.approx(n_valid, rel=0.01)


def matrices(featurized_run, monkeypatch, params):
    monkeypatch.chdir(featurized_run)
    return (*inputs(params, "train", True), *inputs(params, "valid", True))


@pytest.mark.e2e
def test_out_of_fold_scores_come_from_models_that_did_not_see_the_row(featurized_run, monkeypatch):
    params = small_params()
    X, y, Xv, yv = matrices(featurized_run, monkeypatch, params)
    _, oof = refit.cross_fit("logreg", params.train, X, y, Xv, yv, 3)
    X_all = refit.stack(X, Xv)
    in_sample = np.mean([m.predict_proba(X_all)[:, 1] for m in oof.models], axis=0)
    assert oof.rounds is None  # logistic regression has no rounds
    assert len(oof.models) == 3 and len(oof.scores) == len(y) + len(yv)
    assert not np.allclose(oof.scores, in_sample)


def test_selection_respects_a_tiny_budget_and_records_it(featurized_run, monkeypatch):
    params = small_params(
        train={"select": "always", "time_budget_s": 1e-6, "candidates": ["logreg", "lightgbm"]}
    )
    X, y, Xv, yv = matrices(featurized_run, monkeypatch, params)
    name, _, extra = autoselect.fit_selected(params, X, y, Xv, yv)
    selection = extra["selection"]
    assert name == "xgboost"  # train.model always runs; nothing else fits in the budget
    assert selection["skipped"] == ["lightgbm", "logreg"]
    assert "time budget" in selection["candidates"]["logreg"]["skipped"]
    assert selection["candidates"]["xgboost"]["oof_roc_auc"] > 0.5


@pytest.mark.e2e
def test_selection_chooses_the_best_out_of_fold_score(featurized_run, monkeypatch):
    params = small_params(
        train={
            "model": "logreg",
            "select": "always",
            "candidates": ["xgboost"],
            "time_budget_s": 600,
        }
    )
    X, y, Xv, yv = matrices(featurized_run, monkeypatch, params)
    trained = training.train(params, X, y, Xv, yv)
    board = trained.summary["selection"]["candidates"]
    best = max(board, key=lambda n: board[n]["oof_roc_auc"])
    gain = board[best]["oof_roc_auc"] - board["logreg"]["oof_roc_auc"]
    assert trained.summary["model"] == (best if gain > autoselect.MIN_GAIN else "logreg")
    assert trained.summary["selection"]["skipped"] == []


def test_refit_auto_depends_on_rows_and_time_splits_keep_validation():
    assert training.refit_method(small_params(), training.REFIT_MAX_ROWS) == "train_valid"
    assert training.refit_method(small_params(), training.REFIT_MAX_ROWS + 1) == "train"
    timed = small_params(split={"method": "time"}, train={"refit": "train_valid"})
    assert training.refit_method(timed, 100) == "train"


def test_selection_is_off_for_the_synthetic_demo_by_default():
    assert not autoselect.applies(small_params())
    assert autoselect.applies(
        small_params(data={"source": "csv", "path": "x.csv", "target": "churned", "positive": "1"})
    )
    assert autoselect.default_budget_s(7_000) == 60.0


@pytest.mark.e2e
def test_fold_bag_averages_log_odds_and_loads_from_skops(featurized_run, tmp_path):
    summary, pipeline = run_train(
        featurized_run, tmp_path / "repo", small_params(train={"bagging": "folds"})
    )
    bag = pipeline.named_steps["model"].calibrated_classifiers_[0].estimator.estimator.estimator
    assert isinstance(bag, bagging.FoldBag) and len(bag.estimators) == 5
    X = pipeline.named_steps["features"].transform(
        feature_frame(io.read_table(tmp_path / "repo" / paths.SPLIT / "valid.parquet"))
    )
    margins = [np.log(p / (1 - p)) for p in (m.predict_proba(X)[:, 1] for m in bag.estimators)]
    expected = 1 / (1 + np.exp(-np.mean(margins, axis=0)))
    np.testing.assert_allclose(bag.predict_proba(X)[:, 1], expected, rtol=1e-6)
    assert summary["refit"]["bagging"] == "folds"


def test_auto_names_xgboost_up_to_the_row_limit_and_the_blend_above():
    from churnlab.modeling import registry

    auto, chosen = small_params().train, small_params(train={"model": "lightgbm"}).train
    limit = registry.SMALL_DATA_ROWS
    assert auto.model == "auto"
    assert registry.model_for(auto, limit) == "xgboost"
    assert registry.model_for(auto, limit + 1) == "blend"
    assert registry.model_for(chosen, limit + 1) == "lightgbm"  # a named model stays


def test_auto_above_the_limit_fits_the_blend_on_train_and_calibrates_on_valid(
    featurized_run, monkeypatch
):
    from churnlab.modeling import registry

    params = small_params()
    X, y, Xv, yv = matrices(featurized_run, monkeypatch, params)
    monkeypatch.setattr(registry, "SMALL_DATA_ROWS", len(y) + len(yv) - 1)
    trained = training.train(params, X, y, Xv, yv)
    assert trained.summary["model"] == "blend"
    assert trained.summary["refit"]["method"] == "train"  # the members stop early on valid
    members = trained.model.members_
    assert [type(m).__name__ for m in members] == ["LightGBMClassifier", "CatBoostChurnClassifier"]
    margins = [np.log(p / (1 - p)) for p in (m.predict_proba(Xv)[:, 1] for m in members)]
    blended = trained.model.predict_proba(Xv)[:, 1]
    np.testing.assert_allclose(np.log(blended / (1 - blended)), np.mean(margins, axis=0))
    assert len(trained.valid_scores) == len(yv)


@pytest.mark.parametrize(
    ("train", "message"),
    [
        ({"candidates": ["blend"]}, "blend cannot be a selection candidate"),
        ({"model": "blend", "refit": "train_valid"}, "needs train.refit auto or train"),
        ({"blend": {"models": ["lightgbm", "lightgbm"]}}, "each member once"),
        ({"blend": {"models": ["lightgbm"]}}, "at least 2"),
        ({"blend": {"models": ["lightgbm", "logreg"]}}, "lightgbm"),
    ],
)
def test_bad_blend_settings_are_refused_with_the_reason(train, message):
    from churnlab.errors import UserError

    with pytest.raises((UserError, ValueError), match=message):
        small_params(train=train)
