"""Conventions of the suite: slow tests carry the ``e2e`` marker; no fixture is named ``test_*``.

``pytest -m "not e2e"`` is the quick check (under 2 minutes here): tests that take more than
about a second (real-data runs, servers, a browser, the docs build, several model fits) carry
``e2e`` by hand. A test that runs the ``dvc`` command (``dvc repro``,
``dvc exp run``, ... in a temporary copy of the repository) must be marked ``e2e``, on itself or
on its module, whether it runs ``dvc`` directly or through a helper or fixture defined in its
module or in conftest.py. A fixture named ``test_*`` reads like a test, so none is.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def _mentions_e2e(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "e2e" for n in ast.walk(node))


def _is_fixture(function: ast.FunctionDef) -> bool:
    return any(
        isinstance(n, (ast.Name, ast.Attribute))
        and getattr(n, "attr", getattr(n, "id", None)) == "fixture"
        for d in function.decorator_list
        for n in ast.walk(d)
    )


def _calls_dvc(function: ast.FunctionDef) -> bool:
    """A command line whose program is ``dvc``: a list or tuple literal ``["dvc", ...]``."""
    return any(
        isinstance(node, (ast.List, ast.Tuple))
        and node.elts
        and isinstance(node.elts[0], ast.Constant)
        and node.elts[0].value == "dvc"
        for node in ast.walk(function)
    )


def _uses(function: ast.FunctionDef) -> set[str]:
    """Names the function calls and the fixtures it asks for."""
    called = {
        n.func.id
        for n in ast.walk(function)
        if isinstance(n, ast.Call)
        if isinstance(n.func, ast.Name)
    }
    return called | {a.arg for a in function.args.args}


def _running_dvc(functions: dict[str, ast.FunctionDef]) -> set[str]:
    """The functions that run ``dvc`` themselves or through another of ``functions``."""
    running = {name for name, f in functions.items() if _calls_dvc(f)}
    while True:
        more = {name for name, f in functions.items() if _uses(f) & running} - running
        if not more:
            return running
        running |= more


def _modules() -> dict[str, ast.Module]:
    return {p.name: ast.parse(p.read_text()) for p in sorted(TESTS.glob("test_*.py"))}


def dvc_tests() -> dict[str, bool]:
    """``file::test`` of every test that runs ``dvc`` → whether it is marked ``e2e``."""
    shared = {
        name: f
        for name, f in _functions(ast.parse((TESTS / "conftest.py").read_text())).items()
        if _is_fixture(f)
    }
    found = {}
    for file, tree in _modules().items():
        functions = {**shared, **_functions(tree)}
        module_marked = any(
            isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in n.targets)
            and _mentions_e2e(n.value)
            for n in tree.body
        )
        for name in _running_dvc(functions) & set(_functions(tree)):
            if name.startswith("test_"):
                marked = any(_mentions_e2e(d) for d in functions[name].decorator_list)
                found[f"{file}::{name}"] = module_marked or marked
    return found


def test_every_test_that_runs_dvc_is_marked_e2e():
    found = dvc_tests()
    # The detector sees the known pipeline tests (direct calls and calls through a fixture).
    assert "test_ablation.py::test_ablation_pipeline_runs_outside_the_default_repro" in found
    assert "test_e2e.py::test_evaluation_report_outputs" in found
    unmarked = sorted(name for name, marked in found.items() if not marked)
    assert not unmarked, (
        f"run dvc but are not marked e2e (pytest -m 'not e2e' runs them): {unmarked}"
    )


def test_no_fixture_is_named_like_a_test():
    named = [
        f"{file}::{f.name}"
        for file, tree in {
            **_modules(),
            "conftest.py": ast.parse((TESTS / "conftest.py").read_text()),
        }.items()
        for f in _functions(tree).values()
        if _is_fixture(f) and f.name.startswith("test_")
    ]
    assert not named, f"fixtures named like tests (pytest would also collect them): {named}"
