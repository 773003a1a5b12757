"""The package's shape: DVC deps cover every module a stage imports, stages stay independent,
library code never imports a stage, and there are no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from import_graph import SRC, closure, direct_imports, files, module_file, reachable

ROOT = SRC.parent
STAGE_MODULES = sorted(
    p.stem for p in (SRC / "churnlab/stages").glob("*.py") if p.stem != "__init__"
)


def _inert(path: str) -> bool:
    """A package ``__init__`` that imports and defines nothing cannot change a stage's output."""
    if not path.endswith("__init__.py"):
        return False
    body = ast.parse((ROOT / path).read_text()).body
    return not any(
        isinstance(n, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef) for n in body
    )


def _stages(dvc_file: Path) -> dict[str, dict]:
    stages = yaml.safe_load(dvc_file.read_text())["stages"]
    return {name: spec.get("do", spec) for name, spec in stages.items()}


def _stage_module(cmd: str) -> str:
    # "churnlab ablation ${item}" -> ablation; "churnlab ablation-report" -> ablation
    command = cmd.split()[1]
    return {"ablation-report": "ablation", "cv": "cv"}.get(command, command)


DVC_STAGES = [
    (dvc_file, name, spec)
    for dvc_file in (ROOT / "dvc.yaml", ROOT / "studies/dvc.yaml")
    for name, spec in _stages(dvc_file).items()
]


@pytest.mark.parametrize(
    ("dvc_file", "name", "spec"), DVC_STAGES, ids=[f"{f.parent.name}:{n}" for f, n, _ in DVC_STAGES]
)
def test_stage_deps_cover_every_module_the_stage_imports(dvc_file, name, spec):
    module = _stage_module(spec["cmd"])
    assert module in STAGE_MODULES, f"{name}: no stage module for {spec['cmd']!r}"
    deps = [d for d in spec["deps"] if d.startswith("src/")]
    needed = {f for f in files(closure(f"churnlab.stages.{module}")) if not _inert(f)}
    uncovered = sorted(f for f in needed if not any(f == d or f.startswith(d + "/") for d in deps))
    assert not uncovered, f"{dvc_file.name}:{name} does not list {uncovered} in its deps"
    missing = [d for d in deps if not (ROOT / d).exists()]
    assert not missing, f"{dvc_file.name}:{name} lists deps that do not exist: {missing}"


def _all_modules() -> list[str]:
    out = []
    for path in (SRC / "churnlab").rglob("*.py"):
        rel = path.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append(".".join(parts))
    return sorted(out)


@pytest.mark.parametrize("module", _all_modules())
def test_no_stage_imports_a_stage_and_no_library_module_imports_one(module):
    stages = {m for m in direct_imports(module) if m.startswith("churnlab.stages.")}
    if module.startswith("churnlab.cli"):
        return  # the command line dispatches to the stages
    assert not stages, f"{module} imports the stage(s) {sorted(stages)}"


def test_no_import_cycles():
    for module in _all_modules():
        # everything reachable from the module's own imports, walked once per module
        if module in reachable(direct_imports(module, False), False):
            other = next(o for o in direct_imports(module, False) if module in closure(o, False))
            pytest.fail(f"import cycle: {module} -> {other} -> … -> {module}")


def test_the_graph_reader_sees_function_level_imports(tmp_path):
    """The walker counts imports inside functions (a stage's lazy imports are deps too)."""
    assert "churnlab.data.raw_tables" in direct_imports("churnlab.serving.monitor")
    assert module_file("churnlab.config.params") is not None
