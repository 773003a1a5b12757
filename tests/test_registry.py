"""The promotion gate and GTO tags, in a temporary git repository."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from churnlab.cli.main import run
from churnlab.config.params import RegistryParams
from churnlab.errors import UserError
from churnlab.serving.promotion import check_gate

REPO = Path(__file__).resolve().parents[1]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    out = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A git repository with the project's dvc.yaml (artifact declaration) and params.yaml."""
    for name in ("dvc.yaml", "params.yaml"):
        (tmp_path / name).write_text((REPO / name).read_text())
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "model")
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_metrics(repo: Path, metrics: dict) -> Path:
    path = repo / "evaluate.json"
    path.write_text(json.dumps(metrics))
    return path


def register(repo: Path, metrics: Path) -> int:
    return run(["--params", str(repo / "params.yaml"), "register", "--metrics", str(metrics)])


def test_model_declared_as_dvc_artifact():
    artifacts = yaml.safe_load((REPO / "dvc.yaml").read_text())["artifacts"]
    assert artifacts["churn-model"]["type"] == "model"
    assert artifacts["churn-model"]["path"] == "models/pipeline.skops"


def test_passing_model_is_registered_and_promoted(repo, capsys):
    metrics = write_metrics(repo, {"roc_auc": 0.86, "baselines": {"logreg": {"roc_auc": 0.84}}})
    assert register(repo, metrics) == 0
    tags = git(repo, "tag", "--list").split()
    versions = [t for t in tags if t.startswith("churn-model@v")]
    assert len(versions) == 1
    assert any(t.startswith("churn-model#prod#") for t in tags)
    version = versions[0].split("@")[1]
    assert f"promoted churn-model {version} to prod" in capsys.readouterr().out
    head = git(repo, "rev-parse", "HEAD").strip()
    assert git(repo, "rev-list", "-n1", versions[0]).strip() == head
    # the next commit that passes becomes the next version, and the stage moves to it
    (repo / "params.yaml").write_text((repo / "params.yaml").read_text() + "\n")
    git(repo, "commit", "-qam", "retrained")
    assert register(repo, metrics) == 0
    tags = git(repo, "tag", "--list").split()
    assert len([t for t in tags if t.startswith("churn-model@v")]) == 2
    assert len([t for t in tags if t.startswith("churn-model#prod#")]) == 2


def test_model_below_baseline_is_not_promoted(repo, capsys):
    metrics = write_metrics(repo, {"roc_auc": 0.845, "baselines": {"logreg": {"roc_auc": 0.84}}})
    assert register(repo, metrics) == 1
    assert git(repo, "tag", "--list").strip() == ""
    out = capsys.readouterr().out
    assert "not promoted" in out and "baselines.logreg.roc_auc" in out


def test_model_below_floor_is_not_promoted(repo):
    metrics = write_metrics(repo, {"roc_auc": 0.70, "baselines": {"logreg": {"roc_auc": 0.60}}})
    assert register(repo, metrics) == 1
    assert git(repo, "tag", "--list").strip() == ""


def test_missing_baseline_fails_the_gate_naming_the_key(repo):
    metrics = write_metrics(repo, {"roc_auc": 0.99})
    with pytest.raises(UserError, match=r"baselines\.logreg\.roc_auc is missing"):
        register(repo, metrics)
    assert git(repo, "tag", "--list").strip() == ""


def test_gate_criteria():
    p = RegistryParams(min_roc_auc=0.8, baseline_margin=0.01)
    ok = {"roc_auc": 0.85, "baselines": {"logreg": {"roc_auc": 0.84}}}
    assert check_gate(ok, p, Path("m.json")) == []
    tight = {"roc_auc": 0.849, "baselines": {"logreg": {"roc_auc": 0.84}}}
    assert len(check_gate(tight, p, Path("m.json"))) == 1
    with pytest.raises(UserError, match="must be a number"):
        check_gate({"roc_auc": "high", "baselines": {}}, p, Path("m.json"))
