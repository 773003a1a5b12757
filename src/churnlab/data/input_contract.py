"""The input schema of the model: which prepared columns a request may send, and their checks.

The schema is taken from the train split when the model is trained and stored in
``models/metadata.json``, so the API's request model, the batch scorer's validation and the
documentation all come from the data the model saw. A column is *required* when it was never
missing in train; any other column may be omitted or null and is imputed by the featurizer as in
training. Unseen categories are accepted (the one-hot encoder groups them as infrequent).

One validator, :func:`validate_frame`, serves both the API (after pydantic has checked the JSON
types) and the batch scorer (vectorised, one error message per bad row).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    create_model,
)

from churnlab.config.columns import CUSTOMER_KEY
from churnlab.errors import UserError

ID_COLUMN = CUSTOMER_KEY
# Columns with more distinct values than this in train are free text, not categories.
MAX_CATEGORIES = 50


def schema_entry(kind: str, complete: bool, categories: list[str] | None) -> dict[str, Any]:
    """One column's entry of the input schema, the one home of its rules (both engines).

    ``kind`` is ``number``, ``datetime`` or ``text``; ``complete``: no value is missing in train;
    ``categories``: a text column's distinct values when there are at most ``MAX_CATEGORIES``
    (then it is a category), else None (free text, which may always be left out: no text is the
    empty string in training)."""
    entry: dict[str, Any] = {"required": complete}
    if kind != "text":
        entry["kind"] = kind
    elif categories is not None:
        entry |= {"kind": "category", "categories": sorted(categories)}
    else:
        entry |= {"kind": "text", "required": False}
    return entry


def input_schema(train: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``{column: {kind, required, categories?}}`` for the model inputs of a train frame."""
    columns: dict[str, dict[str, Any]] = {}
    for name in train.columns:
        series = train[name]
        categories = None
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            kind = "number"
        elif pd.api.types.is_datetime64_any_dtype(series):
            kind = "datetime"
        else:
            kind, values = "text", series.dropna().astype(str)
            if values.nunique() <= MAX_CATEGORIES:
                categories = values.unique().tolist()
        columns[str(name)] = schema_entry(kind, bool(series.notna().all()), categories)
    return columns


def _finite(value: float | int) -> float | int:
    try:
        finite = math.isfinite(float(value))
    except OverflowError:  # an integer such as 10**400
        finite = False
    if not finite:
        raise ValueError("number out of range")
    return value


FiniteNumber = Annotated[StrictFloat | StrictInt, AfterValidator(_finite)]

_PYTHON_TYPES = {
    "number": FiniteNumber,
    "category": StrictStr,
    "text": StrictStr,
    # ISO 8601 strings ("2024-05-01" or "2024-05-01T10:00:00") are parsed.
    "datetime": dt.datetime,
}


def request_model(schema: dict[str, dict[str, Any]]) -> type[BaseModel]:
    """A pydantic model of one customer: unknown fields are refused, types checked strictly.
    Fields carry the column names as aliases, so any name works (``model_dump``, ``_x``)."""
    fields: dict[str, Any] = {
        "field_0": (
            StrictStr | None,
            Field(None, alias=ID_COLUMN, description="optional id, passed through"),
        )
    }
    for name, entry in schema.items():
        description = f"{entry['kind']}"
        if entry.get("categories"):
            description += f"; categories seen in training: {', '.join(entry['categories'])}"
        kind = _PYTHON_TYPES[entry["kind"]]
        if entry["required"]:
            field = (Annotated[kind, Field(alias=name, description=description)], ...)
        else:
            optional = Field(alias=name, description=description + "; optional")
            field = (Annotated[kind | None, optional], None)
        fields[f"field_{len(fields)}"] = field
    return create_model(
        "Customer", __config__=ConfigDict(extra="forbid", allow_inf_nan=False), **fields
    )


def _numeric(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(values as float64, mask of entries present but not a finite number)."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64"), pd.Series(False, index=values.index)
    converted = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = values.notna() & ~np.isfinite(converted.fillna(0.0))
    bad |= values.notna() & converted.isna()
    return converted.where(~bad), bad


