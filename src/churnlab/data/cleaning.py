"""Cleaning the raw customer table: duplicates, category spellings, impossible values.

Pure functions on data frames; each returns the cleaned frame and counts of what it changed,
so prepare can report them in ``metrics/data_quality.json``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# Spelling variants seen in CRM exports, keyed by the normalised form (lower case,
# alphanumerics only). Values not listed keep their normalised-whitespace lower-case form.
CATEGORY_SYNONYMS: dict[str, dict[str, str]] = {
    "region": {
        "north": "North",
        "n": "North",
        "south": "South",
        "east": "East",
        "west": "West",
        "central": "Central",
        "centre": "Central",
    },
    "contract": {
        "monthtomonth": "month-to-month",
        "m2m": "month-to-month",
        "oneyear": "one-year",
        "1year": "one-year",
        "twoyear": "two-year",
        "2years": "two-year",
        "2year": "two-year",
    },
    "payment_method": {
        "creditcard": "credit card",
        "banktransfer": "bank transfer",
        "echeck": "electronic check",
        "electroniccheck": "electronic check",
        "mailedcheck": "mailed check",
    },
    "plan": {"basic": "basic", "standard": "standard", "premium": "premium"},
}

# Plausible ranges; values outside become missing (counted), never silently kept.
VALID_RANGES: dict[str, tuple[float, float]] = {
    "age": (16, 110),
    "monthly_fee": (0, 10_000),
    "satisfaction": (1, 5),
}

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_categories(values: pd.Series, synonyms: dict[str, str]) -> tuple[pd.Series, int]:
    """Map spelling variants onto one canonical value; return the values and how many changed."""
    # pandas' "str" dtype: missing values are NaN, which scikit-learn's imputers understand
    # (the nullable "string" dtype's pd.NA breaks them).
    text = values.astype("str")
    uniques = text.dropna().unique()
    mapping = {}
    for raw in uniques:
        key = _NOT_ALNUM.sub("", raw.lower())
        mapping[raw] = synonyms.get(key, " ".join(raw.lower().split()))
    cleaned = text.map(mapping, na_action="ignore").astype("str")
    changed = int((cleaned != text)[text.notna()].sum())
    return cleaned, changed


def clean_customers(customers: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """Drop duplicate customers, fix spellings, turn impossible values into missing ones."""
    report: dict[str, dict[str, int]] = {"spelling_fixed": {}, "invalid_to_missing": {}}
    before = len(customers)
    frame = customers.drop_duplicates().drop_duplicates("customer_id", keep="first")
    report["duplicates_removed"] = {"customers": before - len(frame)}
    frame = frame.reset_index(drop=True)
    for column, synonyms in CATEGORY_SYNONYMS.items():
        if column in frame:
            frame[column], changed = normalise_categories(frame[column], synonyms)
            report["spelling_fixed"][column] = changed
    for column, (low, high) in VALID_RANGES.items():
        if column in frame:
            values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
            invalid = values.notna() & ~values.between(low, high)
            report["invalid_to_missing"][column] = int(invalid.sum())
            frame[column] = values.mask(invalid, np.nan)
    return frame, report


def active_at(customers: pd.DataFrame, snapshot: pd.Timestamp) -> pd.Series:
    """Customers who had signed up and not closed their account before the snapshot."""
    signed_up = customers["signup_date"] < snapshot
    open_then = customers["closed_at"].isna() | (customers["closed_at"] >= snapshot)
    return signed_up & open_then
