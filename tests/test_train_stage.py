"""The train stage with a zoo model other than XGBoost: calibration, threshold, outputs."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from churnlab import io, package
from churnlab.config import paths
from churnlab.features import feature_frame
from churnlab.stages import train
from conftest import small_params


@pytest.mark.e2e
def test_lightgbm_isotonic_budget_run(featurized_run, tmp_path, monkeypatch):
    root = tmp_path / "repo"
    shutil.copytree(featurized_run, root)
    monkeypatch.chdir(root)
    params = small_params(
        train={"model": "lightgbm", "calibration": "isotonic", "threshold": {"method": "budget"}}
    )
    train.main(params)
    summary = io.read_json(paths.METRICS / "train.json")
    assert summary["model"] == "lightgbm"
    assert summary["calibration"]["method"] == "isotonic"
    assert summary["calibration"]["brier_after"] <= summary["calibration"]["brier_before"]
    decision = summary["decision"]
    valid = io.read_table(paths.SPLIT / "valid.parquet")
    # budget: at least the budget share is contacted (ties at the cut are all contacted)
    assert decision["contacted"] >= np.ceil(params.business.contact_budget_share * len(valid))
    # a model without boosting curves still writes the stage's plots output
    assert (paths.TRAIN_LIVE / "plots/metrics/valid/auc.tsv").exists()
    assert (paths.PLOTS / "calibration/reliability.png").stat().st_size > 0
    pipeline = package.load(paths.PIPELINE)
    scores = pipeline.predict_proba(feature_frame(valid))[:, 1]
    assert ((scores >= 0) & (scores <= 1)).all()
    assert io.read_json(paths.MODEL_META)["threshold"] == decision["threshold"]
