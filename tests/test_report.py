"""``churnlab report`` in a temporary git repository with two commits of different params."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from churnlab.evaluation.pr_report import build_report, flatten, fmt, fmt_delta
from churnlab.evaluation.ranking import SELECTION_METRIC, rank_runs, verdict

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


def sh(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, check=check)


def write_revision(
    root: Path, learning_rate: float, metrics: dict, segments: dict, shift: float, valid: float
):
    params = {"train": {"model": "xgboost", "xgboost": {"learning_rate": learning_rate}}}
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    (root / "metrics").mkdir(exist_ok=True)
    (root / "metrics/evaluate.json").write_text(json.dumps(metrics))
    train = {"valid": {"roc_auc": valid, "pr_auc": 0.6}}
    (root / "metrics/train.json").write_text(json.dumps(train))
    (root / "metrics/segments.json").write_text(json.dumps(segments))
    (root / "plots").mkdir(exist_ok=True)
    (root / "plots/roc.csv").write_text(f"fpr,tpr,threshold\n0,0,1\n0.2,{0.5 + shift},0.5\n1,1,0\n")
    (root / "plots/precision_recall.csv").write_text(
        f"recall,precision,threshold\n1,0.2,0\n0.5,{0.5 + shift},0.5\n"
    )


BASE = {
    "roc_auc": 0.81234567,
    "pr_auc": 0.5,
    "n": 7500,
    "true_positives": 700,
    "model": "xgboost",
    "business": {"at_threshold": {"expected_net_savings": 123456.789}},
}
HEAD = {
    **BASE,
    "roc_auc": 0.80111,
    "true_positives": 712,
    "business": {"at_threshold": {"expected_net_savings": 130000.0}},
}
SEG_BASE = {"plan": {"basic": {"roc_auc": 0.8, "n": 10}, "premium": {"roc_auc": 0.7, "n": 5}}}
SEG_HEAD = {"plan": {"basic": {"roc_auc": 0.78, "n": 10}, "premium": {"roc_auc": 0.7, "n": 5}}}


@pytest.fixture(scope="module")
def two_commits(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report_repo")
    sh(["git", "init", "-q", "-b", "main"], root)
    write_revision(root, 0.05, BASE, SEG_BASE, 0.0, valid=0.80)
    sh(["git", "add", "-A"], root)
    sh(["git", "commit", "-qm", "base"], root)
    sh(["git", "checkout", "-qb", "feature"], root)
    # head: better on validation, worse on test (BASE 0.8123 -> HEAD 0.8011)
    write_revision(root, 0.1, HEAD, SEG_HEAD, 0.1, valid=0.82)
    sh(["git", "commit", "-qam", "head"], root)
    return root


def table_rows(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\| `([^`]+)` \| (.*) \|$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


def test_report_numbers_equal_the_metrics_files(two_commits):
    done = sh(["churnlab", "report", "--base", "main", "--output", "out/report.md"], two_commits)
    text = (two_commits / "out/report.md").read_text()
    rows = table_rows(text)
    assert rows["train.xgboost.learning_rate"] == ["`0.05`", "`0.1`"]
    old = flatten(json.loads(sh(["git", "show", "main:metrics/evaluate.json"], two_commits).stdout))
    new = flatten(json.loads((two_commits / "metrics/evaluate.json").read_text()))
    for key in old:  # every metric, including unchanged ones
        assert rows[key][:2] == [fmt(old[key]), fmt(new[key])], key
    assert rows["roc_auc"] == ["0.8123", "0.8011", "-0.0112"]
    assert rows["pr_auc"] == ["0.5000", "0.5000", "0"]
    assert rows["true_positives"] == ["700", "712", "+12"]
    assert rows["business.at_threshold.expected_net_savings"][2] == "+6,543.2"
    assert rows["plan.basic.roc_auc"][2] == "-0.0200"
    assert "`plan.basic` ROC-AUC 0.8000 → 0.7800" in text
    assert "plan.premium" not in text.split("Slices that got worse")[1].split("\n")[0]
    for suffix in ("roc", "pr"):
        png = two_commits / f"out/report_{suffix}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"](report_{suffix}.png)" in text
    assert done.stdout.strip() == "out/report.md"


def test_report_artifact_mode_does_not_embed(two_commits):
    sh(
        ["churnlab", "report", "--base", "main", "--output", "a.md", "--images", "artifact"],
        two_commits,
    )
    text = (two_commits / "a.md").read_text()
    assert "![" not in text and "workflow artifacts" in text


def test_unknown_base_is_a_user_error(two_commits):
    done = sh(["churnlab", "report", "--base", "nope"], two_commits, check=False)
    assert done.returncode == 2
    assert "unknown base revision 'nope'" in done.stderr
    assert "Traceback" not in done.stderr


def test_delta_formatting_keeps_signs():
    assert fmt_delta(0.5, 0.5) == "0"
    assert fmt_delta(0.5, 0.50001) == "+1e-05"
    assert fmt_delta(0.5, 0.4) == "-0.1000"
    assert fmt_delta(3, 1) == "-2"
    assert fmt_delta("xgboost", "logreg") == "changed"
    assert fmt_delta(None, 0.5) == "new" and fmt_delta(0.5, None) == "removed"
    assert fmt(None) == "–" and fmt(1234.56) == "1,234.6"


def test_report_chooses_on_validation_and_only_shows_test(two_commits, monkeypatch):
    monkeypatch.chdir(two_commits)
    text = build_report("main", Path("v.md"))
    selection = text.index("### Selection (validation split)")
    test_part = text.index("### Test split (reported, never used to choose)")
    assert selection < test_part
    assert "| ROC-AUC (validation): the selection metric | 0.8000 | 0.8200 | +0.0200 |" in text
    assert f"**Selection metric** (`{SELECTION_METRIC}`): head is better" in text
    assert "| ROC-AUC | 0.8123 | 0.8011 | -0.0112 |" in text[test_part:]
    assert "### Experiments" not in text  # no `dvc exp run` in this repository


def add_experiment(root: Path, name: str, depth: int, valid: float, test: float) -> None:
    """A commit like the ones ``dvc exp run`` makes, under its ref ``refs/exps/<HEAD>/<name>``."""
    head = sh(["git", "rev-parse", "HEAD"], root).stdout.strip()
    sh(["git", "checkout", "-q", "--detach"], root)
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["train"]["xgboost"]["max_depth"] = depth
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    (root / "metrics/evaluate.json").write_text(json.dumps({**HEAD, "roc_auc": test}))
    (root / "metrics/train.json").write_text(json.dumps({"valid": {"roc_auc": valid}}))
    sh(["git", "commit", "-qam", f"dvc: commit experiment {name}"], root)
    commit = sh(["git", "rev-parse", "HEAD"], root).stdout.strip()
    sh(["git", "update-ref", f"refs/exps/{head[:2]}/{head[2:]}/{name}", commit], root)
    sh(["git", "checkout", "-q", "feature"], root)


def test_experiments_are_ranked_by_validation_not_test(two_commits, tmp_path, monkeypatch):
    root = tmp_path / "repo"
    sh(["git", "clone", "-q", "-b", "feature", str(two_commits), str(root)], tmp_path)
    sh(["git", "branch", "-q", "main", "origin/main"], root)
    add_experiment(root, "best-on-test", depth=8, valid=0.79, test=0.95)
    add_experiment(root, "best-on-valid", depth=3, valid=0.83, test=0.78)
    monkeypatch.chdir(root)
    text = build_report("main", Path("e.md"))
    rows = [line for line in text.splitlines() if line.startswith("| ") and " | `train." in line]
    rows += [line for line in text.splitlines() if line.startswith("| 2 | HEAD (")]
    assert rows[0].startswith("| 1 (selected) | best-on-valid | 0.8300 | 0.7800 |")
    assert rows[0].endswith("| `train.xgboost.max_depth=3` |")
    assert rows[1].startswith("| 3 | best-on-test | 0.7900 | 0.9500 |")
    assert rows[2].startswith("| 2 | HEAD (") and "| 0.8200 | 0.8011 | – |" in rows[2]


def test_ranking_uses_the_validation_key_only():
    runs = {
        "a": {SELECTION_METRIC: 0.80, "metrics/evaluate.json:roc_auc": 0.99},
        "b": {SELECTION_METRIC: 0.85, "metrics/evaluate.json:roc_auc": 0.70},
        "no-valid": {"metrics/evaluate.json:roc_auc": 1.0},
        "c": {SELECTION_METRIC: 0.85},
    }
    ranked = rank_runs(runs)
    assert [(r.name, r.rank) for r in ranked] == [("b", 1), ("c", 2), ("a", 3), ("no-valid", None)]
    assert ranked[2].test == 0.99 and ranked[3].selection is None
    assert verdict(0.80, 0.82).startswith("head is better on validation ROC-AUC")
    assert verdict(0.82, 0.80).startswith("head is worse")
    assert verdict(None, 0.8).startswith("not comparable: the base has no")
