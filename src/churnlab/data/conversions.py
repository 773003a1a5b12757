"""Replaying the conversions prepare learned from a user's table, in training and scoring alike.

Prepare records how each raw column of a user table becomes a prepared column: numbers kept
as text (blanks such as Telco's ``TotalCharges`` " " read as missing, decimal commas), Yes/No
flags, dates and their format, category text, free text, and which columns were dropped
(identifiers, leaks, constants) — in ``data/prepared/schema.json``, which the train stage
copies into ``models/metadata.json`` (``conversions``). :func:`replay` is the one function
that applies the record: prepare builds its table with it, and ``churnlab score``, the API,
``churnlab drift`` and ``churnlab predict`` convert a user's file with it, so training and
scoring cannot disagree.

Stable interface::

    replayed = replay(raw, conversions, contract=None, partial=False)

- ``raw``: the user's table as read (any dtypes; with or without the id and target columns).
  A table of prepared customers (with ``customer_key``, or any table for a model trained on
  the synthetic data) is checked against ``contract`` instead.
- ``conversions``: the record (``metadata["conversions"]`` or ``schema.json``).
- ``contract``: the model's input schema (``metadata["input_schema"]``). With it, rows are also
  checked against what the model saw (a value never missing in training is required) and
  unseen categories are counted.
- ``partial``: columns may be absent (a request may leave out optional fields). Otherwise a
  missing column is a :class:`~churnlab.errors.UserError` naming it, as is an unknown one.

:class:`Replayed` holds ``features`` (the prepared columns, with ``raw``'s index), ``errors``
(a reason per rejected row, None for a good one), ``ids`` (the id column, unchanged),
``unseen`` (``{column: {value: count}}``), ``as_missing`` (unreadable values read as missing
because training read them so) and ``rejects`` (a table: row, id, reason). Read a user's file
with :func:`churnlab.serving.batch.read_table` (or in chunks, ``read_chunks``) to get what
``churnlab score`` gets: every CSV cell as text, the dialect sniffed like training's reader.

The text a number or flag rule reads is declared once here (:func:`number_text`,
:data:`TRUE_WORDS`, :data:`FALSE_WORDS`, :data:`SPACE`): replay reads by them, and
:func:`accepted_text` turns them into the pattern of the API's request schema, so the
published schema and the server cannot disagree. A little over 300 lines for that reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from churnlab.config.columns import CUSTOMER_KEY
from churnlab.data.input_contract import (
    KINDS,
    canonical_text,
    note,
    unseen_categories,
    validate_frame,
)
from churnlab.errors import UserError

# The words DuckDB (the reader of training files) reads as BOOLEAN, whatever their case.
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")
EXPECTED = {"number": "a number", "flag": "yes/no", "datetime": "a date"}
# What ``str.strip`` (and so pandas' ``.str.strip``) removes around a value.
SPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())


def number_text(decimal_comma: bool = False, bounded: bool = False) -> str:
    """The regex of a number written as text, stripped, as replay reads it (what
    ``pd.to_numeric`` parses); ``bounded``: at most 200 digits before the point and a
    positive exponent under 100, so that every match is a finite float."""
    dot = "[.,]" if decimal_comma else r"\."
    whole = "[0-9]{1,200}" if bounded else "[0-9]+"
    power = r"-[0-9]+|\+?[0-9]{1,2}" if bounded else "[+-]?[0-9]+"
    return rf"[+-]?(?:{whole}(?:{dot}[0-9]*)?|{dot}[0-9]+)(?:[eE](?:{power}))?"


NUMBER = re.compile(number_text())


def _char_class(chars: str) -> str:
    """``[...]`` of ``chars`` with runs as ranges, every character as ``\\uXXXX``."""
    codes, runs = sorted(map(ord, chars)), []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "[" + "".join(rf"\u{a:04x}" + (rf"-\u{b:04x}" if b > a else "") for a, b in runs) + "]"


_SPACES = _char_class(SPACE) + "*"


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


def accepted_text(rule: dict[str, Any], required: bool) -> str | None:
    """The anchored pattern (the same in Python, ECMA and Rust syntax) of the text values a
    number or flag ``rule`` reads without a reject; None when any text is read (categories,
    free text, and optional columns whose unreadable values training read as missing).
    Blanks and ``nan`` are missing, so they match only when the column is optional."""
    kind = rule["as"]
    if kind not in ("number", "flag") or (rule.get("invalid") and not required):
        return None
    if kind == "number":
        body = number_text(bool(rule.get("decimal_comma")), bounded=True)
        blank = _any_case("nan")
    else:
        body = "|".join(_any_case(w) for w in (*TRUE_WORDS, *FALSE_WORDS))
        blank = ""
    if not required:
        body = f"{body}|{blank}" if blank else body
    return f"^{_SPACES}(?:{body}){'' if required else '?'}{_SPACES}$"


@dataclass
class Replayed:
    """The result of :func:`replay` (see the module docstring)."""

    features: pd.DataFrame
    errors: pd.Series
    ids: pd.Series | None = None
    id_column: str | None = None
    unseen: dict[str, dict[str, int]] = field(default_factory=dict)
    as_missing: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> np.ndarray:
        return self.errors.isna().to_numpy()

    @property
    def rejects(self) -> pd.DataFrame:
        """One row per rejected row: its position (0 = first row), id and reason."""
        rows = np.flatnonzero(~self.ok)
        table = pd.DataFrame({"row": rows})
        if self.ids is not None:
            table[self.id_column] = self.ids.iloc[rows].to_numpy()
        table["reason"] = self.errors.iloc[rows].to_numpy()
        return table


def is_user_record(conversions: dict | None) -> bool:
    """Whether the model was trained on a user table (raw rows are converted before scoring)."""
    return bool(conversions) and conversions.get("source", "synthetic") != "synthetic"


def _blank_to_na(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.where(text != "")


def _none(values: pd.Series) -> pd.Series:
    return pd.Series(False, index=values.index)


def _number(values: pd.Series, rule: dict) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.astype("float64"), _none(values)
    text = _blank_to_na(values)
    text = text.mask(text.str.lower() == "nan")  # what the training reader reads as missing
    if rule.get("decimal_comma"):
        text = text.str.replace(",", ".", regex=False)
    numbers = text.where(text.str.fullmatch(NUMBER.pattern).fillna(False))
    converted = pd.to_numeric(numbers, errors="coerce").astype("float64")
    bad = text.notna().to_numpy() & ~np.isfinite(converted.to_numpy())
    return converted.mask(bad), pd.Series(bad, index=values.index)


def _flag(values: pd.Series, rule: dict) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64"), _none(values)
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.astype("float64")
        bad = numbers.notna() & ~numbers.isin([0.0, 1.0])
        return numbers.mask(bad), bad
    text = _blank_to_na(values).str.lower()
    is_true, is_false = text.isin(TRUE_WORDS).fillna(False), text.isin(FALSE_WORDS).fillna(False)
    converted = pd.Series(np.where(is_true, 1.0, np.where(is_false, 0.0, np.nan)), values.index)
    return converted, text.notna() & converted.isna()


def _datetime(values: pd.Series, rule: dict) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_datetime64_any_dtype(values):
        when = values if values.dt.tz is None else values.dt.tz_convert(None)
        return when, _none(values)
    if pd.api.types.is_numeric_dtype(values):  # a number is not a date
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]"), values.notna()
    text = _blank_to_na(values.astype("object"))
    # Time zones are converted to UTC and dropped: training dates are naive. A column that
    # was text in training is read in its format (else ISO 8601); one the training reader
    # typed is read as ISO 8601, else in the formats that reader found in the training file,
    # else value by value.
    first = rule.get("format")
    order = [first, "ISO8601"] if first else ["ISO8601", *rule.get("formats", []), "mixed"]
    when = pd.to_datetime(text, errors="coerce", format=order[0], utc=True)
    for fmt in order[1:]:
        retry = text.notna() & when.isna()
        if retry.any():
            when[retry] = pd.to_datetime(text[retry], errors="coerce", format=fmt, utc=True)
    when = when.dt.tz_convert(None)
    return when, text.notna() & when.isna()


def _as_text(values: pd.Series, rule: dict) -> pd.Series:
    """Stripped text, NaN where missing; integral floats without ``.0`` (a code stored as
    a number), and Yes/No words as DuckDB's ``True``/``False`` where training read them so."""
    text = canonical_text(values).str.strip()
    if rule.get("booleans"):
        lower = text.str.lower()
        text = text.mask(lower.isin(TRUE_WORDS).fillna(False), "True")
        text = text.mask(lower.isin(FALSE_WORDS).fillna(False), "False")
    return text


