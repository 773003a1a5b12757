"""Schema inference for user tables: types, the label, dropped columns and leakage.

``infer`` decides the type of each raw column (numeric, categorical, ordinal, text,
datetime, or dropped, with the reason) and how its values are read (a rule of
:mod:`churnlab.data.conversions`: numbers in text, Yes/No flags, date formats); both are
written to ``data/prepared/schema.json``, which featurize reads and the train stage copies
into the model's metadata for scoring. Columns it cannot settle (stray words in a column of
numbers, dates in mixed formats) carry a ``warning``, logged and shown in the quality report.
The leakage scores live in :mod:`churnlab.data.leakage`; the module is a little over 300
lines because each column type's rule is short and they read best side by side.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from churnlab.config.params import ColumnSpec
from churnlab.data import leakage
from churnlab.data.conversions import convert
from churnlab.errors import UserError

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?|^\d{1,2}/\d{1,2}/\d{4}")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
MAX_CATEGORIES = 50
# Spellings of "missing" in exports (compared in lower case, stripped): read as missing in a
# numeric column instead of turning it into a category.
MISSING_MARKERS = frozenset(
    {
        "na",
        "n/a",
        "n.a.",
        "nan",
        "null",
        "none",
        "nil",
        "-",
        "--",
        "?",
        "unknown",
        "missing",
        "#n/a",
    }
)
# A column with at least this share of numbers among its filled cells that still is not read
# as numbers gets a warning listing the values in the way.
NUMERIC_SHARE = 0.8
TEXT_MIN_MEAN_LENGTH = 30
# Words in a column name that say it was recorded with or after the churn event.
REVEALING_WORDS = ("churn", "attrit")


def _norm(value: object) -> str:
    return " ".join(str(value).split()).lower()


def label(raw: pd.Series, target: str, positive: object) -> pd.Series:
    """0/1 label (NaN where missing); ``positive`` matches whatever its spelling."""
    present = raw.dropna()
    present = present[present.astype(str).str.strip() != ""]
    values = sorted({_norm(v) for v in present.unique()})
    wanted = _norm(positive)
    # 1 / 1.0 / true compare equal whatever the dtype the reader chose; a YAML boolean may
    # have been written as Yes / No.
    aliases = {wanted}
    if wanted in ("1", "1.0", "true"):
        aliases |= {"1", "1.0", "true"} | ({"yes", "y"} if isinstance(positive, bool) else set())
    elif wanted in ("0", "0.0", "false"):
        aliases |= {"0", "0.0", "false"} | ({"no", "n"} if isinstance(positive, bool) else set())
    if not aliases & set(values):
        raise UserError(
            f"data.positive {positive!r} is not a value of target {target!r}; found {values[:20]}"
        )
    if len(values) > 2:
        raise UserError(
            f"target {target!r} has {len(values)} values {values[:20]}; data.positive "
            f"{positive!r} must split it into two classes (churn vs the rest) — map it to "
            "two values first"
        )
    # Normalise each distinct value once: millions of rows have a handful of spellings.
    normed = raw.map({v: _norm(v) for v in raw.dropna().unique()})
    y = normed.isin(aliases).astype("float64")
    return y.mask(raw.isna() | (normed == ""), np.nan)


def _distinct(values: pd.Series, limit: int | None = None) -> pd.Series:
    """The distinct non-blank values as stripped strings: type checks run on these only,
    which keeps inference fast on millions of rows with few distinct values."""
    unique = pd.Series(values.dropna().unique()[:limit], dtype="object").astype(str).str.strip()
    return unique[unique != ""]


def _numeric_rule(text: pd.Series) -> dict | None:
    """Numbers stored as text (blanks and missing-value markers such as ``N/A`` → missing;
    unambiguous decimal commas), else None."""
    filled = _distinct(text)
    markers = filled[filled.str.lower().isin(MISSING_MARKERS)]
    filled = filled[~filled.index.isin(markers.index)]
    if filled.empty:
        return None
    head = filled.iloc[:1000]  # most text columns fail here, before the full check
    if not head.str.match(r"^[+-]?(\d+([.,]\d*)?|\.\d+)([eE][+-]?\d+)?$").all():
        return None
    comma = False
    if not filled.str.match(_NUMBER).all():
        # A decimal comma is unambiguous when every value is an integer or d,d (no dots, no
        # thousands grouping) and at least one has the comma.
        has_comma = filled.str.match(_DECIMAL_COMMA)
        if not ((has_comma | filled.str.match(r"^[+-]?\d+$")).all() and has_comma.any()):
            return None
        comma = True
    rule = {"as": "number", "decimal_comma": comma}
    if len(markers):  # read as missing (converted, they count as `invalid`)
        rule["missing_markers"] = sorted(markers)
    return rule


def stray_tokens(values: pd.Series) -> dict[str, int]:
    """The values (with their counts) that keep a mostly numeric column from being read as
    numbers: empty unless at least :data:`NUMERIC_SHARE` of the filled cells are numbers."""
    counts = values.dropna().astype(str).str.strip().value_counts()
    counts = counts[(counts.index != "") & ~counts.index.str.lower().isin(MISSING_MARKERS)]
    if counts.empty:
        return {}
    numbers = counts.index.str.match(_NUMBER) | counts.index.str.match(_DECIMAL_COMMA)
    if counts[numbers].sum() < NUMERIC_SHARE * counts.sum():
        return {}
    stray = counts[~numbers].sort_values(ascending=False, kind="stable")
    return {str(k): int(v) for k, v in stray.items()}


def _date_format(text: pd.Series) -> str:
    """The format pandas would guess from the first value (recorded, so that scoring parses
    a file whose first date looks different the way training did); ``mixed`` if none."""
    filled = _distinct(text, 1)
    return (guess_datetime_format(filled.iloc[0]) if len(filled) else None) or "mixed"


def _parsed_share(text: pd.Series, rule: dict) -> float:
    when, _ = convert(text, rule)
    present = text.astype("string").str.strip().notna().sum()
    return when.notna().sum() / max(present, 1)


def _datetime_rule(text: pd.Series) -> dict | None:
    """Dates in one format (recorded), or in several (read value by value, with a warning);
    None for a column that is not dates."""
    filled = _distinct(text, 5000)
    if filled.empty:
        return None
    if not filled.str.match(_DATE).mean() >= 0.95:
        # Other spellings ("5 Jan 2023", "2023/01/05") count only in a many-valued column
        # of which almost every value is a date with a year (a bare "10:30" or "1.2.10" would
        # parse too, the first as today's date).
        if len(filled) <= MAX_CATEGORIES or not filled.str.contains(_YEAR).all():
            return None
        sample = pd.to_datetime(filled, errors="coerce", format="mixed")
        if not sample.notna().mean() >= 0.95:
            return None
    rule = {"as": "datetime", "format": _date_format(text)}
    if _parsed_share(text, rule) >= 0.95:
        return rule
    mixed = {"as": "datetime", "format": "mixed"}
    share = _parsed_share(text, mixed)
    examples = ", ".join(repr(v) for v in filled.iloc[:3])
    if share >= 0.95:
        mixed["warning"] = (
            f"dates in several formats (e.g. {examples}): read value by value, so an ambiguous "
            "day/month may be swapped; set one format in the file"
        )
        return mixed
    return {
        "as": "category",
        "warning": f"looks like dates (e.g. {examples}) but only {share:.0%} parse: read as "
        "a category; write them in one format",
    }


def _text_rule(values: pd.Series, kind: str) -> dict:
    """Category or free text; Yes/No values DuckDB read as booleans (a column with blanks
    comes as Python True/False) keep that reading when a file has the words instead."""
    rule = {"as": "text" if kind == "text" else "category"}
    filled = values.dropna()
    if pd.api.types.is_bool_dtype(values) or (
        len(filled) and filled.map(type).isin([bool, np.bool_]).all()
    ):
        rule["booleans"] = True
    return rule


def infer(
    frame: pd.DataFrame,
    y: pd.Series,
    target: str,
    overrides: dict[str, ColumnSpec],
    leakage_auc: float,
    positive: object = "",
) -> tuple[dict, dict]:
    """The schema ``{column: {"type", "reason"?, "order"?}}`` and how each kept column is
    read (``{column: rule}``, :func:`churnlab.data.conversions.convert`)."""
    unknown = sorted(set(overrides) - set(frame.columns))
    if unknown:
        raise UserError(
            f"params.yaml: data.columns names {unknown}, which the source lacks; "
            f"available: {list(frame.columns)}"
        )
    schema, rules = {}, {}
    n = len(frame)
    sample = leakage.leakage_sample(y) if n > 2 * leakage.LEAKAGE_ROWS_PER_CLASS else None
    y_sample = y if sample is None else y.iloc[sample]
    reveal = [_norm(target).replace(" ", "").replace("_", ""), *REVEALING_WORDS]
    word = _norm(positive).replace(" ", "")
    if word.isalpha() and len(word) >= 4 and word not in ("true", "false"):
        reveal.append(word)  # e.g. "attrited"; not yes/1, which many names contain
    for column in frame.columns:
        values = frame[column]
        spec = overrides.get(column)
        name = _norm(column).replace(" ", "").replace("_", "")
        revealing = [w for w in reveal if w in name]
        if spec is None and revealing:
            schema[column] = {
                "type": "drop",
                "reason": f"leakage: the name reveals the target ({revealing[0]!r})",
            }
            continue
        entry = _infer_column(values, spec, n)
        rule = entry.pop("_rule", None)
        converted = None
        if rule is not None and rule["as"] != "text":
            converted, bad = convert(values, rule)
            if bad.any():  # read as missing in training, and so in scoring
                rule["invalid"] = int(bad.sum())
        # In-sample class rates of a many-valued column separate the classes trivially, so
        # only numeric and few-valued columns get the single-column check.
        # In-sample class rates of a many-valued column separate the classes trivially, so
        # such a column is scored by out-of-fold class rates (target encoding) instead.
        categories = entry["type"] in ("categorical", "ordinal")
        if spec is None and (entry["type"] == "numeric" or categories):
            column_sample = converted if sample is None else converted.iloc[sample]
            many = categories and converted.nunique() > MAX_CATEGORIES
            auc = (leakage.out_of_fold_auc if many else leakage.single_column_auc)(
                column_sample, y_sample
            )
            if auc >= leakage_auc:
                how = "its out-of-fold class rates separate" if many else "alone separates"
                entry = {
                    "type": "drop",
                    "reason": f"leakage: {how} the classes (ROC-AUC {auc:.3f})",
                }
        if "warning" in entry:
            log.warning("column %r: %s", column, entry["warning"])
        if rule and rule.get("missing_markers"):
            log.info("column %r: read %s as missing", column, rule["missing_markers"])
        schema[column] = entry
        if entry["type"] != "drop":
            rules[column] = rule
    return schema, rules


def _infer_column(values: pd.Series, spec: ColumnSpec | None, n: int) -> dict:
    if spec is not None:
        return _apply_override(values, spec)
    filled = values.dropna()
    typed = pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)
    # Typed columns have no blank strings: skip turning a million numbers into text.
    if filled.empty if typed else _distinct(filled, 1000).empty:
        return {"type": "drop", "reason": "empty"}
    if filled.nunique() <= 1:
        return {"type": "drop", "reason": "constant"}
    if pd.api.types.is_bool_dtype(values):
        return {"type": "numeric", "_rule": {"as": "flag"}}
    if pd.api.types.is_numeric_dtype(values):
        return {"type": "numeric", "_rule": {"as": "number"}}
    if pd.api.types.is_datetime64_any_dtype(values):
        return {"type": "datetime", "_rule": {"as": "datetime"}}
    numeric = _numeric_rule(values)
    if numeric is not None:
        return {"type": "numeric", "_rule": numeric}
    when = _datetime_rule(values)
    warning = when.pop("warning", None) if when is not None else None
    if when is not None and when["as"] == "datetime":
        return {"type": "datetime", "_rule": when, **({"warning": warning} if warning else {})}
    stray = stray_tokens(values)
    if stray:
        shown = dict(list(stray.items())[:10])
        warning = (
            f"mostly numbers, but {sum(stray.values())} cell(s) hold other values {shown}: read "
            "as a category; if they mean missing, blank them (or set data.columns.<name>.type: "
            "numeric to read them as missing)"
        )
    entry = _category_or_text(values, filled)
    return {**entry, "warning": warning} if warning else entry


def _category_or_text(values: pd.Series, filled: pd.Series) -> dict:
    text = values.astype("str").where(values.notna())
    distinct = filled.nunique()
    if distinct == len(filled) and len(filled) > MAX_CATEGORIES:
        if text.str.len().mean() >= TEXT_MIN_MEAN_LENGTH and text.str.contains(" ").mean() > 0.5:
            return {"type": "text", "_rule": _text_rule(values, "text")}
        return {"type": "drop", "reason": "identifier-like: a distinct value per row"}
    if distinct > MAX_CATEGORIES and text.str.len().mean() >= TEXT_MIN_MEAN_LENGTH:
        return {"type": "text", "_rule": _text_rule(values, "text")}
    return {"type": "categorical", "_rule": _text_rule(values, "categorical")}


def _apply_override(values: pd.Series, spec: ColumnSpec) -> dict:
    kind = spec.type
    if kind == "drop":
        return {"type": "drop", "reason": "data.columns says drop"}
    typed = pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
    if kind == "numeric":
        rule = {"as": "number"} if typed else _numeric_rule(values.astype("string"))
        return {"type": "numeric", "_rule": rule or {"as": "number", "decimal_comma": False}}
    if kind == "datetime":
        if pd.api.types.is_datetime64_any_dtype(values):
            return {"type": "datetime", "_rule": {"as": "datetime"}}
        return {"type": "datetime", "_rule": {"as": "datetime", "format": _date_format(values)}}
    rule = _text_rule(values, kind)
    if kind == "ordinal":
        return {"type": "ordinal", "order": list(spec.order), "_rule": rule}
    return {"type": kind, "_rule": rule}
