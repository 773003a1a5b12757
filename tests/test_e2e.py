"""End-to-end: the real ``dvc repro`` / ``dvc exp run`` in a temporary copy of the repository.

One small pipeline (3,000 customers) is built once per module; the tests then check what a
user relies on: outputs exist, ``dvc status`` is clean, a rerun gives identical hashes,
a hyper-parameter change reruns only train and evaluate, a queued sweep completes and shows
in ``dvc exp show``, ``dvc metrics diff`` compares commits, and bad params stop the run
without touching what was produced.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
N_CUSTOMERS = 3000
EXPLAIN_ROWS = 150

pytestmark = pytest.mark.e2e


def run(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DVC_NO_ANALYTICS": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def set_param(repo: Path, dotted: str, value) -> None:
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text())
    node = params
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = node[key]
    node[leaf] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


# Settings that only cut the cost of parts the end-to-end tests do not check (bootstrap
# resamples, survival's cross-validation, uplift's candidate learners): uplift and survival still
# run and write their outputs, their figures are just less precise (survival cross-validation has
# its unit test in test_survival_decisions.py). `light(root)` applies them to a copy.
LIGHT = {
    "evaluate.bootstrap_resamples": 200,
    "survival.cross_validate": False,
    "survival.bootstrap_resamples": 20,
    "uplift.bootstrap_resamples": 20,
    "uplift.candidates": ["s", "shift_corrected"],
}


def light(repo: Path, more: dict | None = None) -> None:
    """``LIGHT`` and then ``more`` (dotted key: value) set in ``repo``'s params.yaml."""
    for dotted, value in {**LIGHT, **(more or {})}.items():
        set_param(repo, dotted, value)


def tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    return [line for line in out.splitlines() if line and (REPO / line).exists()]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A git + DVC copy of the project at a small size, with the pipeline run once."""
    root = tmp_path_factory.mktemp("churnlab") / "repo"
    for name in tracked_files():
        if name.startswith(("metrics/", "plots/")) or name in ("dvc.lock", "studies/dvc.lock"):
            continue  # produced by the run below
        if name.startswith("studies/"):
            continue  # slower studies (test_ablation.py); `dvc status` would list them
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    set_param(root, "synthetic.n_customers", N_CUSTOMERS)
    set_param(root, "evaluate.explain_rows", EXPLAIN_ROWS)  # fewer than the test customers
    light(root)
    # The tests below change these two; pin them (select --apply may have tuned them).
    set_param(root, "train.xgboost.max_depth", 3)
    set_param(root, "train.xgboost.learning_rate", 0.05)
    run(["git", "init", "-q", "-b", "main"], root)
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-qm", "small copy"], root)
    run(["dvc", "repro"], root)
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-qm", "run pipeline"], root)
    return root


def test_repro_produces_outputs_and_clean_status(repo: Path) -> None:
    metrics = json.loads((repo / "metrics/evaluate.json").read_text())
    for key in (
        "roc_auc",
        "pr_auc",
        "f1",
        "precision",
        "recall",
        "specificity",
        "accuracy",
        "brier",
        "log_loss",
        "threshold",
        "oracle_roc_auc",
    ):
        assert key in metrics, key
    assert 0.5 < metrics["roc_auc"] <= 1.0
    assert metrics["roc_auc"] <= metrics["oracle_roc_auc"] + 0.05
    gap, gap_ci = metrics["gap_to_oracle"], metrics["gap_to_oracle_ci"]
    assert gap == pytest.approx(metrics["oracle_roc_auc"] - metrics["roc_auc"], abs=2e-6)
    assert gap_ci["low"] <= gap <= gap_ci["high"] and gap_ci["std"] > 0
    for name in (
        "roc.csv",
        "precision_recall.csv",
        "calibration.csv",
        "confusion.csv",
        "feature_importance.png",
        "gains.csv",
        "profit.csv",
    ):
        assert (repo / "plots" / name).stat().st_size > 0, name
    # The default pipeline only: studies/dvc.yaml (leaderboard, search) is run on demand.
    assert "up to date" in run(["dvc", "status", "dvc.yaml"], repo).stdout
    assert run(["git", "status", "--porcelain"], repo).stdout == ""


def test_repro_is_reproducible(repo: Path) -> None:
    before = (repo / "dvc.lock").read_text()
    shutil.rmtree(repo / "data")
    shutil.rmtree(repo / "models")
    run(["dvc", "repro", "-f"], repo)
    assert (repo / "dvc.lock").read_text() == before
    assert run(["git", "status", "--porcelain"], repo).stdout == ""


def test_queued_sweep_completes_and_is_listed(repo: Path) -> None:
    # Up to evaluate (what the check reads): uplift and survival are run by the other tests.
    run(["dvc", "exp", "run", "--queue", "-S", "train.xgboost.max_depth=2,4", "evaluate"], repo)
    run(["dvc", "queue", "start", "-j", "1"], repo)
    # `dvc queue start` runs in the background: wait for both tasks to finish. Each poll is a
    # dvc process (about 2 CPU seconds) competing with the experiments: poll every 10 s, not 2.
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = run(["dvc", "queue", "status"], repo).stdout
        if "Queued" not in status and "Running" not in status:
            break
        time.sleep(10)
    assert "Failed" not in status, status
    shown = run(["dvc", "exp", "show", "--json"], repo).stdout
    experiments = [exp for rev in json.loads(shown) for exp in (rev.get("experiments") or [])]
    depths = set()
    for exp in experiments:
        for run_ in exp.get("revs", []):
            data = run_.get("data") or {}
            params = data.get("params", {}).get("params.yaml", {}).get("data", {})
            metrics = data.get("metrics", {}).get("metrics/evaluate.json", {}).get("data", {})
            if "roc_auc" in metrics:
                depths.add(params["train"]["xgboost"]["max_depth"])
    assert {2, 4} <= depths, shown[:2000]


def test_evaluation_report_outputs(repo: Path) -> None:
    metrics = json.loads((repo / "metrics/evaluate.json").read_text())
    for name in ("rules", "logreg"):
        assert 0.5 < metrics["baselines"][name]["roc_auc"] <= 1.0  # the promotion gate's key
    assert metrics["roc_auc_ci"]["low"] <= metrics["roc_auc"] <= metrics["roc_auc_ci"]["high"]
    segments = json.loads((repo / "metrics/segments.json").read_text())
    assert set(segments) == {"plan", "region", "contract", "tenure_band"}
    card = (repo / "reports/model_card.md").read_text()
    for name in ("roc", "gains", "lift", "profit", "score_distribution", "shap_importance"):
        assert (repo / f"plots/{name}.png").stat().st_size > 0, name
        assert f"](../plots/{name}.png)" in card, name
    assert (repo / "plots/dependence/dependence_1.png").exists()
    # SHAP plots use the sample of evaluate.explain_rows customers; the top-risk table all.
    assert len(pd.read_csv(repo / "plots/dependence/dependence_1.csv")) == EXPLAIN_ROWS
    top = pd.read_csv(repo / "reports/top_risk_customers.csv")
    assert len(top) == 20 and (top["reasons"] != "none").any()
    assert "| 1 | `" in (repo / "reports/top_risk_customers.md").read_text()


def test_bad_params_fail_before_work_and_keep_outputs(repo: Path) -> None:
    prepared = repo / "data/prepared/customers.parquet"
    before = prepared.read_bytes()
    params_before = (repo / "params.yaml").read_text()
    set_param(repo, "synthetic.n_customers", -5)
    result = run(["dvc", "repro"], repo, check=False)
    assert result.returncode != 0
    assert "synthetic.n_customers" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert prepared.read_bytes() == before
    (repo / "params.yaml").write_text(params_before)


def test_imported_input_file_is_a_prepare_dependency(repo: Path, tmp_path: Path) -> None:
    """A file brought into inputs/ with `dvc import-url` re-runs prepare when it
    changes (after `dvc update`); the README's way of tracking data outside the repo."""
    source = tmp_path / "customers.csv"
    source.write_text("id,churn\n1,Yes\n")
    try:
        run(["dvc", "import-url", str(source), "inputs/customers.csv"], repo)
        status = run(["dvc", "status", "prepare"], repo).stdout
        assert "inputs" in status and "modified" in status, status
        run(["dvc", "commit", "-f", "prepare"], repo)  # accept it without running prepare
        source.write_text("id,churn\n1,Yes\n2,No\n")
        run(["dvc", "update", "inputs/customers.csv.dvc"], repo)
        assert "2,No" in (repo / "inputs/customers.csv").read_text()
        assert "inputs" in run(["dvc", "status", "prepare"], repo).stdout
    finally:
        run(["dvc", "remove", "inputs/customers.csv.dvc"], repo, check=False)
        (repo / "inputs/customers.csv").unlink(missing_ok=True)
        run(["git", "checkout", "--", "."], repo)  # dvc.lock and inputs/.gitignore
    assert "up to date" in run(["dvc", "status"], repo).stdout


