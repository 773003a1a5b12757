"""The point-in-time customer snapshot: one row per active customer as of ``snapshot_date``.

DuckDB joins the cleaned customers with the event tables (logins, payments, support tickets)
and computes windowed aggregates from events strictly before the snapshot only. The label
looks only after it: churn is an account closure or no login at all within
``churn_window_days`` after the snapshot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from churnlab.config.columns import TARGET
from churnlab.config.params import Params


@dataclass(frozen=True)
class Windows:
    snapshot: dt.date
    churn_window_days: int
    short_days: int
    long_days: int


def trend_ratio(short, long, short_days: int, long_days: int) -> np.ndarray:
    """Activity in the short window over the same-length rate in the rest of the long window.

    Above 1 means growing, below 1 fading; the +1 smoothing keeps it finite for quiet customers.
    """
    short = np.asarray(short, dtype="float64")
    rest_rate = (np.asarray(long, dtype="float64") - short) * short_days / (long_days - short_days)
    return (short + 1.0) / (rest_rate + 1.0)


_SNAPSHOT_SQL = """
WITH
logins AS (SELECT DISTINCT customer_id, login_at FROM logins_raw),
payments AS (SELECT DISTINCT customer_id, paid_at, amount, status FROM payments_raw),
tickets AS (SELECT DISTINCT ON (ticket_id) * FROM tickets_raw),
login_before AS (
    SELECT customer_id,
           count(*) FILTER (WHERE login_at >= $snap - to_days($short)) AS logins_short,
           count(*) FILTER (WHERE login_at >= $snap - to_days($long)) AS logins_long,
           max(login_at) AS last_login_at
    FROM logins WHERE login_at < $snap GROUP BY customer_id),
login_after AS (
    SELECT customer_id, count(*) AS logins_after FROM logins
    WHERE login_at >= $snap AND login_at < $snap + to_days($window) GROUP BY customer_id),
pay AS (
    SELECT customer_id,
           sum(amount) FILTER (WHERE status = 'ok' AND paid_at >= $snap - to_days($short))
               AS spend_short,
           sum(amount) FILTER (WHERE status = 'ok' AND paid_at >= $snap - to_days($long))
               AS spend_long,
           count(*) FILTER (WHERE status = 'failed' AND paid_at >= $snap - to_days($long))
               AS failed_payments_long
    FROM payments WHERE paid_at < $snap GROUP BY customer_id),
tick AS (
    SELECT customer_id,
           count(*) AS tickets_total,
           count(*) FILTER (WHERE created_at >= $snap - to_days($long)) AS tickets_long,
           string_agg(description, ' | ' ORDER BY created_at, ticket_id)
               FILTER (WHERE created_at >= $snap - to_days($long)) AS ticket_text
    FROM tickets WHERE created_at < $snap GROUP BY customer_id)
SELECT c.customer_id,
       coalesce(lb.logins_short, 0) AS logins_short,
       coalesce(lb.logins_long, 0) AS logins_long,
       date_diff('second', lb.last_login_at, $snap) / 86400.0 AS days_since_last_login,
       round(coalesce(p.spend_short, 0), 2) AS spend_short,
       round(coalesce(p.spend_long, 0), 2) AS spend_long,
       coalesce(p.failed_payments_long, 0) AS failed_payments_long,
       coalesce(t.tickets_long, 0) AS tickets_long,
       coalesce(t.tickets_total, 0) AS tickets_total,
       coalesce(t.ticket_text, '') AS ticket_text,
       (c.closed_at IS NOT NULL AND c.closed_at < $snap + to_days($window))
           OR coalesce(la.logins_after, 0) = 0 AS churned
FROM customers c
LEFT JOIN login_before lb USING (customer_id)
LEFT JOIN login_after la USING (customer_id)
LEFT JOIN pay p USING (customer_id)
LEFT JOIN tick t USING (customer_id)
ORDER BY c.customer_id
"""


def _rename_windows(frame: pd.DataFrame, w: Windows) -> pd.DataFrame:
    names = {}
    for column in frame.columns:
        if column.endswith("_short"):
            names[column] = column.removesuffix("_short") + f"_{w.short_days}d"
        elif column.endswith("_long"):
            names[column] = column.removesuffix("_long") + f"_{w.long_days}d"
    return frame.rename(columns=names)


def build_snapshot(
    con: duckdb.DuckDBPyConnection, customers: pd.DataFrame, w: Windows
) -> pd.DataFrame:
    """Aggregate the event views ``logins_raw``, ``payments_raw``, ``tickets_raw`` on ``con``.

    ``customers`` holds the cleaned, active customers; the result has one row each, in
    ``customer_id`` order, with their attributes, windowed features and the label.
    """
    con.register("customers", customers[["customer_id", "closed_at"]])
    snap = dt.datetime.combine(w.snapshot, dt.time())
    events = con.execute(
        _SNAPSHOT_SQL,
        {"snap": snap, "short": w.short_days, "long": w.long_days, "window": w.churn_window_days},
    ).df()
    con.unregister("customers")
    events["login_trend"] = trend_ratio(
        events["logins_short"], events["logins_long"], w.short_days, w.long_days
    )
    events["spend_trend"] = trend_ratio(
        events["spend_short"], events["spend_long"], w.short_days, w.long_days
    )
    attributes = customers.drop(columns=["closed_at"]).set_index("customer_id")
    snapshot = attributes.join(events.set_index("customer_id"), how="inner").reset_index()
    if "signup_date" in snapshot:  # user event logs may come without a signup date
        snapshot["tenure_days"] = (pd.Timestamp(snap) - snapshot["signup_date"]).dt.days
    snapshot[TARGET] = snapshot[TARGET].astype("int8")
    return _rename_windows(snapshot, w).sort_values("customer_id", ignore_index=True)


def windows(params: Params) -> Windows:
    return Windows(
        params.data.snapshot_date,
        params.data.churn_window_days,
        params.prepare.short_window_days,
        params.prepare.long_window_days,
    )
