"""The promotion gate and the model registry (GTO git tags).

``churnlab register`` reads the evaluation metrics and promotes the model only when every
criterion in ``params.yaml: registry`` holds: test ROC-AUC at least ``min_roc_auc`` and at
least the logistic-regression baseline (``baselines.logreg.roc_auc`` in the metrics file) plus
``baseline_margin``. A model that passes is registered as a new GTO version of the commit at
HEAD (a git tag; the tag is where the git revision of a model is recorded) and assigned to
``registry.stage``; one that fails gets no tag at all.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from churnlab import io
from churnlab.config.params import Params, RegistryParams
from churnlab.errors import UserError

log = logging.getLogger(__name__)

BASELINE_KEY = ("baselines", "logreg", "roc_auc")
GATE_FAILED_EXIT = 1


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


def register(params: Params, metrics_path: Path, name: str, version: str | None) -> int:
    metrics = io.read_json(metrics_path)
    if not isinstance(metrics, dict):
        raise UserError(f"{metrics_path}: expected a JSON object of metrics")
    failures = check_gate(metrics, params.registry, metrics_path)
    if failures:
        for line in failures:
            log.error("promotion gate failed: %s", line)
        print(f"not promoted: {'; '.join(failures)}")
        return GATE_FAILED_EXIT
    from gto import api

    repo = Path(".").resolve()
    message = f"roc_auc {metrics['roc_auc']:.4f}, gate {params.registry.model_dump()}"
    try:
        tag = api.register(repo, name, "HEAD", version=version, message=message)
        assigned = api.assign(
            repo, name, params.registry.stage, version=tag.version, message=message
        )
    except Exception as exc:  # gto raises its own error types for user mistakes
        raise UserError(f"gto could not register {name}: {exc}") from None
    print(f"promoted {name} {tag.version} to {params.registry.stage} ({assigned.tag})")
    return 0
