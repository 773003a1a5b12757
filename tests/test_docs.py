"""The documentation: the MkDocs site builds in strict mode (and a broken link does fail it),
the README stays a front page whose test command is CI's, the params reference lists every
params field, and the figure placeholders fail loudly on a missing file or key."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from churnlab.config.params import Params

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# The figures, params and code the hooks read, besides docs/ and mkdocs.yml.
HOOK_INPUTS = ("metrics", "benchmarks", "src", "studies", "params.yaml", "dvc.yaml", "README.md")


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess:
    # Not --quiet: MkDocs counts the warnings that strict mode turns into a failure only when
    # they are logged.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "-f",
        str(config),
        "-d",
        str(site),
    ]
    return subprocess.run(
        command, cwd=config.parent, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    built = mkdocs_build(ROOT / "mkdocs.yml", site)
    assert built.returncode == 0, built.stderr
    return site


@pytest.fixture(scope="module")
def hooks():
    sys.path.insert(0, str(DOCS))
    try:
        yield importlib.import_module("hooks")
    finally:
        sys.path.remove(str(DOCS))


def test_site_builds_with_every_page_and_figures_filled(site: Path) -> None:
    nav_pages = re.findall(r":\s*(\S+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.M)
    assert sorted(nav_pages) == sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    for page in nav_pages:
        folder = site if page == "index.md" else site / page.removesuffix(".md")
        html = (folder / "index.html").read_text(encoding="utf-8")
        # Only placeholders escaped on purpose (\{{, shown as examples) may stay in a page.
        escaped = (DOCS / page).read_text(encoding="utf-8").count("\\{{")
        assert html.count("{{") == escaped, f"{page}: a placeholder was left unfilled"
    index = (site / "index.html").read_text(encoding="utf-8")
    evaluate = json.loads((ROOT / "metrics/evaluate.json").read_text())
    assert f"{evaluate['roc_auc']:.4f}" in index  # the figure comes from the committed JSON
    assert "# 2. install and run the tests" in index  # the README's quick start, included


def copy_of_docs(tmp_path: Path) -> Path:
    """A throw-away copy of the docs with the repository files the hooks read linked in."""
    shutil.copytree(DOCS, tmp_path / "docs", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    for name in HOOK_INPUTS:
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path / "mkdocs.yml"


BREAKAGES = {
    "index.md": "\n[a link](no-such-page.md)\n[an anchor](pipeline.md#no-such-heading)\n",
    "orphan.md": "# A page missing from the nav\n",
}


def test_broken_links_anchors_and_nav_fail_the_build(tmp_path) -> None:
    config = copy_of_docs(tmp_path)
    for page, breakage in BREAKAGES.items():
        target = tmp_path / "docs" / page
        target.write_text((target.read_text() if target.exists() else "") + breakage)
    built = mkdocs_build(config, tmp_path / "site")
    assert built.returncode != 0
    for message in ("'no-such-page.md'", "'#no-such-heading'", "orphan.md"):
        assert message in built.stderr


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_is_a_short_front_page() -> None:
    assert len(readme().splitlines()) <= 250


def test_readme_test_command_is_what_ci_runs() -> None:
    quick_start = readme().split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```")[0]
    lines = quick_start.splitlines()
    readme_command = lines[lines.index("# 2. install and run the tests") + 1]
    ci = (ROOT / ".ci/run").read_text().splitlines()
    ci_commands = [line for line in ci if line.strip() and not line.lstrip().startswith("#")]
    assert ci_commands[-1] == readme_command


def test_readme_stage_table_matches_dvc_yaml() -> None:
    section = readme().split("## The stages", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `(\w+)` \|", section, re.M)
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    assert listed == list(stages)


def test_params_reference_lists_every_params_field(site: Path, hooks) -> None:
    import params_reference

    keys = params_reference.params_fields(Params)
    assert "train.xgboost.max_depth" in keys and "data.columns.<column>.type" in keys
    html = (site / "params" / "index.html").read_text(encoding="utf-8")
    text = html.replace("&lt;", "<").replace("&gt;", ">")
    missing = [key for key in keys if f"<code>{key}</code>" not in text]
    assert not missing


def test_metric_placeholder_fills_and_fails_on_a_missing_key(hooks, tmp_path) -> None:
    (tmp_path / "m.json").write_text('{"a": {"b": 0.123456, "share_at_least_0.85": 0.5}}')
    assert hooks.render('{{ metric("m.json", "a.b", 3) }}', tmp_path) == "0.123"
    assert (
        hooks.render('{{ metric("m.json", "a.share_at_least_0.85", fmt=".0%") }}', tmp_path)
        == "50%"
    )
    assert (
        hooks.render('\\{{ metric("m.json", "a.b") }}', tmp_path) == '{{ metric("m.json", "a.b") }}'
    )
    with pytest.raises(hooks.DocsError, match=r"m.json has no key 'a.c'.*a has: b"):
        hooks.render('{{ metric("m.json", "a.c") }}', tmp_path)
    with pytest.raises(hooks.DocsError, match=r"missing\.json does not exist"):
        hooks.render('{{ metric("missing.json", "a") }}', tmp_path)
    with pytest.raises(hooks.DocsError, match="unknown placeholder"):
        hooks.render('{{ metrics("m.json", "a.b") }}', tmp_path)


def test_table_placeholder_makes_one_row_per_item(hooks, tmp_path) -> None:
    (tmp_path / "t.json").write_text(
        '{"m": {"x": {"auc": 0.91, "rank": 2}, "y": {"auc": 0.8, "rank": 1}}}'
    )
    columns = '[["model", "{_key}"], ["AUC", "{auc:.2f}"]]'
    table = hooks.render(
        f'{{{{ table("t.json", "m", columns={columns}, sort="rank") }}}}', tmp_path
    )
    assert table.splitlines() == [
        "| model | AUC |",
        "| --- | --- |",
        "| y | 0.80 |",
        "| x | 0.91 |",
    ]


def test_unknown_package_names_are_reported(hooks) -> None:
    text = "`churnlab.serving.scorer` and src/churnlab/modeling/registry.py, `churnlab.models.X`"
    assert hooks.check_references(text, ROOT) == ["churnlab.models.X"]


def test_a_params_field_without_description_stops_the_reference(hooks) -> None:
    import params_reference
    from mkdocs.exceptions import PluginError

    from churnlab.config.base import Strict

    class Documented(Strict):
        """A section."""

        depth: int = 3
        """How deep."""

    class Undocumented(Strict):
        depth: int = 3

    assert "| `x.depth` | int | `3` | How deep. |" in params_reference._section(
        "x", Documented, {}, 2
    )
    with pytest.raises(PluginError, match=r"x\.depth has no description"):
        params_reference._section("x", Undocumented, {}, 2)
