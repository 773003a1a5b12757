"""Multi-table user data: a customers table and an event log → the point-in-time snapshot.

The event log (customer id, timestamp, optional amount, type and text) is mapped onto the
three event views the synthetic snapshot reads — activity events as ``logins_raw``, events
with an amount (or a failed-payment type) as ``payments_raw``, events with text as
``tickets_raw`` — so :func:`churnlab.data.snapshot.build_snapshot`, the same DuckDB SQL as the
synthetic path, computes the windowed features from events strictly before ``snapshot_date``
and the label from what happens after it (closure, or no activity in the churn window).
The result, one row per customer with a 0/1 ``churned`` column, then goes through
:func:`churnlab.data.userdata.prepare_user_table` (privacy, schema, quality gate) like any table.
"""

from __future__ import annotations

import datetime as dt
import logging

import duckdb
import numpy as np
import pandas as pd

from churnlab.config.columns import TARGET
from churnlab.config.params import ColumnSpec, DataParams
from churnlab.data.event_history import all_time_features
from churnlab.data.snapshot import Windows, build_snapshot
from churnlab.errors import UserError

log = logging.getLogger(__name__)

_NO_PAYMENTS = "SELECT customer_id, ts AS paid_at, 0.0 AS amount, 'ok' AS status FROM events_in "
_NO_TICKETS = (
    "SELECT 0::BIGINT AS ticket_id, customer_id, ts AS created_at, ''::VARCHAR AS description "
    "FROM events_in "
)


def _timestamps(values: pd.Series, what: str) -> pd.Series:
    """Naive timestamps (UTC if zoned); a value that is not a date fails naming the column."""
    if pd.api.types.is_datetime64_any_dtype(values):
        when = values
    else:
        text = values.astype("string").str.strip()
        text = text.where(text != "")
        when = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        bad = text.notna() & when.isna()
        if bad.any():  # other spellings, parsed one by one (slow, so only where needed)
            when[bad] = pd.to_datetime(text[bad], errors="coerce", utc=True, format="mixed")
            bad = text.notna() & when.isna()
        if bad.any():
            raise UserError(
                f"{what}: {int(bad.sum())} value(s) are not dates, e.g. {text[bad].iloc[0]!r}"
            )
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_convert("UTC").dt.tz_localize(None)
    return when.astype("datetime64[us]")


def _column(frame: pd.DataFrame, column: str, key: str, where: str) -> pd.Series:
    if column not in frame:
        raise UserError(f"{key} {column!r} is not a column of {where}; available: {list(frame)}")
    return frame[column]


def event_frame(raw: pd.DataFrame, p: DataParams) -> pd.DataFrame:
    """The log as ``customer_id, ts, amount, is_activity, is_failed, kind, text, event_no``."""
    out = event_columns(raw, p)
    out = out[out["customer_id"].notna() & out["ts"].notna()].drop_duplicates()
    out["event_no"] = np.arange(len(out), dtype="int64")  # a stable tie-break for text order
    return out.reset_index(drop=True)


def event_columns(raw: pd.DataFrame, p: DataParams, check_empty: bool = True) -> pd.DataFrame:
    """Each row of the log mapped (``customer_id`` ... ``text``), rows not yet filtered: a
    function of the row alone, so the Spark engine runs it per batch. ``check_empty``: a log
    without any timestamp fails (the Spark engine checks that over all batches)."""
    e, where = p.events, "the event log " + p.events.path
    ids = _column(raw, e.customer_id, "data.events.customer_id", where)
    out = pd.DataFrame({"customer_id": ids.astype("str").str.strip()})
    when = _column(raw, e.timestamp, "data.events.timestamp", where)
    out["ts"] = _timestamps(when, f"data.events.timestamp {e.timestamp!r} in {where}")
    if check_empty and out["ts"].isna().all():
        raise UserError(f"data.events.timestamp {e.timestamp!r} in {where} has no values")
    if e.amount:
        amount = _column(raw, e.amount, "data.events.amount", where)
        if not pd.api.types.is_numeric_dtype(amount):  # blanks are missing, not bad
            amount = amount.astype("string").str.strip().replace("", pd.NA)
        out["amount"] = pd.to_numeric(amount, errors="coerce").astype("float64")
        bad = amount.notna() & out["amount"].isna()
        if bad.any():
            raise UserError(
                f"data.events.amount {e.amount!r} in {where}: {int(bad.sum())} value(s) are not "
                f"numbers, e.g. {amount[bad].iloc[0]!r}"
            )
    out["is_activity"], out["is_failed"] = True, False
    if e.type:
        kind = _column(raw, e.type, "data.events.type", where).astype("string").str.strip()
        if e.activity_types:
            out["is_activity"] = kind.isin(e.activity_types).fillna(False).astype(bool)
        out["is_failed"] = kind.isin(e.failed_types).fillna(False).astype(bool)
        out["kind"] = kind.where(kind != "")
    if e.text:
        text = _column(raw, e.text, "data.events.text", where).astype("str").str.strip()
        out["text"] = text.where(text != "")
    return out


