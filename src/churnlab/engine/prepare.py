"""The prepare stage on Spark for the synthetic source: raw tables → the prepared snapshot.

The Spark translation of :func:`churnlab.stages.prepare.main`'s synthetic path, step by step:
cleaning (:func:`churnlab.data.cleaning.clean_customers`: exact and id duplicates, category
spellings mapped from the distinct values the executors find, impossible values to missing),
the active customers, the point-in-time snapshot (the DuckDB SQL of
:mod:`churnlab.data.snapshot` translated by :mod:`churnlab.engine.dialect`), the trend ratios
and the keyed hash of the ids (the local functions, run per batch in pandas UDFs, so both
engines give the same values and customer keys), and the data-quality figures as Spark
aggregates. Only distinct category values and counts reach the driver, never the table. The
prepared table is written in ``customer_id`` order (the id then dropped), as locally.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from churnlab.config import paths
from churnlab.config.columns import CUSTOMER_KEY, TARGET
from churnlab.config.params import Params
from churnlab.data import cleaning, privacy, raw_tables, snapshot
from churnlab.engine import dialect, tables
from churnlab.engine.campaign import campaign_balance
from churnlab.errors import UserError

log = logging.getLogger(__name__)
ROW = "_row"  # (file, position) order, for "keep the first" of repeated ids


NANOS_AS_LONG = "spark.sql.legacy.parquet.nanosAsLong"


def nanos_columns(where: Path) -> list[str]:
    """Columns pandas wrote as nanosecond timestamps (Spark reads them only as longs) in a
    local Parquet file or directory."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    schema = ds.dataset(where, format="parquet").schema
    return [f.name for f in schema if pa.types.is_timestamp(f.type) and f.type.unit == "ns"]


def read_raw(spark, raw_dir: Path = paths.RAW) -> dict:
    """The four raw tables as Spark DataFrames, with the columns prepare reads; nanosecond
    timestamps (``closed_at`` as pandas writes it) read as longs and turned into timestamps
    (call inside :func:`nanos_as_long`)."""
    from pyspark.sql import functions as F

    frames = {}
    for table, schema in raw_tables.RAW_SCHEMA.items():
        where = raw_dir / f"{table}.parquet"
        frame = tables.read(spark, str(where.resolve()))
        missing = [c for c in schema if c not in frame.columns]
        if missing:
            raise UserError(f"{where} lacks column(s) {missing}; it has {sorted(frame.columns)}")
        for column in nanos_columns(where) if where.exists() else []:
            micros = F.expr(f"`{column}` div 1000")
            frame = frame.withColumn(column, F.timestamp_micros(micros).cast("timestamp_ntz"))
        frames[table] = frame
    return frames


@contextlib.contextmanager
def nanos_as_long(spark):
    """Spark's reading of nanosecond Parquet timestamps as longs, for one stage's run."""
    before = spark.conf.get(NANOS_AS_LONG, "false")
    spark.conf.set(NANOS_AS_LONG, "true")
    try:
        yield
    finally:
        spark.conf.set(NANOS_AS_LONG, before)


def _spelling(column: str, values: list[str], synonyms: dict[str, str]):
    """The column with its spellings mapped from its distinct ``values`` as locally."""
    from pyspark.sql import functions as F

    uniques = pd.Series(sorted(values), dtype="str")
    cleaned, _ = cleaning.normalise_categories(uniques, synonyms)
    pairs = [F.lit(x) for pair in zip(uniques, cleaned, strict=True) for x in pair]
    lookup = F.create_map(*pairs) if pairs else F.create_map()
    text = F.col(column).cast("string")
    return F.when(text.isNull(), F.lit(None).cast("string")).otherwise(lookup[text])


