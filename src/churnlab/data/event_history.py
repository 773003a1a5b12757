"""All-time features of a user's event log: frequency, monetary value, customer age, gaps, types.

The windowed features of :mod:`churnlab.data.snapshot` look at the last 30/90 days; these look
at the whole history, under the same point-in-time rule (only events strictly before
``snapshot_date``), with the DuckDB SQL below over the views that
:func:`churnlab.data.events.register_views` creates (``logins_raw`` = activity events,
``payments_raw`` = events with an amount, ``events_in`` = every event with its ``kind``).
Each family is switched by ``data.events.all_time``. Customers without the events a feature
needs get NaN (gaps and ratios: fewer than two activity events; means: no amount) or 0
(counts, totals).
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pandas as pd

from churnlab.config.events import AllTimeParams

_DAYS = "/ 86400.0"
_ACTIVITY_SQL = f"""
WITH
logins AS (SELECT DISTINCT customer_id, login_at FROM logins_raw WHERE login_at < $snap),
gaps AS (
    SELECT customer_id, login_at,
           date_diff('second', lag(login_at) OVER (PARTITION BY customer_id ORDER BY login_at),
                     login_at) {_DAYS} AS gap
    FROM logins),
activity AS (
    SELECT customer_id,
           count(*) AS logins_total,
           date_diff('second', min(login_at), max(login_at)) {_DAYS} / nullif(count(*) - 1, 0)
               AS gap_mean_days,
           arg_max(gap, login_at) AS gap_last_days,
           date_diff('second', max(login_at), $snap) {_DAYS} AS recency
    FROM gaps GROUP BY customer_id),
spend AS (
    SELECT customer_id, sum(amount) AS spend_total, avg(amount) AS spend_mean
    FROM (SELECT DISTINCT customer_id, paid_at, amount, status FROM payments_raw)
    WHERE paid_at < $snap AND status = 'ok' AND amount IS NOT NULL GROUP BY customer_id),
first_event AS (
    SELECT customer_id, date_diff('second', min(ts), $snap) {_DAYS} AS days_since_first_event
    FROM events_in WHERE ts < $snap GROUP BY customer_id)
SELECT c.customer_id,
       coalesce(a.logins_total, 0) AS logins_total,
       round(coalesce(s.spend_total, 0), 2) AS spend_total,
       s.spend_mean,
       f.days_since_first_event,
       a.gap_mean_days,
       a.gap_last_days,
       a.recency / nullif(a.gap_mean_days, 0) AS overdue_ratio
FROM customer_ids c
LEFT JOIN activity a USING (customer_id)
LEFT JOIN spend s USING (customer_id)
LEFT JOIN first_event f USING (customer_id)
ORDER BY c.customer_id
"""

# Types ranked by their events before the snapshot (ties by name); the first $max_types keep
# their own count, every other type (and a missing type) is counted as "other".
_TYPES_SQL = """
WITH
before AS (SELECT customer_id, kind FROM events_in WHERE ts < $snap),
ranked AS (
    SELECT kind, row_number() OVER (ORDER BY count(*) DESC, kind) AS rank
    FROM before WHERE kind IS NOT NULL GROUP BY kind)
SELECT b.customer_id, if(r.rank <= $max_types, r.rank, 0) AS rank,
       if(r.rank <= $max_types, r.kind, NULL) AS kind, count(*) AS events
FROM before b LEFT JOIN ranked r USING (kind)
WHERE b.customer_id IN (SELECT customer_id FROM customer_ids)
GROUP BY ALL
"""

FAMILIES = {
    "frequency": ["logins_total"],
    "monetary": ["spend_total", "spend_mean"],
    "age": ["days_since_first_event"],
    "gaps": ["gap_mean_days", "gap_last_days", "overdue_ratio"],
}
OTHER_TYPES = "type_other_total"


def type_column(kind: str, taken: set[str]) -> str:
    """A readable column name for an event type: ``type_<lower-case words>_total``, unique."""
    slug = re.sub(r"[^0-9a-z]+", "_", str(kind).lower()).strip("_") or "blank"
    name, n = f"type_{slug}_total", 2
    while name in taken or name == OTHER_TYPES:
        name, n = f"type_{slug}_{n}_total", n + 1
    return name


def type_counts(
    con: duckdb.DuckDBPyConnection, ids: pd.Series, snap: dt.datetime, max_types: int
) -> pd.DataFrame:
    """Events per customer and type before ``snap``: one column per frequent type (0 filled)."""
    long = con.execute(_TYPES_SQL, {"snap": snap, "max_types": max_types}).df()
    kinds = long.loc[long["rank"] > 0].drop_duplicates("rank").sort_values("rank")
    names: dict[int, str] = {}
    for rank, kind in zip(kinds["rank"], kinds["kind"], strict=True):
        names[int(rank)] = type_column(kind, set(names.values()))
    if (long["rank"] == 0).any():
        names[0] = OTHER_TYPES
    long["column"] = long["rank"].map(names)
    wide = long.pivot_table(
        index="customer_id", columns="column", values="events", aggfunc="sum", fill_value=0
    )
    wide = wide.reindex(index=pd.Index(ids, name="customer_id"), columns=list(names.values()))
    return wide.fillna(0).astype("int64").rename_axis(columns=None)


def all_time_features(
    con: duckdb.DuckDBPyConnection,
    ids: pd.Series,
    snapshot: dt.date,
    p: AllTimeParams,
    amount: bool,
    types: bool,
) -> pd.DataFrame:
    """The switched-on all-time features of the customers ``ids``, indexed by ``customer_id``.

    ``amount`` / ``types``: whether the log maps an amount / a type column (the monetary
    features and the counts per type need them).
    """
    snap = dt.datetime.combine(snapshot, dt.time())
    con.register("customer_ids", pd.DataFrame({"customer_id": ids.to_numpy()}))
    try:
        table = con.execute(_ACTIVITY_SQL, {"snap": snap}).df().set_index("customer_id")
        wanted = [
            c
            for family, columns in FAMILIES.items()
            if getattr(p, family) and (family != "monetary" or amount)
            for c in columns
        ]
        table = table[wanted]
        if p.type_counts and types:
            table = table.join(type_counts(con, ids, snap, p.max_types))
    finally:
        con.unregister("customer_ids")
    return table
