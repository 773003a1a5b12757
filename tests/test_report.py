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

from churnlab.evaluation.pr_report import flatten, fmt, fmt_delta

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


def write_revision(root: Path, learning_rate: float, metrics: dict, segments: dict, shift: float):
    params = {"train": {"model": "xgboost", "xgboost": {"learning_rate": learning_rate}}}
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    (root / "metrics").mkdir(exist_ok=True)
    (root / "metrics/evaluate.json").write_text(json.dumps(metrics))
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
    write_revision(root, 0.05, BASE, SEG_BASE, 0.0)
    sh(["git", "add", "-A"], root)
    sh(["git", "commit", "-qm", "base"], root)
    sh(["git", "checkout", "-qb", "feature"], root)
    write_revision(root, 0.1, HEAD, SEG_HEAD, 0.1)
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
