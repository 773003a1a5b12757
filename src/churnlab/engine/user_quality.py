"""The data-quality figures of a user table prepared on Spark, as Spark aggregates.

:func:`churnlab.data.quality.report` reads the whole frame; here the figures that depend on
the rows (counts, missing shares, completeness, the label rate, numeric summaries, category
counts and spelling variants, duplicate rows and masked free text) are recomputed over the
whole table by Spark, and the entries that come from the schema (dropped columns, leakage,
warnings, privacy actions) are the ones the schema sample gave. Per categorical column only
its distinct values with their counts and first positions reach the driver; each figure is
rounded as the local report rounds it, so small tables give the local figures exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnlab.data import privacy, quality
from churnlab.engine.user_prepare import LABEL, ORDER, TAGS
from churnlab.engine.user_sources import ROW

MASKED = "free text: masked"


def _round(value) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 6)


def _missing(name: str, numeric: bool):
    from pyspark.sql import functions as F

    column = F.col(f"`{name}`")
    return column.isNull() | F.isnan(column) if numeric else column.isNull()


def _numeric_aggregates(columns: dict, numeric: set[str]) -> list:
    from pyspark.sql import functions as F

    out = []
    for i, (name, entry) in enumerate(columns.items()):
        out.append(F.count_if(_missing(name, name in numeric)).alias(f"na{i}"))
        if entry["type"] == "numeric":
            value = F.col(f"`{name}`").cast("double")
            value = F.when(~F.isnan(value), value)
            out += [F.avg(value).alias(f"mean{i}"), F.stddev_samp(value).alias(f"std{i}")]
            out += [F.min(value).alias(f"min{i}"), F.max(value).alias(f"max{i}")]
    return out


def _categories(table, name: str) -> pd.DataFrame:
    """Each value's count and first position (file order), most frequent first."""
    from pyspark.sql import functions as F

    found = (
        table.filter(F.col(f"`{name}`").isNotNull())
        .groupBy(F.col(f"`{name}`").alias("value"))
        .agg(F.count(F.lit(1)).alias("n"), F.min(ORDER).alias("first"))
        .toArrow()
        .to_pandas()
    )
    return found.sort_values(["n", "first"], ascending=[False, True], kind="stable")


def _summaries(table, columns: dict, labelled: int) -> tuple[dict, dict, list[float]]:
    from pyspark.sql.types import NumericType

    numeric = {f.name for f in table.schema.fields if isinstance(f.dataType, NumericType)}
    row = table.agg(*_numeric_aggregates(columns, numeric)).first()
    summaries, variants, shares = {}, {}, []
    for i, (name, entry) in enumerate(columns.items()):
        share = int(row[f"na{i}"]) / labelled
        shares.append(share)
        out: dict = {"type": entry["type"], "missing_share": round(share, 6)}
        if entry["type"] == "numeric":
            for key in ("mean", "std", "min", "max"):
                out[key] = _round(row[f"{key}{i}"])
        elif entry["type"] in ("categorical", "ordinal"):
            found = _categories(table, name)
            out["distinct"] = len(found)
            out["top"] = {
                str(k): int(v) for k, v in zip(found["value"][:5], found["n"][:5], strict=True)
            }
            firsts = found.sort_values("first")["value"]
            groups = quality.category_variants(pd.Series(firsts.to_numpy(), dtype="object"))
            if groups:
                variants[name] = groups
        summaries[name] = out
    return summaries, variants, shares


def _occurrences(name: str, tag: str):
    from pyspark.sql import functions as F

    text = F.coalesce(F.col(f"`{name}`").cast("string"), F.lit(""))
    return F.sum((F.length(text) - F.length(F.replace(text, F.lit(tag), F.lit("")))) / len(tag))


def masked_counts(raw, table, text_columns: list[str]) -> dict[str, dict[str, int]]:
    """Per text column the emails, phones, ... masked: tags in the prepared text minus tags
    the labelled raw text already had (as :func:`churnlab.data.privacy.mask_free_text`)."""
    from pyspark.sql import functions as F

    if not text_columns:
        return {}
    wanted = [(c, tag) for c in text_columns for tag in TAGS]
    after = table.agg(*[_occurrences(c, tag) for c, tag in wanted]).first()
    labelled = raw.filter(F.col(LABEL).isNotNull())
    before = labelled.agg(*[_occurrences(c, tag) for c, tag in wanted]).first()
    counts: dict[str, dict[str, int]] = {}
    for i, (column, tag) in enumerate(wanted):
        found = int(after[i] or 0) - int(before[i] or 0)
        if found:
            counts.setdefault(column, {})[TAGS[tag]] = found
    return counts


def figures(raw, table, doc: dict, sample_quality: dict) -> dict:
    """The data-quality figures of the whole table (``raw`` with its label column ``_y``)."""
    from pyspark.sql.types import StringType

    counts = sample_quality.pop("_counts")
    n, labelled, positive = counts["n"], counts["labelled"], counts["positive"]
    columns = {c: e for c, e in doc["columns"].items() if e["type"] != "drop"}
    summaries, variants, shares = _summaries(table, columns, labelled)
    plain = raw.drop(LABEL, ROW)  # the columns as read
    strings = {f.name for f in table.schema.fields if isinstance(f.dataType, StringType)}
    masked = masked_counts(raw, table, [c for c in columns if c in strings])
    actions = {c: a for c, a in sample_quality["privacy"].items() if not a.startswith(MASKED)}
    actions.update({c: privacy.masked_summary(k) for c, k in masked.items()})
    classes = {"0": labelled - positive, "1": positive}
    return {
        **sample_quality,
        "rows_in": n,
        "rows_out": labelled,
        "target_missing": n - labelled,
        "duplicate_rows": n - plain.distinct().count(),
        "completeness": round(float(1 - np.mean(shares)), 6) if labelled else 0,
        "missing_share": {c: s["missing_share"] for c, s in summaries.items()},
        "label_rate": round(float(positive / labelled), 6),
        "class_counts": {k: v for k, v in classes.items() if v},
        "columns": summaries,
        "category_variants": variants,
        "privacy": actions,
    }