def clean_customers(customers) -> tuple:
    """Spark :func:`~churnlab.data.cleaning.clean_customers`: the frame and its report (three
    Spark jobs: the count before, the distinct spellings, the counts of what changed)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    columns = [c for c in customers.columns if c != ROW]
    before = customers.count()
    first = Window.partitionBy("customer_id").orderBy(ROW)
    frame = (
        customers.dropDuplicates(columns)
        .withColumn("_n", F.row_number().over(first))
        .filter(F.col("_n") == 1)
        .drop("_n")
    ).cache()
    spelt = [c for c in cleaning.CATEGORY_SYNONYMS if c in columns]
    ranged = [c for c in cleaning.VALID_RANGES if c in columns]
    distinct = [F.collect_set(F.col(c).cast("string")).alias(c) for c in spelt]
    found = frame.agg(F.count(F.lit(1)).alias("_rows"), *distinct).first()
    changed, cleaned = [], frame
    for column in spelt:
        mapped = _spelling(column, found[column], cleaning.CATEGORY_SYNONYMS[column])
        text = F.col(column).cast("string")
        changed.append(F.count_if(text.isNotNull() & (mapped != text)).alias(f"s_{column}"))
        cleaned = cleaned.withColumn(column, mapped)
    for column in ranged:
        values = F.col(column).cast("double")
        low, high = cleaning.VALID_RANGES[column]
        invalid = values.isNotNull() & ~values.between(low, high)
        changed.append(F.count_if(invalid).alias(f"r_{column}"))
        cleaned = cleaned.withColumn(column, F.when(invalid, None).otherwise(values))
    counts = frame.agg(*changed).first() if changed else {}
    report = {
        "spelling_fixed": {c: int(counts[f"s_{c}"]) for c in spelt},
        "invalid_to_missing": {c: int(counts[f"r_{c}"]) for c in ranged},
        "duplicates_removed": {"customers": before - int(found["_rows"])},
    }
    return cleaned, report


def _trend(short_days: int, long_days: int):
    from pyspark.sql import functions as F

    @F.pandas_udf("double")
    def trend(short: pd.Series, long: pd.Series) -> pd.Series:
        return pd.Series(snapshot.trend_ratio(short, long, short_days, long_days))

    return trend


def _pseudonym(salt: bytes):
    from pyspark.sql import functions as F

    @F.pandas_udf("string")
    def key(ids: pd.Series) -> pd.Series:
        return privacy.pseudonymise(ids, salt).astype(object)

    return key


def build_snapshot(spark, raw: dict, customers, w: snapshot.Windows):
    """Spark :func:`churnlab.data.snapshot.build_snapshot` over the raw event tables, with
    ``customer_id`` still in; the customers are the cleaned, active ones."""
    from pyspark.sql import functions as F

    snap = dt.datetime.combine(w.snapshot, dt.time())
    views = {f"{name}_raw": raw[name] for name in ("logins", "payments", "tickets")}
    views["customers"] = customers.select("customer_id", "closed_at")
    args = {"snap": snap, "short": w.short_days, "long": w.long_days, "window": w.churn_window_days}
    # The module's one definition of the snapshot query (private there: only engines read it).
    events = dialect.run(spark, snapshot._SNAPSHOT_SQL, args, views)
    trend = _trend(w.short_days, w.long_days)
    events = events.withColumn("login_trend", trend("logins_short", "logins_long"))
    events = events.withColumn("spend_trend", trend("spend_short", "spend_long"))
    attributes = customers.drop("closed_at", ROW)
    table = attributes.join(events, on="customer_id", how="inner")
    if "signup_date" in attributes.columns:
        since = F.timestamp_diff("DAY", F.col("signup_date"), dialect.timestamp(snap))
        table = table.withColumn("tenure_days", since)
    table = table.withColumn(TARGET, F.col(TARGET).cast("tinyint"))
    renamed = snapshot._rename_windows(pd.DataFrame(columns=table.columns), w).columns
    names = dict(zip(table.columns, renamed, strict=True))
    return table.select(*[F.col(c).alias(names.get(c, c)) for c in table.columns])


def quality_figures(raw: dict, rows_in: int, active: int, prepared, report: dict) -> dict:
    """:func:`churnlab.data.quality.snapshot_figures` as Spark aggregates (one pass)."""
    from pyspark.sql import functions as F

    features = [c for c in prepared.columns if c != TARGET]
    aggregates = [F.count(F.lit(1)).alias("_rows"), F.sum(TARGET).alias("_positive")]
    aggregates += [F.count_if(F.col(c).isNull()).alias(c) for c in features]
    row = prepared.agg(*aggregates).first()
    n = int(row["_rows"])
    duplicates = {t: raw[t].count() - raw[t].distinct().count() for t in ("logins", "payments")}
    return {
        "rows_in": rows_in,
        "rows_out": n,
        "not_active_at_snapshot": active,
        "duplicates_removed": {**report["duplicates_removed"], **duplicates},
        "spelling_fixed": report["spelling_fixed"],
        "invalid_to_missing": report["invalid_to_missing"],
        # As pandas: the mean of a 0/1 column, numpy's rounding to six places.
        "missing_share": {c: float(np.round(int(row[c]) / n, 6)) for c in features},
        "label_rate": round(float(int(row["_positive"]) / n), 6),
        "n_columns": len(prepared.columns),
    }


def run(spark, params: Params, salt: bytes) -> dict:
    """Write the prepared table and the truth where ``engine.spark.storage`` says; return the
    data-quality figures."""
    with nanos_as_long(spark):
        return _run(spark, params, salt)


def _run(spark, params: Params, salt: bytes) -> dict:
    from pyspark.sql import functions as F

    sp = params.engine.spark
    raw = read_raw(spark)
    # A chunked table's part files may be read in any order: the file name orders them.
    order = F.struct(F.input_file_name(), F.monotonically_increasing_id())
    raw["customers"] = raw["customers"].withColumn(ROW, order)
    rows_in = raw["customers"].count()
    customers, report = clean_customers(raw["customers"])
    snap = dialect.timestamp(dt.datetime.combine(params.data.snapshot_date, dt.time()))
    is_active = (F.col("signup_date") < snap) & (
        F.col("closed_at").isNull() | (F.col("closed_at") >= snap)
    )
    active = customers.filter(is_active)
    n_active = active.count()
    log.info("building the snapshot of %d active customers on Spark", n_active)
    table = build_snapshot(spark, raw, active, snapshot.windows(params))
    dropped = [c for c in privacy.DIRECT_IDENTIFIERS if c in table.columns]
    key = _pseudonym(salt)
    prepared = table.drop(*dropped).select(
        key("customer_id").alias(CUSTOMER_KEY), *[c for c in table.columns if c not in dropped]
    )
    tables.write_stage_table(spark, sp, prepared, paths.PREPARED, True, "customer_id")
    prepared = tables.read(spark, tables.location(sp, paths.PREPARED))
    not_active = rows_in - report["duplicates_removed"]["customers"] - n_active
    dq = quality_figures(raw, rows_in, not_active, prepared, report)
    dq["identifiers_dropped"] = dropped
    truth = tables.read(spark, str((paths.RAW / "truth.parquet").resolve()))
    others = [c for c in truth.columns if c != "customer_id"]
    truth = truth.withColumn(CUSTOMER_KEY, key("customer_id"))
    truth = truth.join(prepared.select(CUSTOMER_KEY), on=CUSTOMER_KEY, how="left_semi")
    truth = truth.select(*others, CUSTOMER_KEY)  # the key last, as locally
    tables.write_stage_table(spark, sp, truth, paths.TRUTH)
    if params.uplift.enabled and "treated" in others:  # the past campaign's balance
        dq["campaign_balance"] = campaign_balance(prepared, truth)
    return dq