def register_views(con: duckdb.DuckDBPyConnection, events: pd.DataFrame, p: DataParams) -> None:
    """``logins_raw``, ``payments_raw``, ``tickets_raw`` over the mapped event log."""
    con.register("events_in", events)
    for name, sql in view_queries(p).items():
        con.execute(f"CREATE VIEW {name} AS {sql}")


def view_queries(p: DataParams) -> dict[str, str]:
    """The DuckDB queries of the three event views over ``events_in`` (the Spark engine runs
    them translated, :mod:`churnlab.engine.dialect`)."""
    views = {"logins_raw": "SELECT customer_id, ts AS login_at FROM events_in WHERE is_activity"}
    if p.events.amount or p.events.failed_types:
        amount = "amount" if p.events.amount else "NULL::DOUBLE"
        views["payments_raw"] = (
            f"SELECT customer_id, ts AS paid_at, {amount} AS amount, "
            "CASE WHEN is_failed THEN 'failed' ELSE 'ok' END AS status FROM events_in "
            f"WHERE {amount} IS NOT NULL OR is_failed"
        )
    else:
        views["payments_raw"] = f"{_NO_PAYMENTS} WHERE false"
    if p.events.text:
        views["tickets_raw"] = (
            "SELECT event_no AS ticket_id, customer_id, "
            "ts AS created_at, text AS description FROM events_in WHERE text IS NOT NULL"
        )
    else:
        views["tickets_raw"] = f"{_NO_TICKETS} WHERE false"
    return views


