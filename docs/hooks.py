"""MkDocs hooks: the documentation's figures and reference tables are read from the repository
when the site is built, never typed by hand, so they cannot drift from what the code wrote.

A page asks for a value with a placeholder such as
``{{ metric("metrics/evaluate.json", "roc_auc", 4) }}``; the hook replaces it at build time:

- ``metric(path, key, digits=None, fmt=None, scale=1)``: one value of a committed JSON file
  (``metrics/*.json``, ``benchmarks/results/*.json``, ``studies/ablation/*.json``);
- ``param(key, digits=None, fmt=None)``: one value of the committed ``params.yaml``;
- ``table(path, key, columns, order=None, sort=None, header=True)``: a Markdown table with one
  row per item of a JSON object or list, each cell a template such as ``"{roc_auc.mean:.4f}"``;
- ``code_block(path, heading)``: the first code block under a heading of a Markdown file;
- ``stages(path)``: the stages of a DVC pipeline file with their params and outputs;
- ``params_reference()``: every key of ``params.yaml`` from the pydantic models in
  ``src/churnlab/config`` (section, key, type, default, description; ``params_reference.py``).

A key is a dotted path (``business.at_budget.churners_caught``; a name that contains dots,
such as ``share_at_least_0.85``, is found as it is); a list item is picked by its position
(``runs.0``, ``seeds.-1``) or by a field (``stages.stage=train``). A missing file or key, an
unknown placeholder or a params field without a description stops the build with a message
naming the page, the file and the key. Write ``\\{{`` to show a placeholder literally.

Before filling a page, the hook checks that every package name and ``src/churnlab`` path it
mentions exists (``references.py``).
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from params_reference import params_reference
from references import check_references

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"(?<!\\)\{\{\s*(?P<name>[A-Za-z_]\w*)\((?P<args>.*?)\)\s*\}\}", re.DOTALL)
CELL = re.compile(r"\{(?P<key>[^{}:]+)(?::(?P<spec>[^{}]*))?\}")


class DocsError(PluginError):
    """A placeholder that cannot be filled: the build stops with this message."""


# --- reading committed JSON -------------------------------------------------------------------


def load_json(path: str, root: Path = ROOT) -> Any:
    file = root / path
    if not file.is_file():
        raise DocsError(f"{path} does not exist (relative to {root})")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DocsError(f"{path} is not valid JSON: {exc}") from None


def key_parts(key: str | list) -> list[str]:
    return [str(part) for part in key] if isinstance(key, list) else key.split(".")


def lookup(data: Any, key: str | list, path: str) -> Any:
    """The value at a dotted key; DocsError naming the file, the key and what is there.

    A key of an object may itself contain dots (``share_at_least_0.85``): at each level the
    longest run of parts that is a key of the object is taken.
    """
    parts, value, seen = key_parts(key), data, []
    while parts:
        take = 1
        if isinstance(value, dict):
            take = next((n for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in value), 1)
        part = ".".join(parts[:take])
        value = _step(value, part, path, ".".join(seen))
        seen.append(part)
        parts = parts[take:]
    return value


def _step(value: Any, part: str, path: str, where: str) -> Any:
    here = f"{path}: {where or '(top level)'}"
    if isinstance(value, dict):
        if part not in value:
            known = ", ".join(sorted(map(str, value))[:20])
            raise DocsError(
                f"{path} has no key {'.'.join([where, part]).lstrip('.')!r}; "
                f"{where or 'the top level'} has: {known}"
            )
        return value[part]
    if isinstance(value, list):
        if "=" in part:
            field, wanted = part.split("=", 1)
            for item in value:
                if isinstance(item, dict) and str(item.get(field)) == wanted:
                    return item
            raise DocsError(f"{here} has no item with {field} = {wanted}")
        if part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            return value[int(part)]
        raise DocsError(f"{here} is a list of {len(value)} items; no item {part!r}")
    raise DocsError(f"{here} is a value ({value!r}), it has no key {part!r}")


def fmt_value(value: Any, digits: int | None = None, fmt: str | None = None, scale=1) -> str:
    if isinstance(value, bool):
        return json.dumps(value)  # true / false, as in the file
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = value * scale
        if fmt is not None:
            return format(value, fmt)
        if digits is not None:
            return f"{value:.{digits}f}"
        return str(value)
    if isinstance(value, (dict, list)):
        kind = type(value).__name__
        raise DocsError(f"expected a single value, found a {kind}: give a deeper key")
    return str(value) if fmt is None else format(value, fmt)


def metric(
    path: str,
    key: str | list,
    digits: int | None = None,
    *,
    fmt: str | None = None,
    scale: float = 1,
    root: Path = ROOT,
) -> str:
    """One value of a committed JSON file, formatted (``digits`` decimals or a ``fmt`` spec)."""
    value = lookup(load_json(path, root), key, path)
    try:
        return fmt_value(value, digits, fmt, scale)
    except DocsError as exc:
        raise DocsError(f"{path}: {key}: {exc}") from None


def fill(template: str, row: Any, path: str) -> str:
    """A table cell: ``{key:spec}`` fields looked up in the row (``{_key}``: the row's name)."""

    def one(match: re.Match) -> str:
        value = lookup(row, match["key"], path)
        return fmt_value(value, fmt=match["spec"]) if match["spec"] else fmt_value(value)

    return CELL.sub(one, template)


def param(
    key: str | list, digits: int | None = None, *, fmt: str | None = None, root: Path = ROOT
) -> str:
    """One value of the committed ``params.yaml``."""
    import yaml

    data = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    return fmt_value(lookup(data, key, "params.yaml"), digits, fmt)


def table(
    path: str,
    key: str | list,
    columns: list,
    order: list | None = None,
    sort: str | None = None,
    header: bool = True,
    root: Path = ROOT,
) -> str:
    """A Markdown table, one row per item of the object or list at ``key``.

    ``columns`` is a list of ``[header, template]``; ``order`` picks and orders the rows of an
    object by name; ``sort`` orders them by a key of each row (ascending); ``header=False``
    gives the rows alone, to continue a table the page started.
    """
    data = load_json(path, root)
    items = lookup(data, key, path) if key else data
    if isinstance(items, dict):
        names = list(items) if order is None else list(order)
        rows = [_row(lookup(items, [name], path), name, path) for name in names]
    else:
        rows = list(items)
    if sort:
        rows.sort(key=lambda row: lookup(row, sort, path))
    lines = [f"| {' | '.join(fill(t, row, path) for _, t in columns)} |" for row in rows]
    if header:
        lines[:0] = [f"| {' | '.join(h for h, _ in columns)} |", "|" + " --- |" * len(columns)]
    return "\n".join(lines)


def _row(item: Any, name: str, path: str) -> dict:
    if not isinstance(item, dict):
        raise DocsError(f"{path}: {name} is not an object, it cannot be a table row")
    return {**item, "_key": name}


def code_block(path: str, heading: str, root: Path = ROOT) -> str:
    """The first fenced code block under a heading of a Markdown file (e.g. the README's quick
    start), so that the same commands are written once."""
    file = root / path
    if not file.is_file():
        raise DocsError(f"{path} does not exist (relative to {root})")
    text = file.read_text(encoding="utf-8")
    found = re.search(
        rf"^#+ {re.escape(heading)}\s*$(.*?)^(```[^\n]*\n.*?^```)\s*$",
        text,
        re.MULTILINE | re.DOTALL,
    )
    if not found or re.search(r"^#+ ", found[1], re.MULTILINE):
        raise DocsError(f"{path} has no code block under a heading {heading!r}")
    return found[2]


# --- the DVC pipelines ----------------------------------------------------------------------


def stages(path: str = "dvc.yaml", root: Path = ROOT) -> str:
    """The stages of a pipeline file: command, params and outputs (metrics and plots included)."""
    import yaml

    file = root / path
    if not file.is_file():
        raise DocsError(f"{path} does not exist (relative to {root})")
    lines = ["| stage | command | params | outputs |", "| --- | --- | --- | --- |"]
    for name, entry in yaml.safe_load(file.read_text(encoding="utf-8"))["stages"].items():
        stage = entry.get("do", entry)
        if "foreach" in entry:
            name += "@&lt;item&gt;"
        elif "matrix" in entry:
            name += "@&lt;" + ", ".join(entry["matrix"]) + "&gt;"
        params = ", ".join(f"`{p}`" for p in _names(stage.get("params", [])))
        outs = [o for kind in ("outs", "metrics", "plots") for o in _names(stage.get(kind, []))]
        cells = [name, f"`{stage['cmd']}`", params or "—", ", ".join(f"`{o}`" for o in outs)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _names(entries: list) -> list[str]:
    return [e if isinstance(e, str) else next(iter(e)) for e in entries]


# --- the hook -------------------------------------------------------------------------------

FUNCTIONS = {
    "metric": metric,
    "param": param,
    "table": table,
    "code_block": code_block,
    "stages": stages,
    "params_reference": params_reference,
}


def call(name: str, args: str, root: Path = ROOT) -> str:
    """Evaluate one placeholder: literal arguments only, never arbitrary code."""
    if name not in FUNCTIONS:
        raise DocsError(f"unknown placeholder {name}(); known: {', '.join(FUNCTIONS)}")
    try:
        node = ast.parse(f"f({args})", mode="eval").body
        positional = [ast.literal_eval(a) for a in node.args]
        keywords = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
        inspect.signature(FUNCTIONS[name]).bind(*positional, **keywords, root=root)
    except (SyntaxError, ValueError, TypeError) as exc:
        raise DocsError(f"{name}({args.strip()}): bad arguments ({exc})") from None
    return FUNCTIONS[name](*positional, **keywords, root=root)


def render(markdown: str, root: Path = ROOT) -> str:
    """Replace every placeholder of a page; ``\\{{`` stays as a literal ``{{``."""
    text = PLACEHOLDER.sub(lambda m: call(m["name"], m["args"], root), markdown)
    return text.replace("\\{{", "{{")


def on_page_markdown(markdown: str, page, config, files) -> str:
    root = Path(config.config_file_path).resolve().parent
    where = page.file.src_uri
    bad = check_references(markdown, root)
    if bad:
        raise DocsError(f"{where}: these names do not exist in src/churnlab: {', '.join(bad)}")
    try:
        return render(markdown, root)
    except PluginError as exc:
        raise DocsError(f"{where}: {exc}") from None
