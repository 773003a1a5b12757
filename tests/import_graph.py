"""The churnlab modules a module imports, directly or through others (imports inside functions
included), read with ``ast`` without importing anything. Used by the DVC deps test."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def module_file(name: str) -> Path | None:
    base = SRC / name.replace(".", "/")
    if base.with_suffix(".py").exists():
        return base.with_suffix(".py")
    if (base / "__init__.py").exists():
        return base / "__init__.py"
    return None


# Imports made by discovery rather than by an import statement: the model registry imports
# every module of the zoo package (churnlab.modeling.registry.discover).
DISCOVERED = {"churnlab.modeling.registry": "churnlab.modeling.zoo"}


def _discovered(name: str) -> set[str]:
    if name not in DISCOVERED:
        return set()
    package = DISCOVERED[name]
    folder = SRC / package.replace(".", "/")
    return {f"{package}.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__"}


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts))]


@cache
def direct_imports(name: str, packages: bool = True) -> frozenset[str]:
    """Modules ``name`` imports; with ``packages`` also the ``__init__`` of their packages,
    which Python runs first (left out when looking for cycles: a package's ``__init__``
    re-exporting its modules is not a loop between modules)."""
    path = module_file(name)
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("churnlab")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("churnlab"):
                continue
            # "from churnlab.pkg import module" imports that module (and pkg only as its parent)
            subs = {f"{node.module}.{a.name}" for a in node.names}
            subs = {s for s in subs if module_file(s)}
            found |= subs
            if len(subs) < len(node.names):
                found.add(node.module)
    modules = {m for m in found | _discovered(name) if module_file(m)}
    # importing a.b.c runs a/__init__ and a/b/__init__ too
    if packages:
        modules |= {p for m in modules for p in _parents(m) if module_file(p)}
    return frozenset(modules - {name})


def closure(name: str, packages: bool = True) -> set[str]:
    return reachable([name], packages)


def reachable(names, packages: bool = True) -> set[str]:
    """``names`` and every module they import, directly or through others."""
    seen, todo = set(), list(names)
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(direct_imports(current, packages))
    return seen


def files(names: set[str]) -> set[str]:
    return {module_file(n).relative_to(SRC.parent).as_posix() for n in names}