def _category(values: pd.Series, rule: dict) -> tuple[pd.Series, pd.Series]:
    return _as_text(values, rule), _none(values)


def _text(values: pd.Series, rule: dict) -> tuple[pd.Series, pd.Series]:
    return _as_text(values, rule).fillna(""), _none(values)


CONVERTERS = {
    "number": _number,
    "flag": _flag,
    "datetime": _datetime,
    "category": _category,
    "text": _text,
}


def convert(values: pd.Series, rule: dict[str, Any]) -> tuple[pd.Series, pd.Series]:
    """One column by its rule: (converted values, mask of present values it could not read)."""
    return CONVERTERS[rule["as"]](values, rule)


def _absent(index: pd.Index, rule: dict) -> pd.Series:
    return convert(pd.Series([None] * len(index), index=index, dtype="object"), rule)[0]


def _check_columns(columns: list[str], conversions: dict, partial: bool) -> None:
    names = [str(c) for c in columns]
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise UserError(f"repeated column names {repeated}")
    kept = list(conversions["parse"])
    dropped = [c for c, e in conversions["columns"].items() if e["type"] == "drop"]
    label = (conversions.get("label") or {}).get("column")
    allowed = {*kept, *dropped, conversions.get("id"), label}
    unknown = [c for c in names if c not in allowed]
    if unknown:
        raise UserError(
            f"unknown columns {unknown}; the model was trained on {sorted(kept)} (the id, the "
            f"target and the columns dropped in training may be present too: {sorted(dropped)})"
        )
    missing = [c for c in kept if c not in names]
    if missing and not partial:
        raise UserError(f"missing columns {missing}: the model was trained on them")