def customer_frame(raw: pd.DataFrame, p: DataParams, snapshot: dt.date) -> pd.DataFrame:
    """Customers active at the snapshot: ``customer_id``, ``closed_at``, ``signup_date``
    (when mapped) and the other columns as attributes."""
    c, where = p.customers, f"the customers table {p.path}"
    frame = raw.rename(columns=lambda name: str(name).strip())
    names = {p.id: "customer_id"}
    for key, column, new in (
        ("signup", c.signup, "signup_date"),
        ("closed", c.closed, "closed_at"),
    ):
        if column:
            values = _column(frame, column, f"data.customers.{key}", where)
            frame[column] = _timestamps(values, f"data.customers.{key} {column!r} in {where}")
            names[column] = new
    _column(frame, p.id, "data.id", where)
    clash = sorted({"customer_id", "signup_date", "closed_at"} & (set(frame) - set(names)))
    if clash:
        raise UserError(
            f"{where} has column(s) {clash}, names prepare gives to data.id and the "
            "data.customers columns: map them there (signup, closed) or rename them"
        )
    frame = frame.rename(columns=names)
    frame["customer_id"] = frame["customer_id"].astype("str").str.strip()
    missing = frame["customer_id"].isna() | (frame["customer_id"] == "")
    if missing.any():
        log.warning("%d customers without an id in %s are left out", int(missing.sum()), where)
        frame = frame[~missing]
    repeated = int(frame["customer_id"].duplicated().sum())
    if repeated:
        raise UserError(
            f"data.id {p.id!r} is not unique: {repeated} repeated value(s); the customers "
            "table must have one row per customer"
        )
    if "closed_at" not in frame:
        frame["closed_at"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    snap = pd.Timestamp(snapshot)
    active = frame["closed_at"].isna() | (frame["closed_at"] >= snap)
    if "signup_date" in frame:
        active &= frame["signup_date"].isna() | (frame["signup_date"] < snap)
    return frame[active].reset_index(drop=True)


def _check_label_window(events: pd.DataFrame, w: Windows) -> None:
    """Without activity up to the end of the churn window, silence would read as churn."""
    activity = events.loc[events["is_activity"], "ts"]
    snap = pd.Timestamp(w.snapshot)
    end = snap + pd.Timedelta(days=w.churn_window_days)
    if activity.empty or activity.max() < snap:
        raise UserError(
            f"the event log has no activity on or after data.snapshot_date {w.snapshot}, so "
            "the churn label cannot be observed; choose an earlier snapshot_date"
        )
    if activity.max() < end:
        log.warning(
            "the last activity event (%s) is before the end of the churn window (%s): "
            "customers quiet in the uncovered days may be labelled churned",
            activity.max(),
            end,
        )


def _unmapped_features(p: DataParams, w: Windows) -> list[str]:
    """Generated columns that would be constant because their source column is not mapped."""
    drop = []
    if not p.events.amount:
        drop += [f"spend_{w.short_days}d", f"spend_{w.long_days}d", "spend_trend"]
    if not p.events.failed_types:
        drop.append(f"failed_payments_{w.long_days}d")
    if not p.events.text:
        drop += [f"tickets_{w.long_days}d", "tickets_total", "ticket_text"]
    return drop


def snapshot_table(
    customers: pd.DataFrame, events_raw: pd.DataFrame, p: DataParams, w: Windows
) -> tuple[pd.DataFrame, dict]:
    """One row per active customer (attributes, windowed event features and ``churned``),
    and figures about the event log for the data-quality report."""
    events = event_frame(events_raw, p)
    _check_label_window(events, w)
    active = customer_frame(customers, p, w.snapshot)
    other = int((~events["customer_id"].isin(active["customer_id"])).sum())
    if other:
        log.info("%d events belong to customers not active at the snapshot (ignored)", other)
    figures = {
        "rows_read": len(events_raw),
        "rows_used": len(events),  # without missing ids or times and exact duplicates
        "rows_of_other_customers": other,
        "first": str(events["ts"].min()),
        "last": str(events["ts"].max()),
        "customers_read": len(customers),
        "customers_active_at_snapshot": len(active),
    }
    reserved = set(generated_names(w)) - ({"tenure_days"} if "signup_date" not in active else set())
    _check_no_clash(active, reserved, p)
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        register_views(con, events, p)
        table = build_snapshot(con, active, w)
        e = p.events
        history = all_time_features(
            con, table["customer_id"], w.snapshot, e.all_time, bool(e.amount), bool(e.type)
        )
    finally:
        con.close()
    _check_no_clash(active, set(history.columns), p)
    table = table.drop(columns=_unmapped_features(p, w)).join(history, on="customer_id")
    table.attrs["event_features"] = [
        c for c in [*generated_names(w), *history.columns] if c in table and c != TARGET
    ]
    return table, figures


def _check_no_clash(active: pd.DataFrame, reserved: set[str], p: DataParams) -> None:
    clash = sorted(set(active) & reserved)
    if clash:
        raise UserError(
            f"the customers table {p.path} has column(s) {clash}, names of features computed "
            "from the event log; rename or drop them"
        )


def generated_names(w: Windows) -> dict[str, str]:
    """The columns :func:`build_snapshot` adds to the customer attributes, with their types."""
    s, long = w.short_days, w.long_days
    numeric = [f"logins_{s}d", f"logins_{long}d", "days_since_last_login", "login_trend"]
    numeric += [f"spend_{s}d", f"spend_{long}d", "spend_trend", f"failed_payments_{long}d"]
    numeric += [f"tickets_{long}d", "tickets_total", "tenure_days"]
    return {**dict.fromkeys(numeric, "numeric"), "ticket_text": "text", TARGET: "label"}


def as_single_table(p: DataParams, table: pd.DataFrame, w: Windows) -> DataParams:
    """The params under which the snapshot table is prepared like a single user table.

    The event features get fixed types: they are point-in-time by construction, so the
    single-column leakage heuristic (meant for columns of unknown origin) is not applied.
    """
    kinds = generated_names(w)
    names = table.attrs.get("event_features") or [c for c in kinds if c in table]
    fixed = {c: ColumnSpec(type=kinds.get(c, "numeric")) for c in names if c != TARGET}
    columns = {**fixed, **p.columns}
    return p.model_copy(
        update={"target": TARGET, "positive": 1, "id": "customer_id", "columns": columns}
    )
