"""End-to-end: ``dvc repro studies/dvc.yaml`` (folds, cv matrix, leaderboard, search) in a
temporary copy of the repository, then ``churnlab select --apply`` and the default repro.

Small on purpose (2,000 customers, three cheap candidates, three folds, three search trials):
it checks the wiring a user relies on, not model quality.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from test_e2e import REPO, light, run, tracked_files

pytestmark = pytest.mark.e2e

MODELS = ["rules", "logreg", "xgboost"]


def edit_params(path: Path) -> None:
    params = yaml.safe_load(path.read_text())
    params["synthetic"]["n_customers"] = 2000
    params["train"]["model"] = "rules"  # the leaderboard must change it
    params["train"]["xgboost"].update({"n_estimators": 150, "early_stopping_rounds": 10})
    params["evaluate"]["bootstrap_resamples"] = 50
    params["cv"]["folds"] = 3
    params["cv"]["n_jobs"] = 1  # tiny folds; the parallel path is tested in test_cv.py
    params["leaderboard"]["models"] = MODELS
    params["search"].update(
        {
            "model": "logreg",
            "method": "tpe",
            "n_trials": 3,
            "folds": 2,
            "space": {"C": {"type": "float", "low": 0.01, "high": 10.0, "log": True}},
        }
    )
    path.write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture(scope="module")
def studied(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("studies") / "repo"
    for name in tracked_files():
        if name.startswith(("metrics/", "plots/")) or name.endswith("dvc.lock"):
            continue
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    # The side stages that `dvc repro evaluate` runs (evaluate reads both), lighter.
    light(root)
    edit_params(root / "params.yaml")
    run(["git", "init", "-q", "-b", "main"], root)
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-qm", "small copy"], root)
    # The model-selection stages only (the file also holds the feature ablation).
    result = run(["dvc", "repro", "studies/dvc.yaml:leaderboard", "studies/dvc.yaml:search"], root)
    assert "Running stage 'train'" not in result.stdout  # studies never train the root model
    return root


def test_leaderboard_scores_every_candidate_and_selects_one(studied: Path) -> None:
    board = json.loads((studied / "metrics/leaderboard.json").read_text())
    assert set(board["models"]) == set(MODELS)
    for entry in board["models"].values():
        for metric in ("roc_auc", "pr_auc", "f1", "fit_s", "predict_s"):
            assert entry[metric]["std"] >= 0
        assert 0.5 < entry["roc_auc"]["mean"] <= 1
    assert board["folds"] == 3 and board["scheme"] == "stratified"
    assert board["selected"]["model"] in MODELS and board["selected"]["reason"]
    held_out = {
        m: [
            f["n_held_out"]
            for f in json.loads((studied / f"metrics/cv/{m}.json").read_text())["folds"]
        ]
        for m in MODELS
    }
    assert len({tuple(v) for v in held_out.values()}) == 1  # the same folds for every model
    assert (studied / "plots/studies/leaderboard.png").stat().st_size > 0


def test_search_writes_its_history(studied: Path) -> None:
    found = json.loads((studied / "metrics/search.json").read_text())
    assert found["n_trials"] == 3 and found["model"] == "logreg"
    assert found["best_value"] == max(t["value"] for t in found["trials"] if t["value"])
    assert (studied / "plots/studies/search_history.png").stat().st_size > 0


def test_select_apply_then_default_repro_trains_the_choice(studied: Path) -> None:
    chosen = json.loads((studied / "metrics/leaderboard.json").read_text())["selected"]["model"]
    assert run(["churnlab", "select", "--check"], studied, check=False).returncode == (
        0 if chosen == "rules" else 1
    )
    run(["churnlab", "select", "--apply"], studied)
    assert run(["churnlab", "select", "--check"], studied).returncode == 0
    assert yaml.safe_load((studied / "params.yaml").read_text())["train"]["model"] == chosen
    # The default pipeline up to evaluate (what is checked); test_e2e.py runs it whole.
    run(["dvc", "repro", "evaluate"], studied)
    trained = json.loads((studied / "metrics/train.json").read_text())
    assert trained["model"] == chosen
    assert trained["calibration"]["method"] == "sigmoid"
    meta = json.loads((studied / "models/metadata.json").read_text())
    evaluated = json.loads((studied / "metrics/evaluate.json").read_text())
    assert evaluated["model"] == chosen and evaluated["threshold"] == meta["threshold"]
