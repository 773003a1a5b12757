"""Who got the offer, with what probability: read and checked where it enters.

Synthetic data carries its campaign log in the truth table (``treated``, ``propensity``,
``true_uplift``, keyed by customer); user data names a column of its customers table
(``uplift.treatment`` and its ``uplift.treated_value``) and optionally a propensity column
(else the campaign is taken as randomised: everyone's propensity is the share treated). Bad
input — the column missing, a treatment with other than two values, only one group, a
propensity outside (0, 1) — is a :class:`~churnlab.errors.UserError` naming the column; the
check runs before anything is written, so nothing is lost. :func:`balance` gives the
standardised mean differences of treated and control on numeric columns, the usual check that
a campaign was randomised (|SMD| > 0.1 is commonly read as imbalance).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from churnlab.errors import UserError

SMD_WARNING = 0.1


def treatment_flags(frame: pd.DataFrame, column: str, treated_value, source: str) -> np.ndarray:
    """0/1 per row: 1 where ``column`` equals ``treated_value``; checked."""
    if column not in frame.columns:
        raise UserError(
            f"{source}: the treatment column {column!r} (uplift.treatment) is missing; "
            f"columns: {sorted(map(str, frame.columns))}"
        )
    values = frame[column]
    if values.isna().any():
        raise UserError(f"{source}: column {column!r} has {int(values.isna().sum())} empty rows")
    distinct = pd.unique(values)
    if len(distinct) != 2:
        raise UserError(
            f"{source}: the treatment column {column!r} must have exactly two values "
            f"(offered or not), found {len(distinct)}: {sorted(map(str, distinct))[:10]}"
        )
    flags = (values.astype(str) == str(treated_value)).to_numpy()
    if flags.all() or not flags.any():
        raise UserError(
            f"{source}: no {'control' if flags.all() else 'treated'} customers — column "
            f"{column!r} has values {sorted(map(str, distinct))}, uplift.treated_value is "
            f"{treated_value!r}; uplift needs both groups"
        )
    return flags.astype("int8")


def propensities(frame: pd.DataFrame, column: str, flags: np.ndarray, source: str) -> np.ndarray:
    """The logged propensity, or the share treated (a randomised campaign) when unnamed."""
    if not column:
        return np.full(len(flags), float(np.mean(flags)))
    if column not in frame.columns:
        raise UserError(f"{source}: the propensity column {column!r} is missing")
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(values) | (values <= 0) | (values >= 1)
    if bad.any():
        raise UserError(
            f"{source}: column {column!r} must hold propensities strictly between 0 and 1; "
            f"{int(bad.sum())} rows do not"
        )
    return values


def smd(mean_a: float, var_a: float, mean_b: float, var_b: float) -> float | None:
    """Standardised mean difference of group a over group b: the difference of the means over
    the pooled standard deviation ``sqrt((var_a + var_b) / 2)`` (population variances),
    rounded to 6 decimals; None when the column has no spread (or a figure is missing)."""
    spread = math.sqrt((var_a + var_b) / 2) if var_a + var_b >= 0 else math.nan
    if not spread > 0:  # also NaN
        return None
    return round(float((mean_a - mean_b) / spread), 6)


def balance(frame: pd.DataFrame, flags: np.ndarray) -> dict[str, float]:
    """Standardised mean difference (:func:`smd`, treated − control) per numeric column;
    columns without spread are left out."""
    treated, control = flags == 1, flags == 0
    out = {}
    for column in frame.select_dtypes("number").columns:
        values = frame[column].to_numpy(dtype="float64")
        a, b = values[treated], values[control]
        value = smd(np.nanmean(a), np.nanvar(a), np.nanmean(b), np.nanvar(b))
        if value is not None:
            out[str(column)] = value
    return out


def imbalanced(smd: dict[str, float], limit: float = SMD_WARNING) -> list[str]:
    """Columns whose |SMD| exceeds ``limit``, worst first."""
    return sorted((c for c, v in smd.items() if abs(v) > limit), key=lambda c: -abs(smd[c]))


def balance_report(frame: pd.DataFrame, flags: np.ndarray, limit: float = SMD_WARNING) -> dict:
    """The data-quality report's campaign section: group sizes, every numeric column's SMD
    and those beyond ``limit`` (worst first)."""
    differences = balance(frame, flags)
    treated = int(np.sum(flags))
    return {
        "treated": treated,
        "control": len(flags) - treated,
        "smd": differences,
        "smd_limit": limit,
        "imbalanced": imbalanced(differences, limit),
    }
