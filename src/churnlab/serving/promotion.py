"""The promotion gate and the model registry (GTO git tags, model files on the DVC remote).

``churnlab register`` promotes the model of the commit at HEAD, and only a model whose every
record agrees with that commit:

1. the git tree has no uncommitted change to a tracked file, and ``dvc status dvc.yaml``
   reports no stale stage (so the models in the work tree are the ones HEAD's dvc.lock names);
2. the gate reads the metrics file *of that commit* (``git show <sha>:metrics/evaluate.json``),
   never the work tree, and holds only if test ROC-AUC is at least ``registry.min_roc_auc``
   and at least the logistic-regression baseline (``baselines.logreg.roc_auc``) plus
   ``registry.baseline_margin``;
3. ``models/pipeline.skops``, ``models/metadata.json`` and the uplift and survival models are
   pushed to the default DVC remote
   (``.dvc/config``; docs/registry.md), so ``dvc artifacts get``/``dvc pull`` of the version
   works from any clone;
4. only then is the commit tagged as a new GTO version and assigned to ``registry.stage``.

A refusal (1) or a failed push (3) is a user error (exit 2); a model that fails the gate (2)
exits 1. Either way no tag is made.
"""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path
from typing import Any

from churnlab.config import paths
from churnlab.config.params import Params, RegistryParams
from churnlab.errors import UserError

log = logging.getLogger(__name__)

BASELINE_KEY = ("baselines", "logreg", "roc_auc")
GATE_FAILED_EXIT = 1
MODEL_FILES = (paths.PIPELINE, paths.MODEL_META, paths.UPLIFT_MODEL, paths.SURVIVAL_MODEL)
PIPELINE_FILE = "dvc.yaml"
SHOWN_CHANGES = 10  # uncommitted paths named in the refusal


def _lookup(metrics: dict[str, Any], keys: tuple[str, ...], source: Path) -> float:
    node: Any = metrics
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            raise UserError(
                f"{source}: {'.'.join(keys)} is missing; the promotion gate needs it "
                "(run the evaluate stage that writes the baselines)"
            )
        node = node[key]
    if not isinstance(node, (int, float)) or isinstance(node, bool):
        raise UserError(f"{source}: {'.'.join(keys)} must be a number, got {node!r}")
    return float(node)


def check_gate(metrics: dict[str, Any], p: RegistryParams, source: Path) -> list[str]:
    """The criteria that fail (empty: the model may be promoted)."""
    roc_auc = _lookup(metrics, ("roc_auc",), source)
    baseline = _lookup(metrics, BASELINE_KEY, source)
    failures = []
    if roc_auc < p.min_roc_auc:
        failures.append(f"roc_auc {roc_auc:.4f} < registry.min_roc_auc {p.min_roc_auc}")
    if roc_auc < baseline + p.baseline_margin:
        failures.append(
            f"roc_auc {roc_auc:.4f} < {'.'.join(BASELINE_KEY)} {baseline:.4f} + "
            f"registry.baseline_margin {p.baseline_margin}"
        )
    return failures


def _git(root: Path | None, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)


