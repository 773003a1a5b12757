"""Purchase logs in, recency-frequency-monetary summaries out, with the input checked first.

A purchase log has one row per purchase: a customer id, a date and an amount. It is checked
where it enters (:func:`check_purchase_log`): a missing column, a date that is not one or an
amount that is missing or not positive stops the work with one message naming the column and
the first bad row, before anything is written. The summaries are PyMC-Marketing's
``rfm_summary`` in weeks (days / 7): ``frequency`` (repeat purchase days), ``recency`` (first to
last purchase), ``T`` (first purchase to the end of the period) and ``monetary_value`` (mean
amount of the repeat purchases), which the BG/NBD and Gamma-Gamma models read.
"""

from __future__ import annotations

import warnings

import pandas as pd
from pymc_marketing.clv.utils import rfm_summary

from churnlab.errors import UserError

COLUMNS = ("customer_id", "date", "amount")
DAYS_PER_WEEK = 7.0


def _first_bad(frame: pd.DataFrame, bad: pd.Series) -> str:
    return f"{int(bad.sum())} row(s), first at row {frame.index[bad.to_numpy()][0]!r}"


def check_purchase_log(frame: pd.DataFrame, source: str = "purchase log") -> pd.DataFrame:
    """A checked copy of ``frame`` (``customer_id``, ``date`` as datetimes, ``amount``);
    raise UserError naming the column and the first bad row. ``frame`` is never changed."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise UserError(
            f"{source}: missing column(s) {', '.join(missing)}; a purchase log needs "
            f"{', '.join(COLUMNS)} (found: {', '.join(map(str, frame.columns)) or 'none'})"
        )
    if frame.empty:
        raise UserError(f"{source}: no purchases")
    log = frame[list(COLUMNS)].copy()
    if log["customer_id"].isna().any():
        raise UserError(
            f"{source}: customer_id is missing in {_first_bad(log, log.customer_id.isna())}"
        )
    with warnings.catch_warnings():  # mixed formats parse one by one; a bad one is NaT
        warnings.simplefilter("ignore", UserWarning)
        dates = pd.to_datetime(log["date"], errors="coerce")
    if dates.isna().any():
        raise UserError(
            f"{source}: date is missing or not a date (a timestamp is needed for every "
            f"purchase) in {_first_bad(log, dates.isna())}"
        )
    amounts = pd.to_numeric(log["amount"], errors="coerce")
    if amounts.isna().any():
        raise UserError(
            f"{source}: amount is missing or not a number in {_first_bad(log, amounts.isna())}"
        )
    if (amounts <= 0).any():
        raise UserError(
            f"{source}: amount must be positive (the Gamma-Gamma spend model) in "
            f"{_first_bad(log, amounts <= 0)}"
        )
    return log.assign(date=dates, amount=amounts.astype(float))


def summarise(log: pd.DataFrame, period_end: pd.Timestamp) -> pd.DataFrame:
    """One row per customer who bought by ``period_end``: frequency, recency, T (weeks) and
    monetary_value; purchases after ``period_end`` are left out."""
    return rfm_summary(
        log,
        "customer_id",
        "date",
        monetary_value_col="amount",
        observation_period_end=period_end,
        time_unit="D",
        time_scaler=DAYS_PER_WEEK,
    )


def purchase_days_between(
    log: pd.DataFrame, after: pd.Timestamp, until: pd.Timestamp, customers: pd.Series
) -> pd.Series:
    """Purchase days of each of ``customers`` in ``(after, until]`` (0 for none), counted as
    ``frequency`` counts them: several purchases on one day are one."""
    inside = log[(log["date"] > after) & (log["date"] <= until)]
    days = inside.assign(day=inside["date"].dt.floor("D")).drop_duplicates(["customer_id", "day"])
    counts = days.groupby("customer_id").size()
    return counts.reindex(customers.to_numpy(), fill_value=0).rename("holdout_purchases")
