"""The params reference page, generated from the pydantic models in ``src/churnlab/config``.

One section per params model (``data``, ``data.quality``, ``train.xgboost``, …), each a table of
its keys: type (with its bounds), default (and the value in ``params.yaml`` when it differs)
and the description written beside the field in the source. A field without a description
stops the build, so a new key cannot reach ``params.yaml`` undocumented. Used by ``hooks.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

# Keys of a mapping field are named after what they stand for: data.columns.<column>.type.
MAP_KEYS = {"columns": "column", "space": "name", "rules": "family"}


def params_model(root: Path):
    """``churnlab.config.params.Params`` from this checkout's sources."""
    if str(root / "src") not in sys.path:
        sys.path.insert(0, str(root / "src"))
    from churnlab.config.params import Params

    return Params


def params_reference(root: Path) -> str:
    """Every section of ``params.yaml`` as Markdown."""
    import yaml

    committed = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8")) or {}
    params = params_model(root)
    return "\n\n".join(
        _section(key, f.annotation, committed.get(key), 2, _described(f, key, params))
        for key, f in params.model_fields.items()
    )


def params_fields(model, prefix: str = "") -> list[str]:
    """Every dotted key the params models define (``<column>``, ``<name>`` for mapping keys)."""
    keys = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        keys.append(key)
        nested = _nested_model(field.annotation)
        if nested is not None:
            inner = key if _is_model(field.annotation) else f"{key}.<{MAP_KEYS[name]}>"
            keys += params_fields(nested, inner + ".")
    return keys


def anchor(key: str) -> str:
    """The id MkDocs gives a heading that reads ``key`` (``train.xgboost`` → ``trainxgboost``)."""
    return re.sub(r"[^a-z0-9_]+", "", key.lower())


def _described(field, key: str, model) -> str:
    if field.description is None:
        name = key.rsplit(".", 1)[-1]
        raise PluginError(
            f"params reference: {key} has no description; add a docstring below the field "
            f"{name} of {model.__name__} in {sys.modules[model.__module__].__file__}"
        )
    return field.description


def _section(key: str, model, committed: Any, level: int, intro: str = "") -> str:
    rows, subsections = [], []
    for name, field in model.model_fields.items():
        full = f"{key}.{name}"
        _described(field, full, model)
        value = committed.get(name) if isinstance(committed, dict) else None
        nested = _nested_model(field.annotation)
        if _is_model(field.annotation):
            link = f"see [`{full}`](#{anchor(full)})"
            rows.append((full, "section", link, field.description))
            subsections.append(_section(full, nested, value, level + 1))
            continue
        if nested is not None:
            subsections.append(_section(f"{full}.<{MAP_KEYS[name]}>", nested, None, level + 1))
        rows.append((full, _type(field), _default(field, value), field.description))
    lines = ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    lines += [f"| `{k}` | {t} | {d} | {_cell(text)} |" for k, t, d, text in rows]
    heading = "#" * min(level, 6) + f" `{key}`"
    parts = (heading, intro or _doc(model), "\n".join(lines), *subsections)
    return "\n\n".join(part for part in parts if part)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _doc(model) -> str:
    """The first paragraph of the model's docstring (pydantic's own for an undocumented one)."""
    text = (model.__dict__.get("__doc__") or "").strip()
    return " ".join(text.split("\n\n")[0].split())


def _is_model(annotation) -> bool:
    return isinstance(annotation, type) and hasattr(annotation, "model_fields")


def _nested_model(annotation):
    """The params model a field holds: the field's own class, or a mapping's value class."""
    if _is_model(annotation):
        return annotation
    if typing.get_origin(annotation) is dict:
        value = typing.get_args(annotation)[1]
        return value if _is_model(value) else None
    return None


def _type(field) -> str:
    bounds = [_bound(meta) for meta in field.metadata]
    return ", ".join([_type_name(field.annotation), *[b for b in bounds if b]])


def _bound(meta) -> str:
    for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
        if getattr(meta, attr, None) is not None:
            return f"{sign} {getattr(meta, attr)}"
    if getattr(meta, "min_length", None):
        return f"at least {meta.min_length} item" + ("s" if meta.min_length > 1 else "")
    return ""


def _type_name(annotation) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        names = [f"`{a}`" if a != "" else '`""`' for a in args]
        return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    if origin is typing.Annotated:
        size = [m.max_length for m in args[1:] if getattr(m, "max_length", None)]
        if size and typing.get_origin(args[0]) is list:
            return f"list of {size[0]} {_type_name(typing.get_args(args[0])[0])}"
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"mapping of {_type_name(args[0])} to {_type_name(args[1])}"
    names = {dt.date: "date", type(None): "null"}
    if annotation in names:
        return names[annotation]
    if _is_model(annotation):
        return f"`{annotation.__name__}`"
    return getattr(annotation, "__name__", str(annotation))


def _default(field, committed: Any) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, dict):
        value = {
            k: v.model_dump(exclude_defaults=True) if hasattr(v, "model_dump") else v
            for k, v in value.items()
        }
    text = _literal(value)
    if committed is not None and _plain(committed) != _plain(value):
        text += f" (params.yaml: {_literal(committed)})"
    return text


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _literal(value: Any) -> str:
    return "`" + json.dumps(_plain(value), ensure_ascii=False).replace("|", "\\|") + "`"
