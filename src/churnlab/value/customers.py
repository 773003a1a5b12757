"""Customer value of a user's purchase log file: the ``churnlab clv`` command's work.

Reads a CSV or Parquet purchase log (``customer_id``, ``date``, ``amount``), checks it
(:func:`churnlab.value.purchases.check_purchase_log`: any bad row stops the work before
anything is written), fits BG/NBD and Gamma-Gamma (``value.fit_method``) on the history up to
the period end (the last purchase date unless given) and returns one row per customer with
P(alive), expected purchases, expected spend, expected value over ``value.horizon_weeks`` and
the inferred churn label.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from churnlab.config.value import ValueParams
from churnlab.errors import UserError
from churnlab.value import btyd, purchases


def read_purchase_log(path: Path) -> pd.DataFrame:
    """The raw file; UserError when it is missing or not a CSV/Parquet table."""
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except (ValueError, OSError) as exc:
        raise UserError(
            f"{path}: cannot read it as a {path.suffix or 'CSV'} table: {exc}"
        ) from None


def value_of_customers(
    path: Path, vp: ValueParams, period_end: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Per customer value (see the module docstring) from the purchase log at ``path``."""
    log = purchases.check_purchase_log(read_purchase_log(path), str(path))
    end = log["date"].max().floor("D") if period_end is None else period_end
    summary = purchases.summarise(log, end)
    if summary.empty:
        raise UserError(f"{path}: no purchase on or before the period end {end.date()}")
    fit = btyd.fit_btyd(summary, vp)
    values = btyd.customer_value(fit, summary, vp)
    return summary.merge(values, on="customer_id")
