"""The API's request model for a model trained on a user's table: one typed field per column.

Each column of the user's table gets the JSON types and text its conversion rule reads
without a reject (:mod:`churnlab.data.conversions`): a number column takes a finite number
or a number written as text (``"29.85"``, a decimal comma where training had them), a Yes/No
flag takes true/false, 0/1 or the yes/no words, and a category or free text takes any text,
number or true/false. The text pattern comes from :func:`~churnlab.data.conversions.
accepted_text`, the definition replay reads by, and pydantic checks it with Python's regex
engine, the one schemathesis and hypothesis generate from. So the OpenAPI document states
exactly what the server accepts: a blank or ``nan`` is allowed only where the column may be
missing, a value the schema forbids is a 422 from the request model, and one it allows is
never refused by the conversions. Dates are text in ISO 8601 (``format: date-time``) or the
training file's format, checked by the conversions. Any column name works: fields carry the
names as aliases.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    StringConstraints,
    create_model,
)

from churnlab.data.conversions import accepted_text
from churnlab.data.input_contract import FiniteNumber

AnyValue = StrictStr | StrictBool | FiniteNumber
Date = Annotated[StrictStr, Field(json_schema_extra={"format": "date-time"})]


def value_type(rule: dict[str, Any], required: bool) -> Any:
    """The JSON values one column takes (None added by the caller when it is optional)."""
    kind = rule["as"]
    if kind == "datetime":
        return Date
    pattern = accepted_text(rule, required)
    if pattern is None:  # categories, text, and optional columns that read anything unreadable
        return AnyValue  # as missing
    text = Annotated[StrictStr, StringConstraints(pattern=pattern)]
    if kind == "number":
        return FiniteNumber | text
    # 1.0 arrives as 1, so that a batch mixing numbers and words reads the same
    return StrictBool | Literal[0, 1] | text


def raw_request_model(conversions: dict, schema: dict[str, dict[str, Any]]) -> type[BaseModel]:
    """A pydantic model of one customer of a model trained on a user table: the columns of
    that table with their raw values (``"Partner": "Yes"``, ``"TotalCharges": " "``), which
    :func:`churnlab.data.conversions.replay` converts. A column never missing in training is
    required (a value, not null, not blank); the id, the target and the columns dropped in
    training may be sent and are ignored."""
    fields: dict[str, Any] = {}

    def add(name: str, kind: Any, required: bool, description: str) -> None:
        kind = kind if required else kind | None
        annotated = Annotated[kind, Field(alias=name, description=description)]
        fields[f"field_{len(fields)}"] = (annotated, ... if required else None)

    id_column = conversions.get("id") or ""
    if id_column:
        add(id_column, AnyValue, False, "optional customer id, passed through to the answer")
    for name, rule in conversions["parse"].items():
        entry = schema.get(name, {"kind": conversions["columns"][name]["type"], "required": False})
        required = bool(entry["required"])
        description = f"{entry['kind']}, as in your table"
        if entry.get("categories"):
            description += f"; categories seen in training: {', '.join(entry['categories'])}"
        description += "" if required else "; optional"
        add(name, value_type(rule, required), required, description)
    label = (conversions.get("label") or {}).get("column") or ""
    for name, entry in conversions["columns"].items():
        if entry["type"] == "drop":
            add(name, AnyValue, False, f"dropped in training ({entry.get('reason', '')}): ignored")
    if label and label not in conversions["columns"]:
        add(label, AnyValue, False, "the target column: ignored")
    config = ConfigDict(extra="forbid", allow_inf_nan=False, regex_engine="python-re")
    return create_model("Customer", __config__=config, **fields)
