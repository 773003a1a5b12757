"""A user's per-customer table prepared on Spark: label, key, privacy, schema, quality figures.

The Spark translation of :func:`churnlab.data.userdata.prepare_user_table`. The label is the
local :func:`~churnlab.data.schema_inference.label` of the target's distinct values (collected:
a handful), mapped on the executors. The schema and its conversions are inferred by the local
function on the driver, from a seeded stratified sample of at most ``engine.spark.fit_rows``
rows in file order (every row when the table is smaller, so small data gives exactly the local
schema); the conversions are then replayed, free text masked and ids hashed on the executors
by the same local functions, per batch with ``mapInPandas``. The gate, the unique-id check and
the data-quality figures of the whole table are Spark aggregates; per categorical column its
distinct values and counts reach the driver, never the table. A value the sample did not
prepare the conversions for (text in a column of numbers) stops prepare with one line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnlab.config.columns import CUSTOMER_KEY, TARGET
from churnlab.config.engine import SparkParams
from churnlab.config.params import DataParams
from churnlab.data import conversions, privacy, quality, userdata
from churnlab.data import schema_inference as schema
from churnlab.engine.sample import stratified_rows
from churnlab.errors import UserError

log = logging.getLogger(__name__)
ID, ORDER, LABEL = "_id", "_order", "_y"
MAX_TARGET_VALUES = 10_000
TAGS = {**privacy.MASKS, "<name>": "names"}


@dataclass
class SparkPrepared:
    table: object  # Spark DataFrame: customer_key, features..., churned, _id, _order
    raw: object  # the table read, with its label column _y
    schema: dict
    quality: dict


def labels(raw, p: DataParams) -> dict:
    """Each raw target value → 1.0, 0.0 or NaN, by the local rule over the distinct values."""
    found = raw.select(p.target).distinct().limit(MAX_TARGET_VALUES + 1).collect()
    values = pd.Series([row[0] for row in found], dtype="object")
    y = schema.label(values, p.target, p.positive)
    return dict(zip(values.dropna(), y[values.notna()], strict=True))


def sample_rows(frame, sp: SparkParams, n_rows: int, order: str) -> pd.DataFrame:
    """The rows schema inference reads: every row when at most ``fit_rows``, else a seeded
    stratified sample; in file order, without helper columns, as the local reader gives them."""
    if n_rows > sp.fit_rows:
        frame = stratified_rows(frame, sp.fit_rows, sp.sample_seed, LABEL)
        log.info("inferring the schema from %d of %d rows", sp.fit_rows, n_rows)
    rows = frame.orderBy(order).drop(LABEL, *([order] if order.startswith("_") else []))
    return rows.toArrow().to_pandas(date_as_object=False)


def name_words(raw, identifiers: list[str]) -> frozenset[str]:
    """:func:`churnlab.data.privacy.name_words` of the whole table: words per batch, distinct
    words collected."""

    def words(frames):
        for frame in frames:
            found = privacy.name_words({c: frame[c] for c in identifiers})
            yield pd.DataFrame({"word": sorted(found)}, dtype="object")

    if not identifiers:
        return frozenset()
    found = raw.select(*identifiers).mapInPandas(words, "word string").distinct().collect()
    return frozenset(row[0] for row in found)


def _spark_schema(table: pd.DataFrame, order_type: str):
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_type
    from pyspark.sql.types import StringType, StructField, StructType

    fields = []
    for field in pa.Schema.from_pandas(table, preserve_index=False):
        kind = StringType() if pa.types.is_null(field.type) else from_arrow_type(field.type)
        fields.append(StructField(field.name, kind))
    extra = StructType.fromDDL(f"{ID} string, {ORDER} {order_type}")
    return StructType(fields + extra.fields)


def replay_batches(doc: dict, p: DataParams, lookup: dict, names, salt: bytes, order: str):
    """The ``mapInPandas`` function: the labelled rows of each batch prepared as locally."""

    def run(frames):
        for frame in frames:
            keep = frame[p.target].map(lookup).notna()
            rows = frame[keep].reset_index(drop=True)
            y = rows[p.target].map(lookup).astype("int8")
            ids = rows[p.id].astype("string").str.strip()
            replayed = conversions.replay(rows.drop(columns=[order], errors="ignore"), doc)
            if not replayed.ok.all():
                first = replayed.rejects.iloc[0].to_dict()
                raise UserError(
                    f"a row the schema sample did not cover cannot be read ({first}); raise "
                    "engine.spark.fit_rows or set the column's type in data.columns"
                )
            table, _ = privacy.mask_free_text(replayed.features, names)
            table.insert(0, CUSTOMER_KEY, privacy.pseudonymise(ids, salt).to_numpy())
            table[TARGET] = y.to_numpy()
            table[ID] = ids.to_numpy()
            table[ORDER] = rows[order].to_numpy()
            yield table

    return run


def prepare_table(spark, raw, p: DataParams, salt: bytes, formats, sp, order: str):
    """:class:`SparkPrepared` of the per-customer table ``raw`` (rows ordered by ``order``)."""
    from pyspark.sql import functions as F

    if not p.id:
        raise UserError(
            "prepare on Spark needs data.id (the row number of a distributed table is not a "
            "stable key); set data.id or use engine.name: local"
        )
    missing = [c for c in (p.target, p.id) if c not in raw.columns]
    if missing:  # the local function's message
        userdata.prepare_user_table(pd.DataFrame(columns=raw.columns), p, salt)
    lookup = labels(raw, p)
    pairs = [F.lit(x) for value, y in lookup.items() for x in (value, float(y))]
    y_col = F.create_map(*pairs)[F.col(f"`{p.target}`")] if pairs else F.lit(None)
    with_y = raw.withColumn(LABEL, y_col.cast("double"))
    ids = F.trim(F.col(f"`{p.id}`").cast("string"))
    counts = with_y.agg(
        F.count(F.lit(1)).alias("n"),
        F.count(LABEL).alias("labelled"),
        F.sum(LABEL).alias("positive"),
        F.count_distinct(F.when(F.col(LABEL).isNotNull(), ids)).alias("distinct"),
        F.count_if(F.col(LABEL).isNotNull() & ids.isNull()).alias("null_ids"),
    ).first()
    n, labelled, positive = counts["n"], counts["labelled"], int(counts["positive"] or 0)
    _gate(n, labelled, positive, p)
    repeated = labelled - counts["distinct"] - (1 if counts["null_ids"] else 0)
    if repeated:
        raise UserError(
            f"data.id {p.id!r} is not unique: {repeated} repeated value(s); the table must have "
            "one row per customer"
        )
    result = userdata.prepare_user_table(sample_rows(with_y, sp, n, order), p, salt, formats)
    identifiers = [c for c, e in result.schema["columns"].items() if _privacy_drop(e)]
    names = name_words(raw, identifiers)
    order_type = dict(raw.dtypes)[order]
    run = replay_batches(result.schema, p, lookup, names, salt, order)
    table = raw.mapInPandas(run, _spark_schema(result.table, order_type))
    figures = {"n": n, "labelled": labelled, "positive": positive}
    return SparkPrepared(table, with_y, result.schema, {**result.quality, "_counts": figures})


def _privacy_drop(entry: dict) -> bool:
    return entry["type"] == "drop" and entry.get("reason", "").startswith("privacy:")


def _gate(n: int, labelled: int, positive: int, p: DataParams) -> None:
    """:func:`churnlab.data.quality.gate` on the whole table's counts: the labels as category
    codes (one byte per row on the driver, -1 = missing), never the rows."""
    sizes = [n - labelled, labelled - positive, positive]
    codes = np.repeat(np.array([-1, 0, 1], dtype="int8"), sizes)
    y = pd.Series(pd.Categorical.from_codes(codes, categories=[0.0, 1.0]))
    quality.gate(n, y, p.target, p.quality)