def _prepared(frame: pd.DataFrame, contract: dict) -> Replayed:
    features, errors = validate_frame(frame, contract)
    ids = frame.get(CUSTOMER_KEY)
    return Replayed(features, errors, ids, CUSTOMER_KEY, unseen_categories(features, contract))


def _prepared_rows(raw: pd.DataFrame, conversions: dict) -> bool:
    """Rows prepare wrote (they carry ``customer_key``), unless the user's own table has a
    column of that name (its id, or a column prepare left out): then they are the user's."""
    label = (conversions.get("label") or {}).get("column")
    own = {conversions.get("id"), label, *conversions["columns"], *conversions["parse"]}
    return CUSTOMER_KEY in raw.columns and CUSTOMER_KEY not in own


def replay(
    raw: pd.DataFrame,
    conversions: dict | None,
    contract: dict | None = None,
    *,
    partial: bool = False,
) -> Replayed:
    """The prepared columns of ``raw`` and the rows that cannot be scored (module docstring)."""
    if not is_user_record(conversions) or _prepared_rows(raw, conversions):
        if contract is None:
            raise ValueError("prepared rows are checked against a contract: pass one")
        return _prepared(raw, contract)
    raw = raw.rename(columns=lambda c: str(c).strip())
    _check_columns(list(raw.columns), conversions, partial)
    rules = conversions["parse"]
    errors = pd.Series([None] * len(raw), index=raw.index, dtype="object")
    out, as_missing, unreadable = {}, {}, {}
    ordered = [c for c in raw.columns if c in rules] + [c for c in rules if c not in raw]
    for column in ordered:
        rule = rules[column]
        if column not in raw:
            out[column] = _absent(raw.index, rule)
            continue
        converted, bad = convert(raw[column], rule)
        if bad.any() and rule.get("invalid"):  # training read such values as missing
            as_missing[column] = int(bad.sum())
        elif bad.any():
            shown = raw[column][bad].astype("str").str.slice(0, 40).map(repr)
            errors = note(errors, bad, f"{column}: expected {EXPECTED[rule['as']]}, got " + shown)
            unreadable[column] = bad
        out[column] = converted
    features = pd.DataFrame(out, index=raw.index)
    id_column = conversions.get("id") or None
    ids = raw.get(id_column) if id_column else None
    unseen = {}
    if contract is not None:  # types are right by construction; values never missing in
        for name, entry in contract.items():  # training are required
            if entry["required"] and name in features:
                missing = features[name].isna()
                if name in unreadable:  # already named as unreadable
                    missing &= ~unreadable[name]
                errors = note(errors, missing, f"{name}: required value missing")
        unseen = unseen_categories(features, contract)
    return Replayed(features, errors, ids, id_column, unseen, as_missing)


def check_metadata(metadata: dict, where: object) -> None:
    """A model's ``metadata.json`` holds what scoring relies on: a threshold in [0, 1], the
    input schema and (for user data) the conversions. A broken file is named, never blamed
    on the rows being scored."""
    threshold = metadata.get("threshold")
    if not isinstance(threshold, int | float) or isinstance(threshold, bool):
        threshold_ok = False
    else:
        threshold_ok = 0.0 <= threshold <= 1.0
    if not threshold_ok:
        raise UserError(f"{where}: threshold must be a number in [0, 1], got {threshold!r}")
    schema = metadata.get("input_schema")
    if not isinstance(schema, dict) or not schema:
        raise UserError(
            f"{where} has no input_schema: retrain with `dvc repro` to package the model"
        )
    for name, entry in schema.items():
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind not in KINDS or not isinstance(entry.get("required"), bool):
            raise UserError(
                f"{where}: input_schema.{name} must have a kind in {sorted(KINDS)} and a "
                f"true/false required, got {entry!r}"
            )
    conversions = metadata.get("conversions")
    if not is_user_record(conversions):
        return
    rules = conversions.get("parse")
    if not isinstance(rules, dict) or not isinstance(conversions.get("columns"), dict):
        raise UserError(f"{where}: conversions must hold columns and parse rules")
    for name, rule in rules.items():
        if not isinstance(rule, dict) or rule.get("as") not in CONVERTERS:
            raise UserError(
                f"{where}: conversions.parse.{name} must say `as` one of {sorted(CONVERTERS)}, "
                f"got {rule!r}"
            )
