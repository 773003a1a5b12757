"""Study outputs built from other data are marked stale (observation 8 of issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from churnlab.evaluation import study_freshness as fresh
from test_report import sh

pytestmark = pytest.mark.e2e

SYNTHETIC, TELCO = "2df59015762cb35b4a4cd9f8ad31319e.dir", "0123456789abcdef0123456789abcdef.dir"


def split_dep(md5: str) -> dict:
    return {"path": "data/split", "hash": "md5", "md5": md5}


def write_locks(root: Path, pipeline: str, studies: str | None) -> None:
    main = {"schema": "2.0", "stages": {"split": {"outs": [split_dep(pipeline)]}}}
    (root / "dvc.lock").write_text(yaml.safe_dump(main))
    (root / "studies").mkdir(exist_ok=True)
    stages = {}
    if studies is not None:
        stages = {
            "ablation@full": {"deps": [split_dep(studies)]},
            "cv@xgboost": {"deps": [split_dep(studies)]},
            "search": {"deps": [split_dep(studies)]},
            "leaderboard": {"deps": []},
        }
    (root / "studies/dvc.lock").write_text(yaml.safe_dump({"schema": "2.0", "stages": stages}))


def test_studies_of_the_same_data_are_current(tmp_path):
    write_locks(tmp_path, SYNTHETIC, SYNTHETIC)
    assert set(fresh.study_status(tmp_path).values()) == {fresh.CURRENT}
    assert fresh.stale_note(fresh.study_status(tmp_path)) == []


def test_studies_of_other_data_are_stale(tmp_path):
    write_locks(tmp_path, TELCO, SYNTHETIC)  # the pipeline ran on Telco, the studies did not
    status = fresh.study_status(tmp_path)
    assert status == dict.fromkeys(fresh.STUDIES, fresh.STALE)
    assert fresh.is_stale("metrics/cv/xgboost.json", status)
    assert not fresh.is_stale("metrics/evaluate.json", status)
    note = "\n".join(fresh.stale_note(status))
    assert "Stale studies" in note and "`metrics/leaderboard.json`" in note


def test_studies_never_run_are_not_called_stale(tmp_path):
    write_locks(tmp_path, TELCO, None)
    assert set(fresh.study_status(tmp_path).values()) == {fresh.NOT_RUN}


def test_the_pull_request_comment_marks_stale_studies(tmp_path):
    sh(["git", "init", "-q", "-b", "main"], tmp_path)
    (tmp_path / "params.yaml").write_text("train: {model: xgboost}\n")
    (tmp_path / "metrics").mkdir()
    for name in ("evaluate", "leaderboard"):
        (tmp_path / f"metrics/{name}.json").write_text(json.dumps({"roc_auc": 0.8}))
    write_locks(tmp_path, SYNTHETIC, SYNTHETIC)
    sh(["git", "add", "-A"], tmp_path)
    sh(["git", "commit", "-qm", "synthetic"], tmp_path)
    sh(["churnlab", "report", "--base", "main", "--output", "fresh.md"], tmp_path)
    assert "stale" not in (tmp_path / "fresh.md").read_text().lower()
    write_locks(tmp_path, TELCO, SYNTHETIC)  # `dvc repro` on a user's table
    sh(["churnlab", "report", "--base", "main", "--output", "stale.md"], tmp_path)
    text = (tmp_path / "stale.md").read_text()
    assert "**Stale studies:**" in text.split("### Selection")[0]  # at the top of the comment
    assert "<code>metrics/leaderboard.json</code> (1 values) (stale: built from other data)" in text
    assert "<code>metrics/evaluate.json</code> (1 values)</summary>" in text