def _datetime(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_datetime64_any_dtype(values):
        when = values if values.dt.tz is None else values.dt.tz_convert(None)
        return when.astype("datetime64[us]"), pd.Series(False, index=values.index)
    # Time zones (2023-07-07T10:00:00Z, +02:00) are converted to UTC and dropped: the model
    # was trained on naive dates.
    converted = pd.to_datetime(values, errors="coerce", format="ISO8601", utc=True)
    bad = values.notna() & converted.isna()
    return converted.dt.tz_convert(None).astype("datetime64[us]"), bad


def canonical_text(values: pd.Series) -> pd.Series:
    """Values as text, NaN where missing; a code stored as a number (1, or 1.0 in a column
    with gaps) reads as ``"1"``, as it does in a CSV file."""
    text = values.astype("str").where(values.notna())
    if pd.api.types.is_float_dtype(values):
        integral = values.notna() & (values % 1 == 0) & (values.abs() < 2**53)
        text[integral] = values[integral].astype("int64").astype("str")
    return text


def _text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("str"), pd.Series(False, index=values.index)
    return canonical_text(values), pd.Series(False, index=values.index)


_CONVERTERS = {"number": _numeric, "datetime": _datetime, "category": _text, "text": _text}


KINDS = frozenset(_CONVERTERS)


def check_columns(columns: list[str], schema: dict[str, dict[str, Any]]) -> None:
    """A file or request whose columns do not fit the schema at all is refused as a whole."""
    allowed = set(schema) | {ID_COLUMN, "churned"}
    unknown = [c for c in columns if c not in allowed]
    if unknown:
        raise UserError(f"unknown columns {unknown}; the model accepts {sorted(schema)}")
    missing = [c for c, e in schema.items() if e["required"] and c not in columns]
    if missing:
        raise UserError(f"required columns are missing: {missing}")


def validate_frame(
    frame: pd.DataFrame, schema: dict[str, dict[str, Any]]
) -> tuple[pd.DataFrame, pd.Series]:
    """(model input frame with training dtypes, per-row error message or None).

    Optional columns that are absent are added as missing values; a row is bad when a required
    value is missing or a value does not have its column's type.
    """
    check_columns(list(frame.columns), schema)
    errors = pd.Series([None] * len(frame), index=frame.index, dtype="object")
    out = {}
    for name, entry in schema.items():
        if name not in frame:
            values = pd.Series([None] * len(frame), index=frame.index, dtype="object")
        else:
            values = frame[name]
        converted, bad = _CONVERTERS[entry["kind"]](values)
        if entry["required"]:
            missing = values.isna() & ~bad
            errors = note(errors, missing, f"{name}: required value missing")
        errors = note(errors, bad, f"{name}: expected {entry['kind']}")
        out[name] = converted
    return pd.DataFrame(out, index=frame.index), errors


def note(errors: pd.Series, mask: pd.Series, message: str | pd.Series) -> pd.Series:
    """``errors`` with ``message`` (one text, or one per row) added where ``mask`` holds."""
    if not mask.any():
        return errors
    if isinstance(message, pd.Series):
        message = message.reindex(errors.index)[mask].astype(str)
    current = errors[mask]
    errors = errors.copy()
    errors[mask] = np.where(current.isna(), message, current.astype(str) + "; " + message)
    return errors


def unseen_categories(frame: pd.DataFrame, schema: dict[str, dict[str, Any]]) -> dict:
    """``{column: {value: rows}}`` for category values the model never saw in training (they
    are scored: the encoder treats them as infrequent)."""
    unseen = {}
    for name, entry in schema.items():
        if entry["kind"] != "category" or name not in frame:
            continue
        values = frame[name].dropna().astype(str)
        new = values[~values.isin(entry.get("categories", []))]
        if len(new):
            unseen[name] = {str(k): int(v) for k, v in new.value_counts().sort_index().items()}
    return unseen
