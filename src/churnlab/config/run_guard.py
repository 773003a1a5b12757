"""Guarding a DVC stage against ``params.yaml`` changing under it (two ``dvc exp run`` at once).

``dvc exp run -S key=value`` writes ``params.yaml`` before it takes DVC's repository lock, so a
second experiment started while one runs rewrites the file under the first and then fails on
the lock: the first run's later stages would read the second's params, and DVC would record
in ``dvc.lock`` values the outputs were not made with. A stage that DVC runs (DVC sets
``DVC_STAGE`` for every stage command) therefore checks, through :func:`guard`:

1. before any work, that ``params.yaml`` still holds the values ``dvc.lock`` records for the
   stages upstream of it. DVC writes a stage's entry when the stage ends, so a difference
   means the file changed after they ran: during this run (or the upstream stages were
   skipped, as with ``dvc repro --single-item``) — either way this stage's inputs were not
   made with these params;
2. after the work, that ``params.yaml`` still validates to the params the stage read at its
   start, so that what DVC records next is what the stage used.

Either failure is a :class:`~churnlab.errors.UserError` (exit 2), so DVC records nothing for
the stage. What no stage can see: a rewrite that lands before the run's first stage reads
``params.yaml`` (DVC passes stages nothing of the ``-S`` values): that run then uses the
second run's params throughout, and ``dvc.lock`` records exactly those, so nothing
inconsistent is recorded, but the experiment is not the one asked for (tried on DVC 3 with a
toy pipeline: DVC then failed that run itself at its end). The fix is to run experiments one
at a time in the workspace, or to queue them or give each a copy of the repository
(``dvc exp run --queue`` / ``--temp``, ``docs/sweeps.md``).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML, YAMLError

from churnlab.config.params import Params, load_params
from churnlab.errors import UserError

ADVICE = (
    "was another `dvc exp run` started meanwhile? Run experiments one at a time in the "
    "workspace, or with `dvc exp run --queue` / `--temp` (docs/sweeps.md); then run again"
)


def _yaml(path: Path) -> dict:
    """A YAML file read as DVC reads it (YAML 1.2: ``Yes`` is a string, as DVC writes it to
    ``dvc.lock`` unquoted; YAML 1.1 would read it back as ``True``)."""
    try:
        return YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    except (OSError, ValueError, YAMLError):
        return {}


def _paths(items: list | None) -> list[str]:
    out = []
    for item in items or []:
        out.extend(item if isinstance(item, dict) else [item])
    return [str(p).rstrip("/") for p in out]


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def upstream(stages: dict, name: str) -> list[str]:
    """The stages of a ``dvc.yaml`` whose outputs ``name`` depends on, directly or not."""
    outs = {
        stage: _paths(spec.get("outs")) + _paths(spec.get("metrics")) + _paths(spec.get("plots"))
        for stage, spec in stages.items()
    }
    found: list[str] = []
    todo = [name]
    while todo:
        deps = _paths(stages.get(todo.pop(), {}).get("deps"))
        for stage, produced in outs.items():
            new = stage not in found and stage != name
            if new and any(_overlaps(d, o) for d in deps for o in produced):
                found.append(stage)
                todo.append(stage)
    return sorted(found)


def _lookup(raw: dict, key: str) -> Any:
    value: Any = raw
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return KeyError
        value = value[part]
    return value


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def changed_since_upstream(root: Path, stage: str, params_file: str) -> list[str]:
    """``"<key>: <stage> ran with X, params.yaml now says Y"`` for every param an upstream stage
    recorded in ``dvc.lock`` that ``params_file`` no longer holds."""
    stages = _yaml(root / "dvc.yaml").get("stages") or {}
    if stage not in stages:
        return []  # e.g. a study of studies/dvc.yaml: only the end-of-stage check
    lock = _yaml(root / "dvc.lock").get("stages") or {}
    current = _yaml(root / params_file)
    found = []
    for name in upstream(stages, stage):
        recorded = ((lock.get(name) or {}).get("params") or {}).get(params_file) or {}
        for key, value in recorded.items():
            now = _lookup(current, key)
            if now is not KeyError and not _same(value, now):
                found.append(f"{key}: {name} ran with {value!r}, {params_file} now says {now!r}")
    return found


@contextlib.contextmanager
def guard(params_path: str | Path, params: Params) -> Iterator[None]:
    """Run a stage's work inside this; it does nothing outside DVC (no ``DVC_STAGE``)."""
    stage = os.environ.get("DVC_STAGE")
    if not stage:
        yield
        return
    # DVC runs a stage of dvc.yaml in the folder of that file: the workspace, or the copy of
    # `--temp` / `--queue` (whose DVC_ROOT names the workspace, not the copy).
    root = Path.cwd()
    params_file = os.path.relpath(Path(params_path).resolve(), root.resolve())
    changed = changed_since_upstream(root, stage, params_file)
    if changed:
        raise UserError(
            f"stage {stage}: {params_file} changed after the stages before it ran "
            f"({'; '.join(changed[:3])}): {ADVICE}"
        )
    yield
    if load_params(params_path).model_dump() != params.model_dump():
        raise UserError(
            f"stage {stage}: {params_file} changed while the stage ran, so its outputs "
            f"were made with other params than DVC would record: {ADVICE}"
        )
