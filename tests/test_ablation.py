"""The ablation study: the summary's arithmetic, and the real ``dvc repro studies/dvc.yaml``
in a temporary copy of the repository at a tiny size."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from churnlab.config.columns import TARGET
from churnlab.config.params import EvaluateParams
from churnlab.errors import UserError
from churnlab.evaluation.ablation import summarise
from churnlab.features.families import FAMILIES, VARIANTS
from test_e2e import REPO, run, set_param, tracked_files


def _result(name: str, roc: float, n: int) -> dict:
    return {"variant": name, "roc_auc": roc, "pr_auc": roc - 0.2, "n_features": n}


def _scores(noise: dict[str, float], n: int = 3000) -> dict[str, pd.DataFrame]:
    """Test scores per variant: one shared signal plus variant-specific noise of that size."""
    rng = np.random.default_rng(0)
    y = (rng.random(n) < 0.2).astype("int8")
    shared = 1.2 * y + rng.normal(size=n)
    return {
        v: pd.DataFrame({TARGET: y, "score": shared + noise.get(v, 0.0) * rng.normal(size=n)})
        for v in VARIANTS
    }


EVALUATE = EvaluateParams(bootstrap_resamples=300, bootstrap_seed=1)


@pytest.mark.e2e
def test_summary_signs_and_selection_target():
    results = {v: _result(v, 0.80, 100) for v in VARIANTS}
    results["full"] = _result("full", 0.85, 100)
    results["no_text"] = _result("no_text", 0.83, 60)
    results["no_outliers"] = _result("no_outliers", 0.851, 100)
    results["raw_only"] = _result("raw_only", 0.82, 20)
    results["selection"] = _result("selection", 0.8485, 45)
    scores = _scores({"raw_only": 1.0})
    summary = summarise(results, scores, EVALUATE)
    assert set(summary["families"]) == set(FAMILIES)
    assert summary["families"]["text"]["roc_auc_contribution"] == pytest.approx(0.02)
    assert summary["families"]["text"]["n_features_change"] == -40
    assert summary["families"]["outliers"]["roc_auc_contribution"] == pytest.approx(-0.001)
    assert summary["full_minus_raw_roc_auc"] == pytest.approx(0.03)
    assert summary["selection"]["feature_reduction"] == pytest.approx(0.55)
    assert summary["selection"]["target_met"] is True
    results["selection"] = _result("selection", 0.845, 45)  # loses 0.005 > 0.002
    assert summarise(results, scores, EVALUATE)["selection"]["target_met"] is False


@pytest.mark.e2e
def test_clear_margin_needs_the_paired_interval_above_zero():
    results = {v: _result(v, 0.80, 100) for v in VARIANTS}
    # raw_only much noisier than full: the paired interval of the gain excludes zero.
    clear = summarise(results, _scores({"raw_only": 1.0}), EVALUATE)
    paired = clear["raw_only"]["paired"]["roc_auc"]
    assert paired["difference"] > 0 and paired["low"] > 0 and paired["p_value"] < 0.025
    assert clear["full_beats_raw_clearly"] is True
    # Both equally good, only different: the interval straddles zero, no clear margin.
    unclear = summarise(results, _scores({"full": 0.3, "raw_only": 0.3}), EVALUATE)
    paired = unclear["raw_only"]["paired"]["roc_auc"]
    assert paired["low"] < 0 < paired["high"]
    assert unclear["full_beats_raw_clearly"] is False
    # Identical scores: a family worth exactly nothing.
    text = clear["families"]["text"]["paired"]["roc_auc"]
    assert text["difference"] == 0.0 and text["p_value"] == 1.0


def test_scores_for_different_customers_are_refused():
    results = {v: _result(v, 0.80, 100) for v in VARIANTS}
    scores = _scores({})
    scores["no_text"] = scores["no_text"].iloc[::-1].reset_index(drop=True)
    with pytest.raises(UserError, match="different test customers"):
        summarise(results, scores, EVALUATE)


def test_study_lists_every_variant_and_stays_out_of_the_default_pipeline():
    studies = yaml.safe_load((REPO / "studies/dvc.yaml").read_text())["stages"]
    assert studies["ablation"]["foreach"] == list(VARIANTS)
    report_deps = studies["ablation-report"]["deps"]
    assert {f"studies/ablation/{v}.json" for v in VARIANTS} <= set(report_deps)
    assert {f"data/studies/ablation/{v}.parquet" for v in VARIANTS} <= set(report_deps)
    # `dvc repro` without targets runs the root dvc.yaml only.
    assert not any(
        "ablation" in name for name in yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    )


@pytest.mark.e2e
def test_ablation_pipeline_runs_outside_the_default_repro(tmp_path):
    root = tmp_path / "repo"
    for name in tracked_files():
        if name.startswith(("metrics/", "plots/", "studies/ablation/")) or name.endswith(".lock"):
            continue
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    set_param(root, "synthetic.n_customers", 1500)
    set_param(root, "train.xgboost.n_estimators", 200)
    run(["git", "init", "-q", "-b", "main"], root)
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-qm", "tiny copy"], root)
    # The default `dvc repro` reads the root dvc.yaml only: no ablation stage in it.
    default_stages = run(["dvc", "stage", "list", "--name-only"], root).stdout.split()
    assert "train" in default_stages and not any("ablation" in s for s in default_stages)
    # The ablation only (the file also holds model selection); upstream it needs only
    # prepare and split, never the default train/evaluate stages.
    ran = run(["dvc", "repro", "studies/dvc.yaml:ablation-report"], root).stdout
    assert "Running stage 'train'" not in ran and "Running stage 'split'" in ran
    summary = json.loads((root / "metrics/ablation.json").read_text())
    assert set(summary["families"]) == set(FAMILIES)
    full = summary["full"]
    assert 0.5 < full["roc_auc"] <= 1.0
    assert summary["raw_only"]["n_features"] < full["n_features"]
    assert summary["families"]["text"]["n_features_change"] < 0
    assert summary["selection"]["n_features"] < full["n_features"]
    raw = summary["raw_only"]["paired"]["roc_auc"]
    assert raw["low"] <= raw["difference"] <= raw["high"]
    assert summary["full_beats_raw_clearly"] == (raw["low"] > 0)
    assert (root / "plots/ablation.png").stat().st_size > 0
    assert (
        "up to date"
        in run(["dvc", "status", "--with-deps", "studies/dvc.yaml:ablation-report"], root).stdout
    )
