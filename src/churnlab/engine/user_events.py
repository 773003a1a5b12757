"""A customers table plus an event log → the point-in-time snapshot, on Spark.

The Spark translation of :func:`churnlab.data.events.snapshot_table`, built from the local
definitions: each log row is mapped by :func:`~churnlab.data.events.event_columns` and each
customer row by :func:`~churnlab.data.events.customer_frame`, per batch with ``mapInPandas``;
the exact duplicates are dropped by Spark (the first in file order kept, whose position is the
tie-break ``event_no``); the three event views are the local DuckDB queries
(:func:`~churnlab.data.events.view_queries`) and the snapshot and all-time features the local
DuckDB SQL, translated by :mod:`churnlab.engine.dialect`; the counts per event type are
pivoted by Spark. Only counts, the first and last timestamps and the names of the most frequent
event types reach the driver.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd

from churnlab.config.columns import TARGET
from churnlab.config.params import DataParams
from churnlab.data import event_history, events
from churnlab.data.snapshot import Windows
from churnlab.engine import dialect
from churnlab.engine import prepare as on_spark
from churnlab.engine.user_sources import ROW
from churnlab.errors import UserError

log = logging.getLogger(__name__)


def mapped_events(raw, p: DataParams):
    """:func:`churnlab.data.events.event_frame` on Spark (``event_no`` is the file position)."""
    from pyspark.sql import functions as F

    e = p.events
    fields = ["customer_id string", "ts timestamp_ntz"]
    fields += ["amount double"] if e.amount else []
    fields += ["is_activity boolean", "is_failed boolean"]
    fields += ["kind string"] if e.type else []
    fields += ["text string"] if e.text else []

    def batches(frames):
        for frame in frames:
            out = events.event_columns(frame.drop(columns=[ROW]), p, check_empty=False)
            out[ROW] = frame[ROW].to_numpy()
            yield out

    mapped = raw.mapInPandas(batches, ", ".join([*fields, f"{ROW} long"]))
    if mapped.filter(F.col("ts").isNotNull()).isEmpty():
        raise UserError(
            f"data.events.timestamp {e.timestamp!r} in the event log {e.path} has no values"
        )
    columns = [f.split()[0] for f in fields]
    kept = mapped.filter(F.col("customer_id").isNotNull() & F.col("ts").isNotNull())
    return kept.groupBy(*columns).agg(F.min(ROW).alias("event_no"))


def active_customers(raw, p: DataParams, snapshot: dt.date):
    """:func:`churnlab.data.events.customer_frame` on Spark: the unique-id check by counts,
    then the local function per batch."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    if p.id not in raw.columns:  # the local function's message, from an empty frame
        events.customer_frame(pd.DataFrame(columns=raw.columns), p, snapshot)
    ids = F.trim(F.col(f"`{p.id}`").cast("string"))
    counts = raw.filter(ids.isNotNull() & (ids != "")).agg(
        F.count(F.lit(1)).alias("n"), F.count_distinct(ids).alias("distinct")
    )
    found = counts.first()
    if found["n"] != found["distinct"]:
        raise UserError(
            f"data.id {p.id!r} is not unique: {found['n'] - found['distinct']} repeated "
            "value(s); the customers table must have one row per customer"
        )
    c = p.customers
    names = {p.id: "customer_id", c.signup: "signup_date", c.closed: "closed_at"}
    names.pop("", None)
    fields = []
    for field in raw.schema.fields:
        name = names.get(field.name, field.name)
        kind = "string" if name == "customer_id" else field.dataType.simpleString()
        kind = "timestamp_ntz" if name in ("signup_date", "closed_at") else kind
        fields.append(f"`{name}` {kind}")
    if "closed_at" not in [names.get(f.name) for f in raw.schema.fields]:
        fields.append("closed_at timestamp_ntz")
    schema = StructType.fromDDL(", ".join(fields))

    def batches(frames):
        for frame in frames:
            yield events.customer_frame(frame, p, snapshot)[schema.fieldNames()]

    return raw.mapInPandas(batches, schema)


