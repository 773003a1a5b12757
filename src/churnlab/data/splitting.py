"""Splitting the prepared customers into train / validation / test parts.

Stratified on the label with a seed by default: a customer's part is a pure function of its
key, its label and the seed (the rank of a seeded hash of the key within its class), so any
engine and any partitioning give the same split; :mod:`churnlab.engine.split` is the Spark SQL
translation of :func:`split_hash` and :func:`assign_parts`. ``time`` puts the oldest customers
(by ``time_column``) in train and the newest in test. One row per customer, so no customer can
fall into two parts; every part is ordered by customer key.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from churnlab.config.columns import CUSTOMER_KEY
from churnlab.config.params import SplitParams
from churnlab.errors import UserError

PARTS = ("train", "valid", "test")
# Hex digits of the SHA-256 kept as the rank: 60 bits fit a signed 64-bit integer on both engines.
HASH_HEX = 15


def split_hash(keys: pd.Series, seed: int) -> np.ndarray:
    """The seeded rank of each key: the first 60 bits of ``sha256("<seed>:<key>")``."""
    digests = (
        hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:HASH_HEX] for key in keys.astype(str)
    )
    return np.fromiter((int(d, 16) for d in digests), dtype=np.int64, count=len(keys))


def class_bounds(counts: dict, p: SplitParams) -> dict:
    """Per class label: how many of its customers (by rank) go to train, and to train+valid."""
    return {
        label: (round(n * p.train), round(n * p.train) + round(n * p.valid))
        for label, n in counts.items()
    }


def check_stratifiable(counts: dict, target: str) -> None:
    if len(counts) < 2 or min(counts.values()) < 3:
        raise UserError(f"cannot stratify on {target!r}: class counts {counts}")


def assign_parts(frame: pd.DataFrame, p: SplitParams, target: str) -> pd.Series:
    """The part (train / valid / test) of every customer, by rank of its hash in its class."""
    counts = {k: int(v) for k, v in frame[target].value_counts().sort_index().items()}
    check_stratifiable(counts, target)
    ranked = pd.DataFrame(
        {"label": frame[target].to_numpy(), "h": split_hash(frame[CUSTOMER_KEY], p.seed)},
        index=frame.index,
    ).assign(key=frame[CUSTOMER_KEY].astype(str).to_numpy())
    ranked = ranked.sort_values(["label", "h", "key"], kind="stable")
    position = ranked.groupby("label").cumcount().to_numpy()
    bounds = class_bounds(counts, p)
    first = np.array([bounds[label][0] for label in ranked["label"]])
    second = np.array([bounds[label][1] for label in ranked["label"]])
    part = np.where(position < first, "train", np.where(position < second, "valid", "test"))
    return pd.Series(part, index=ranked.index).loc[frame.index]


def split_customers(frame: pd.DataFrame, p: SplitParams, target: str) -> dict[str, pd.DataFrame]:
    if p.method == "time":
        if p.time_column not in frame:
            raise UserError(
                f"params.yaml: split.time_column {p.time_column!r} is not a column; "
                f"available: {sorted(frame.columns)}"
            )
        ordered = frame.sort_values([p.time_column], kind="stable", ignore_index=True)
        n_train = round(len(ordered) * p.train)
        n_valid = round(len(ordered) * p.valid)
        return {
            "train": ordered.iloc[:n_train].reset_index(drop=True),
            "valid": ordered.iloc[n_train : n_train + n_valid].reset_index(drop=True),
            "test": ordered.iloc[n_train + n_valid :].reset_index(drop=True),
        }
    part = assign_parts(frame, p, target).to_numpy()
    return {
        name: frame[part == name].sort_values(CUSTOMER_KEY, kind="stable", ignore_index=True)
        for name in PARTS
    }