def repo_root() -> Path:
    done = _git(None, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise UserError("churnlab register must run inside the project's git repository")
    return Path(done.stdout.strip())


def uncommitted_changes(root: Path) -> list[str]:
    """Tracked files that differ from HEAD (``git status`` lines); untracked files do not count."""
    done = _git(root, "status", "--porcelain", "--untracked-files=no")
    if done.returncode != 0:
        raise UserError(f"git status failed: {done.stderr.strip()}")
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def head_commit(root: Path) -> str:
    done = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if done.returncode != 0:
        raise UserError("the repository has no commit to register yet")
    return done.stdout.strip()


def stale_stages(root: Path) -> list[str]:
    """The stages ``dvc status dvc.yaml`` reports as changed (empty: the pipeline is up to date)."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with Repo(str(root)) as repo:
            return sorted(repo.status(targets=[str(root / PIPELINE_FILE)]))
    except DvcException as exc:
        raise UserError(f"dvc status {PIPELINE_FILE} failed: {exc}") from None


def committed_metrics(root: Path, sha: str, metrics_path: Path) -> tuple[dict, Path]:
    """The metrics file as committed at ``sha`` (never the work tree) and its name in messages."""
    absolute = metrics_path if metrics_path.is_absolute() else Path.cwd() / metrics_path
    try:
        rel = absolute.resolve().relative_to(root.resolve())
    except ValueError:
        raise UserError(f"{metrics_path}: the metrics file must be inside {root}") from None
    done = _git(root, "show", f"{sha}:{rel.as_posix()}")
    if done.returncode != 0:
        raise UserError(
            f"{rel} is not in commit {sha[:7]}: register reads the metrics of the commit it "
            "tags, so commit the evaluate outputs (dvc repro, then git commit) first"
        )
    source = Path(f"{rel.as_posix()}@{sha[:7]}")
    try:
        metrics = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise UserError(f"{source}: not valid JSON ({exc})") from None
    if not isinstance(metrics, dict):
        raise UserError(f"{source}: expected a JSON object of metrics")
    return metrics, source


def check_integrity(root: Path) -> str:
    """HEAD's sha when the tree is clean and the pipeline up to date; else the refusal."""
    changes = uncommitted_changes(root)
    if changes:
        shown = "; ".join(changes[:SHOWN_CHANGES]) + ("; …" if len(changes) > SHOWN_CHANGES else "")
        raise UserError(
            f"not registered: the git tree has uncommitted changes ({shown}). Commit them "
            "(after dvc repro) so that the tag points at the code, params and metrics evaluated"
        )
    sha = head_commit(root)
    stale = stale_stages(root)
    if stale:
        raise UserError(
            f"not registered: the pipeline is not up to date (dvc status {PIPELINE_FILE}: "
            f"{', '.join(stale)} changed). Run dvc repro and commit dvc.lock and metrics/"
        )
    return sha


def model_files(root: Path) -> list[Path]:
    """The model files to push: the uplift and survival models exist once their stages ran
    (holding a "skipped" record when the stage did not apply)."""
    return [p for p in MODEL_FILES if (root / p).exists()]


def push_model(root: Path) -> str:
    """Push the model files to the default DVC remote; its name."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    targets = [str(root / p) for p in model_files(root)]
    with Repo(str(root)) as repo:
        remote = repo.config["core"].get("remote")
        if not remote:
            raise UserError(
                "not registered: no default DVC remote is configured, so the model could not "
                "be pushed (dvc remote add -d storage <url>; see docs/registry.md)"
            )
        try:
            repo.push(targets=targets)
        except DvcException as exc:
            raise UserError(
                f"not registered: dvc push to remote {remote!r} failed: {exc}"
            ) from None
    return remote


def register(params: Params, metrics_path: Path, name: str, version: str | None) -> int:
    root = repo_root()
    sha = check_integrity(root)
    metrics, source = committed_metrics(root, sha, metrics_path)
    failures = check_gate(metrics, params.registry, source)
    if failures:
        for line in failures:
            log.error("promotion gate failed: %s", line)
        print(f"not promoted: {'; '.join(failures)}")
        return GATE_FAILED_EXIT
    remote = push_model(root)
    print(f"pushed {', '.join(map(str, model_files(root)))} to DVC remote {remote!r}")
    from gto import api

    message = f"roc_auc {metrics['roc_auc']:.4f}, gate {params.registry.model_dump()}"
    try:
        tag = api.register(root, name, sha, version=version, message=message)
        assigned = api.assign(
            root, name, params.registry.stage, version=tag.version, message=message
        )
    except Exception as exc:  # gto raises its own error types for user mistakes
        raise UserError(f"gto could not register {name}: {exc}") from None
    print(f"promoted {name} {tag.version} to {params.registry.stage} ({assigned.tag})")
    return 0
