"""Checks that the package names a documentation page mentions exist, so that a module moved
or renamed in ``src/churnlab`` cannot leave a page pointing at nothing. Used by ``hooks.py``.

A dotted name in a code span (``churnlab.serving.scorer``, ``churnlab.package.TRUSTED_TYPES``,
``churnlab.evaluation.explain.reasons_frame(...)``) must be a module, or a module and one of its
top-level names; a path ``src/churnlab/...`` anywhere must exist. Read from the source files
with ``ast``: nothing is imported.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

# `churnlab.a.b` / `churnlab.a.b(...)` in code spans, and src/churnlab/... paths anywhere.
MODULE_REF = re.compile(
    r"`(churnlab(?:\.[A-Za-z_]\w*)+)(?:\([^`]*\))?`|(src/churnlab(?:/\w+)*(?:\.py)?)"
)


def check_references(markdown: str, root: Path) -> list[str]:
    """Package names and paths a page mentions that do not exist in ``src/churnlab``."""
    bad = []
    for match in MODULE_REF.finditer(markdown):
        dotted, path = match.groups()
        if path and not (root / path).exists():
            bad.append(path)
        elif dotted and not _resolves(dotted, root):
            bad.append(dotted)
    return bad


def _resolves(dotted: str, root: Path) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        base = root / "src" / Path(*parts[:cut])
        module = base.with_suffix(".py")
        if not module.is_file():
            module = base / "__init__.py"
        if module.is_file():
            rest = parts[cut:]
            return not rest or rest[0] in _top_level_names(module)
    return False


def _top_level_names(module: Path) -> set[str]:
    names = set()
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names
