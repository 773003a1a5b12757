"""The promotion gate, GTO tags and the DVC remote, in a tiny temporary git + DVC repository.

The repository has the project's params.yaml, .dvc/config (its default remote, a directory
beside the repository) and ``artifacts:`` declaration, and one stage whose outputs are a fake
model and metrics, recorded with ``dvc commit`` instead of running anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dvc.repo import Repo

from churnlab.cli.main import main, run
from churnlab.config.params import RegistryParams
from churnlab.errors import UserError
from churnlab.serving.promotion import check_gate, committed_metrics

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
DVC = str(Path(sys.executable).parent / "dvc")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}
PASSING = {"roc_auc": 0.86, "baselines": {"logreg": {"roc_auc": 0.84}}}
STAGE = {
    "cmd": "churnlab train",  # never run: the test writes the outputs and `dvc commit`s them
    "deps": ["train_input.json"],
    "outs": ["models/pipeline.skops", "models/metadata.json"],
    "metrics": [{"metrics/evaluate.json": {"cache": False}}],
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    out = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def dvc(cwd: Path, *args: str) -> None:
    done = subprocess.run([DVC, *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """``tmp/churnlab``: git + DVC with the project's remote config, params and artifact."""
    root = tmp_path / "churnlab"
    root.mkdir()
    (root / "params.yaml").write_text((REPO / "params.yaml").read_text())
    artifacts = yaml.safe_load((REPO / "dvc.yaml").read_text())["artifacts"]
    pipeline = {"stages": {"train": STAGE}, "artifacts": artifacts}
    (root / "dvc.yaml").write_text(yaml.safe_dump(pipeline))
    git(root, "init", "-q", "-b", "main")
    Repo.init(str(root)).close()
    (root / ".dvc/config").write_text((REPO / ".dvc/config").read_text())
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(root)
    return root


def train(repo: Path, metrics: dict, model: bytes = b"model one", commit: bool = True) -> Path:
    """Write a fake model and its metrics, record them in dvc.lock and (optionally) commit."""
    (repo / "train_input.json").write_text(json.dumps(metrics))
    (repo / "models").mkdir(exist_ok=True)
    (repo / "models/pipeline.skops").write_bytes(model)
    (repo / "models/metadata.json").write_text(json.dumps({"model": model.hex()}))
    (repo / "metrics").mkdir(exist_ok=True)
    (repo / "metrics/evaluate.json").write_text(json.dumps(metrics))
    with Repo(str(repo)) as dvc_repo:
        dvc_repo.commit(force=True)
    if commit:
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"trained: {metrics}")
    return repo / "metrics/evaluate.json"


def register(repo: Path, metrics: Path) -> int:
    return run(["--params", str(repo / "params.yaml"), "register", "--metrics", str(metrics)])


def refusal(repo: Path, capsys) -> str:
    """Run ``churnlab register`` as the command line does: exit status 2, one message, no tag."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--params", str(repo / "params.yaml"), "register"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("churnlab: error: not registered")
    assert git(repo, "tag", "--list").strip() == ""
    return err


def test_model_declared_as_dvc_artifact():
    artifacts = yaml.safe_load((REPO / "dvc.yaml").read_text())["artifacts"]
    assert artifacts["churn-model"]["type"] == "model"
    assert artifacts["churn-model"]["path"] == "models/pipeline.skops"


def test_passing_model_is_registered_and_promoted(repo, capsys):
    metrics = train(repo, PASSING)
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
    metrics = train(repo, {"roc_auc": 0.845, "baselines": {"logreg": {"roc_auc": 0.84}}})
    assert register(repo, metrics) == 1
    assert git(repo, "tag", "--list").strip() == ""
    out = capsys.readouterr().out
    assert "not promoted" in out and "baselines.logreg.roc_auc" in out


def test_model_below_floor_is_not_promoted(repo):
    metrics = train(repo, {"roc_auc": 0.70, "baselines": {"logreg": {"roc_auc": 0.60}}})
    assert register(repo, metrics) == 1
    assert git(repo, "tag", "--list").strip() == ""


def test_missing_baseline_fails_the_gate_naming_the_key(repo):
    metrics = train(repo, {"roc_auc": 0.99})
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


def test_uncommitted_workspace_metrics_never_decide(repo, capsys):
    # issue 14: HEAD's model fails the gate, a better uncommitted one is in the work tree
    train(repo, {"roc_auc": 0.70, "baselines": {"logreg": {"roc_auc": 0.84}}})
    head = git(repo, "rev-parse", "HEAD").strip()
    train(repo, PASSING, model=b"model two", commit=False)
    err = refusal(repo, capsys)
    assert "uncommitted changes" in err and "metrics/evaluate.json" in err and "dvc.lock" in err
    assert not (repo.parent / "churnlab-dvc-remote").exists()  # nothing pushed
    metrics, source = committed_metrics(repo, head, Path("metrics/evaluate.json"))
    assert metrics["roc_auc"] == 0.70 and str(source) == f"metrics/evaluate.json@{head[:7]}"
    assert json.loads((repo / "metrics/evaluate.json").read_text())["roc_auc"] == 0.86


def test_stale_pipeline_is_refused_naming_the_stage(repo, capsys):
    train(repo, PASSING)
    (repo / "train_input.json").write_text('{"changed": true}')  # a dep, committed, not run
    git(repo, "commit", "-qam", "new training input, no dvc repro")
    err = refusal(repo, capsys)
    assert "pipeline is not up to date" in err and "train changed" in err


def test_metrics_not_in_the_commit_are_refused(repo):
    train(repo, PASSING)
    (repo / "new.json").write_text(json.dumps(PASSING))  # untracked: allowed, but not evidence
    with pytest.raises(UserError, match=r"new\.json is not in commit"):
        register(repo, repo / "new.json")
    assert git(repo, "tag", "--list").strip() == ""


def test_without_a_remote_nothing_is_registered(repo, capsys):
    (repo / ".dvc/config").write_text("")
    train(repo, PASSING)
    err = refusal(repo, capsys)
    assert "no default DVC remote is configured" in err and "docs/registry.md" in err


def test_registered_versions_come_back_byte_for_byte(repo, tmp_path, capsys):
    """Push on register; ``dvc artifacts get`` and ``dvc pull`` in a fresh clone return v1."""
    first, second = b"model one \x00\xff", b"model two"
    metrics = train(repo, PASSING, model=first)
    assert register(repo, metrics) == 0
    assert "to DVC remote 'storage'" in capsys.readouterr().out
    train(repo, {**PASSING, "roc_auc": 0.87}, model=second)
    assert register(repo, metrics) == 0
    remote = tmp_path / "churnlab-dvc-remote"  # the project's default: beside the repository
    for blob in (first, second):
        digest = hashlib.md5(blob).hexdigest()
        assert (remote / "files/md5" / digest[:2] / digest[2:]).read_bytes() == blob
    shutil.rmtree(repo / ".dvc/cache")  # whatever comes back below comes from the remote
    dvc(tmp_path, "artifacts", "get", str(repo), "churn-model", "--rev", "v0.0.1", "-o", "v1")
    assert (tmp_path / "v1").read_bytes() == first
    git(tmp_path, "clone", "-q", str(repo), "fresh")
    clone = tmp_path / "fresh"
    git(clone, "checkout", "-q", "churn-model@v0.0.1")
    dvc(clone, "pull", "models/pipeline.skops", "models/metadata.json")  # as docs/registry.md
    assert (clone / "models/pipeline.skops").read_bytes() == first
    assert json.loads((clone / "models/metadata.json").read_text()) == {"model": first.hex()}
