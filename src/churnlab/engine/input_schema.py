"""The model's input schema on Spark: :func:`churnlab.data.input_contract.input_schema` of the
train split, from the Parquet schema and two Spark aggregates instead of the table.

Each column's kind follows how pandas would see it once read (numbers and flags are
``number``, timestamps ``datetime``, anything else a category or free text); whether it is
required is a count of its missing values (NaN counts as missing, as for pandas); a text
column's distinct values are counted by Spark, and only for columns with at most
``MAX_CATEGORIES`` of them are the values themselves collected.
"""

from __future__ import annotations

from typing import Any

from churnlab.config.columns import NON_FEATURES
from churnlab.data.input_contract import MAX_CATEGORIES, schema_entry


def column_kind(field) -> str:
    """``number``, ``datetime`` or ``text``: how pandas sees a Spark column once collected
    (``text``: neither a number nor a timestamp)."""
    from pyspark.sql import types as T

    if isinstance(field.dataType, T.NumericType | T.BooleanType):
        return "number"
    if isinstance(field.dataType, T.TimestampType | T.TimestampNTZType):
        return "datetime"
    return "text"


def _missing(field):
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    missing = F.col(field.name).isNull()
    if isinstance(field.dataType, T.FloatType | T.DoubleType):
        missing = missing | F.isnan(field.name)
    return F.sum(F.when(missing, 1).otherwise(0))


def input_schema(frame) -> dict[str, dict[str, Any]]:
    """``{column: {kind, required, categories?}}`` for the model inputs of a Spark train table."""
    from pyspark.sql import functions as F

    fields = [f for f in frame.schema.fields if f.name not in NON_FEATURES]
    kinds = {f.name: column_kind(f) for f in fields}
    text = [f.name for f in fields if kinds[f.name] == "text"]
    figures = [_missing(f).alias(f"m{i}") for i, f in enumerate(fields)]
    figures += [F.count_distinct(c).alias(f"d{i}") for i, c in enumerate(text)]
    row = frame.agg(*figures).first()
    small = [c for i, c in enumerate(text) if row[f"d{i}"] <= MAX_CATEGORIES]
    values = {}
    if small:
        sets = frame.agg(*[F.collect_set(c).alias(str(i)) for i, c in enumerate(small)]).first()
        values = {c: sorted({str(v) for v in sets[str(i)]}) for i, c in enumerate(small)}
    return {
        f.name: schema_entry(kinds[f.name], not row[f"m{i}"], values.get(f.name))  # None: no rows
        for i, f in enumerate(fields)
    }