def check_label_window(mapped, w: Windows) -> None:
    """:func:`churnlab.data.events._check_label_window` from the last activity time alone."""
    from pyspark.sql import functions as F

    last = mapped.filter("is_activity").agg(F.max("ts")).first()[0]
    activity = pd.DataFrame({"ts": pd.Series([last], dtype="datetime64[us]"), "is_activity": True})
    events._check_label_window(activity.dropna(), w)


def snapshot_table(spark, customers, log_table, p: DataParams, w: Windows):
    """The snapshot (a Spark DataFrame, ``customer_id`` kept), the names of its event
    features and the figures about the event log, as the local function gives them."""
    from pyspark.sql import functions as F

    mapped = mapped_events(log_table, p).cache()
    check_label_window(mapped, w)
    active = active_customers(customers, p, w.snapshot).cache()
    ids = active.select("customer_id")
    stats = mapped.agg(F.count(F.lit(1)), F.min("ts"), F.max("ts")).first()
    figures = {
        "rows_read": log_table.count(),
        "rows_used": int(stats[0]),
        "rows_of_other_customers": mapped.join(ids, "customer_id", "left_anti").count(),
        "first": str(pd.Timestamp(stats[1])),
        "last": str(pd.Timestamp(stats[2])),
        "customers_read": customers.count(),
        "customers_active_at_snapshot": active.count(),
    }
    reserved = set(events.generated_names(w))
    if "signup_date" not in active.columns:
        reserved -= {"tenure_days"}
    attributes = [c for c in active.columns if c != ROW]
    events._check_no_clash(pd.DataFrame(columns=attributes), reserved, p)
    views = {"events_in": mapped}
    for name, sql in events.view_queries(p).items():
        views[name] = dialect.run(spark, sql, {}, {"events_in": mapped})
    raw = {name.removesuffix("_raw"): frame for name, frame in views.items()}
    table = on_spark.build_snapshot(spark, raw, active, w)
    history = all_time_features(spark, views, table.select("customer_id"), w.snapshot, p)
    computed = set(history.columns) - {"customer_id"}
    events._check_no_clash(pd.DataFrame(columns=attributes), computed, p)
    table = table.drop(*events._unmapped_features(p, w)).join(history, on="customer_id")
    names = [*events.generated_names(w), *history.columns]
    features = [c for c in names if c in table.columns and c not in (TARGET, "customer_id")]
    return table, features, figures


def all_time_features(spark, views: dict, ids, snapshot: dt.date, p: DataParams):
    """:func:`churnlab.data.event_history.all_time_features` on Spark: the same SQL, the
    counts per type pivoted by Spark (``customer_id`` and the switched-on features)."""
    from pyspark.sql import functions as F

    e = p.events
    snap = dt.datetime.combine(snapshot, dt.time())
    views = {**views, "customer_ids": ids}
    table = dialect.run(spark, event_history._ACTIVITY_SQL, {"snap": snap}, views)
    wanted = [
        c
        for family, columns in event_history.FAMILIES.items()
        if getattr(e.all_time, family) and (family != "monetary" or e.amount)
        for c in columns
    ]
    table = table.select("customer_id", *wanted)
    if not (e.all_time.type_counts and e.type):
        return table
    args = {"snap": snap, "max_types": e.all_time.max_types}
    long = dialect.run(spark, event_history._TYPES_SQL, args, views).cache()
    kinds = long.filter("rank > 0").select("rank", "kind").distinct().orderBy("rank").collect()
    names: dict[int, str] = {}
    for rank, kind in kinds:
        names[int(rank)] = event_history.type_column(kind, set(names.values()))
    if not long.filter("rank = 0").isEmpty():
        names[0] = event_history.OTHER_TYPES
    wide = long.groupBy("customer_id").pivot("rank", list(names)).agg(F.sum("events"))
    counts = [
        F.coalesce(F.col(f"`{rank}`"), F.lit(0)).cast("long").alias(name)
        for rank, name in names.items()
    ]
    wide = wide.select("customer_id", *counts)
    filled = ids.join(wide, "customer_id", "left").fillna(0, subset=list(names.values()))
    return table.join(filled, "customer_id")