# The last three tests share one hyper-parameter experiment (``tuned``): it is the change the
# first one checks, the workspace the second diffs against HEAD, and the commit the third reports
# on. One ``dvc exp run`` instead of three runs of train, evaluate, uplift and survival.
LEARNING_RATE = 0.3


@pytest.fixture(scope="module")
def tuned(repo: Path):
    """``dvc exp run -S train.xgboost.learning_rate=0.3``, applied to the workspace, not
    committed; the committed pipeline is restored at the end of the module."""
    result = run(["dvc", "exp", "run", "-S", f"train.xgboost.learning_rate={LEARNING_RATE}"], repo)
    yield result
    run(["git", "checkout", "--", "."], repo)
    run(["dvc", "checkout", "-f"], repo)


def test_hyperparameter_change_reruns_only_the_stages_after_train(tuned) -> None:
    """Train and what reads the trained model (evaluate; uplift and survival compare with its
    scores); prepare, split, featurize and the baselines are not re-run."""
    ran = {
        line.split("'")[1] for line in tuned.stdout.splitlines() if line.startswith("Running stage")
    }
    assert ran == {"train", "evaluate", "uplift", "survival"}, tuned.stdout


def test_metrics_diff_between_commits(repo: Path, tuned) -> None:
    diff = json.loads(run(["dvc", "metrics", "diff", "HEAD", "--json"], repo).stdout)
    assert "roc_auc" in diff["metrics/evaluate.json"]
    params = json.loads(run(["dvc", "params", "diff", "HEAD", "--json"], repo).stdout)
    assert params["params.yaml"]["train.xgboost.learning_rate"]["new"] == LEARNING_RATE
    plots = run(["dvc", "plots", "diff", "HEAD", "--json"], repo)
    assert "plots/roc.csv" in plots.stdout


def test_report_between_two_commits(repo: Path, tuned) -> None:
    """The report's numbers equal the metrics files of both commits, with the right signs."""
    from churnlab.evaluation.pr_report import flatten, fmt, fmt_delta

    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "faster learning rate"], repo)
    try:
        run(["churnlab", "report", "--base", "HEAD~1", "--output", "out/report.md"], repo)
        text = (repo / "out/report.md").read_text()
        assert "| `train.xgboost.learning_rate` | `0.05` | `0.3` |" in text
        diff = json.loads(run(["dvc", "metrics", "diff", "HEAD~1", "HEAD", "--json"], repo).stdout)
        new = flatten(json.loads((repo / "metrics/evaluate.json").read_text()))
        changed = 0
        for key, entry in diff["metrics/evaluate.json"].items():
            if not isinstance(entry.get("new"), (int, float)):
                continue
            old_value, new_value = entry["old"], entry["new"]
            assert new_value == new[key]
            row = f"| `{key}` | {fmt(old_value)} | {fmt(new_value)} | "
            row += f"{fmt_delta(old_value, new_value)} |"
            assert row in text, row
            changed += old_value != new_value
        assert changed > 0  # a learning-rate change moves the metrics
    finally:
        run(["git", "reset", "-q", "--hard", "HEAD~1"], repo)
        run(["dvc", "checkout", "-f"], repo)
