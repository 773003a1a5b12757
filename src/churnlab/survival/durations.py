"""Durations and censoring: days from the snapshot to churn, from closures and activity events.

A customer churns at the account closure or at the start of the first inactivity of
``inactivity_days`` (the label's definition: no activity in the churn window), whichever
comes first. Only what happens at or after the snapshot and up to the end of the observed
history counts: an event before the snapshot never reaches the duration, one after the end is
not seen (the customer is censored). A customer without churn is censored at the last
activity seen (the inactivity that would make them a churner may start there). Durations are
whole days, at least one, so that log-time models accept them and the survival curves have
one step per day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnlab.errors import UserError

DAY = pd.Timedelta(days=1)


def _days(values: pd.Series, snapshot: pd.Timestamp) -> np.ndarray:
    return ((values - snapshot) / DAY).to_numpy(dtype="float64", copy=True)


def _inactivity_start(
    ids: pd.Index, activity: pd.DataFrame, snapshot, until: np.ndarray, inactivity_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per customer: the start of the first long inactivity (NaN if none), the last activity.

    ``until``: days from the snapshot to the end of each customer's history (the closure, or
    the end of the log): the silence after a closure is the closure, not an inactivity.
    """
    end = snapshot + pd.Timedelta(days=float(np.max(until)))
    inside = activity[(activity["ts"] >= snapshot) & (activity["ts"] <= end)]
    inside = inside[inside["customer_id"].astype("str").isin(ids)]
    ids_in = inside["customer_id"].astype("str")
    t = pd.DataFrame({"customer_id": ids_in, "t": _days(inside["ts"], snapshot)})
    t = t[t["t"] <= pd.Series(until, index=ids).reindex(t["customer_id"]).to_numpy()]
    t = t.sort_values(["customer_id", "t"], kind="stable")
    # The snapshot itself is the anchor: no activity for a whole window after it is churn at 0.
    previous = t.groupby("customer_id", sort=False)["t"].shift(1).fillna(0.0)
    gap_start = previous[(t["t"] - previous) >= inactivity_days]
    first_gap = gap_start.groupby(t.loc[gap_start.index, "customer_id"]).min()
    last = t.groupby("customer_id")["t"].max().reindex(ids).fillna(0.0).to_numpy()
    tail_gap = np.where(until - last >= inactivity_days, last, np.nan)
    start = np.fmin(first_gap.reindex(ids).to_numpy(dtype="float64"), tail_gap)
    return start, last


def _check_log(activity: pd.DataFrame) -> None:
    if "ts" not in activity or "customer_id" not in activity:
        raise UserError("durations need an activity log with customer_id and ts (timestamps)")
    if not pd.api.types.is_datetime64_any_dtype(activity["ts"]):
        raise UserError("durations need timestamps: the activity log's ts is not a date column")


def durations(
    customers: pd.DataFrame,
    activity: pd.DataFrame | None,
    snapshot: pd.Timestamp,
    end: pd.Timestamp,
    inactivity_days: int,
) -> pd.DataFrame:
    """One row per customer of ``customers`` (``customer_id``, optional ``closed_at``):
    ``customer_id, duration_days, churned_event`` from the activity log (``customer_id, ts``).

    Without an activity log (None) only closures are events and everybody else is censored at
    the end. Customers closed before the snapshot were not at risk and are left out.
    """
    snapshot, end = pd.Timestamp(snapshot), pd.Timestamp(end)
    if end <= snapshot:
        raise UserError(f"the observed history ends ({end.date()}) before the snapshot")
    if activity is not None:
        _check_log(activity)
    closed = customers.get("closed_at", pd.Series(pd.NaT, index=customers.index))
    closed = pd.to_datetime(closed)
    at_risk = closed.isna() | (closed >= snapshot)
    ids = pd.Index(customers.loc[at_risk, "customer_id"])
    if ids.has_duplicates:
        raise UserError("durations: the customers table repeats customer ids")
    horizon = (end - snapshot) / DAY
    closure = _days(closed[at_risk], snapshot)
    closure[closure > horizon] = np.nan  # after the end: unseen
    until = np.fmin(closure, horizon)
    if activity is None:
        inactive, last = np.full(len(ids), np.nan), until
    else:
        inactive, last = _inactivity_start(ids, activity, snapshot, until, inactivity_days)
    churn_at = np.fmin(closure, inactive)
    event = ~np.isnan(churn_at)
    days = np.where(event, churn_at, last)
    return pd.DataFrame(
        {
            "customer_id": ids.to_numpy(),
            "duration_days": np.maximum(np.ceil(days), 1.0),
            "churned_event": event,
        }
    )


def check_target(duration: np.ndarray, event: np.ndarray, where: str) -> None:
    """A duration must be a positive finite number and every event flag 0/1 (one message)."""
    duration = np.asarray(duration, dtype="float64")
    if len(duration) != len(event):
        raise UserError(f"{where}: {len(duration)} durations but {len(event)} event flags")
    bad = ~np.isfinite(duration) | (duration <= 0)
    if bad.any():
        raise UserError(
            f"{where}: {int(bad.sum())} duration(s) are not positive, e.g. {duration[bad][0]!r}"
        )
    if not np.isin(np.asarray(event), [0, 1, True, False]).all():
        raise UserError(f"{where}: event flags must be 0/1")
    if not np.asarray(event).astype(bool).any():
        raise UserError(f"{where}: no customer churned in the observed history")
