"""Each figure is declared once in the DVC files, so `dvc plots show` draws one panel per figure.

A file listed both as a stage ``plots:`` output and in the top-level ``plots:`` section is
rendered twice, the stage copy against a row-number axis (issue 14). These checks read
dvc.yaml and studies/dvc.yaml only; the panel count itself was checked with
``dvc plots show --json`` (docs/sweeps.md).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path, PurePosixPath

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DVC_FILES = ("dvc.yaml", "studies/dvc.yaml")
DATA_SUFFIXES = {".csv", ".tsv", ".json", ".yaml"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg"}


def load(name: str) -> dict:
    return yaml.safe_load((REPO / name).read_text())


def entries(items: list | None) -> dict[str, dict]:
    """A stage's ``outs``/``metrics``/``plots`` list as ``{path: flags}``."""
    out = {}
    for item in items or []:
        path, flags = next(iter(item.items())) if isinstance(item, dict) else (item, None)
        out[str(path)] = flags or {}
    return out


def stages(doc: dict, base: str) -> dict[str, dict]:
    """Stage name → body; foreach/matrix stages give their ``do`` body; paths from the repo root."""
    out = {}
    for name, stage in doc.get("stages", {}).items():
        body = stage.get("do", stage)
        wdir = PurePosixPath(base) / body.get("wdir", ".")
        fix = {
            key: {_norm(wdir / p): f for p, f in entries(body.get(key)).items()}
            for key in ("outs", "metrics", "plots")
        }
        out[name] = fix
    return out


def _norm(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def top_level(doc: dict) -> dict[str, list[tuple[str, dict]]]:
    """Top-level plots: file → [(plot id, the definition's properties)] for every file it draws."""
    out: dict[str, list[tuple[str, dict]]] = {}
    for item in doc.get("plots", []):
        plot_id, props = next(iter(item.items())) if isinstance(item, dict) else (item, None)
        props = props or {}
        y = props.get("y")
        files = list(y) if isinstance(y, dict) else [plot_id]
        for name in files:
            out.setdefault(name, []).append((plot_id, props))
    return out


@pytest.fixture(scope="module")
def declared() -> dict:
    """Every stage plot and every file a top-level definition draws, with where it comes from."""
    stage_plots, top, outputs = {}, {}, set()
    for name in DVC_FILES:
        doc = load(name)
        base = str(PurePosixPath(name).parent)
        for stage_name, kinds in stages(doc, base).items():
            for path, flags in kinds["plots"].items():
                stage_plots.setdefault(path, []).append((f"{name}:{stage_name}", flags))
            for kind in kinds.values():
                outputs |= set(kind)
        for path, defs in top_level(doc).items():
            top.setdefault(_norm(PurePosixPath(base) / path), []).extend(defs)
    return {"stage": stage_plots, "top": top, "outputs": outputs}


def rendered(declared: dict) -> set[str]:
    return set(declared["stage"]) | set(declared["top"])


def test_no_file_is_declared_twice(declared):
    counts: Counter[str] = Counter()
    for source in ("stage", "top"):
        counts.update({path: len(defs) for path, defs in declared[source].items()})
    twice = sorted(p for p, n in counts.items() if n > 1)
    assert twice == [], f"declared more than once (rendered once per declaration): {twice}"


def test_no_stage_plot_is_a_directory_of_mixed_files(declared):
    # a stage plot folder renders every file in it: its CSVs on a row-number axis
    for path in declared["stage"]:
        assert PurePosixPath(path).suffix in IMAGE_SUFFIXES | DATA_SUFFIXES, path


@pytest.mark.parametrize("source", ["stage", "top"])
def test_every_data_plot_has_an_x_and_a_y(declared, source):
    data_plots = {
        path: defs
        for path, defs in declared[source].items()
        if PurePosixPath(path).suffix in DATA_SUFFIXES
    }
    for path, defs in data_plots.items():
        for where, props in defs:
            assert props.get("x") and props.get("y"), f"{path} ({where}): no x or y"
    if source == "top":
        assert "plots/confusion.csv" in data_plots and "plots/roc.csv" in data_plots


def test_every_rendered_file_is_a_pipeline_output(declared):
    # outputs keep the files tracked (cache: false: in git, so `dvc plots diff <rev>` reads them)
    outputs = declared["outputs"]
    for path in declared["top"]:
        assert any(path == o or path.startswith(f"{o}/") for o in outputs), path
    for path, defs in declared["stage"].items():
        assert all(flags.get("cache") is False for _, flags in defs), path


def test_an_image_is_rendered_only_without_its_data_twin(declared):
    files = rendered(declared)
    for path in files:
        p = PurePosixPath(path)
        if p.suffix in IMAGE_SUFFIXES:
            twins = {str(p.with_suffix(s)) for s in DATA_SUFFIXES} & files
            assert not twins, f"{path} and {twins} are the same figure twice"


def test_every_dependence_figure_of_the_committed_params_is_shown(declared):
    wanted = load("params.yaml")["evaluate"]["dependence_features"]
    shown = sorted(p for p in rendered(declared) if p.startswith("plots/dependence/"))
    assert shown == [f"plots/dependence/dependence_{i}.png" for i in range(1, wanted + 1)]
