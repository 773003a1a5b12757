"""Splitting the prepared customers into train / validation / test parts.

Stratified on the label with a seed by default; ``time`` puts the oldest customers (by
``time_column``) in train and the newest in test. One row per customer, so no customer can
fall into two parts.
"""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from churnlab.config.params import SplitParams
from churnlab.errors import UserError


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
    counts = frame[target].value_counts()
    if len(counts) < 2 or counts.min() < 3:
        raise UserError(f"cannot stratify on {target!r}: class counts {counts.to_dict()}")
    train, rest = train_test_split(
        frame, train_size=p.train, stratify=frame[target], random_state=p.seed
    )
    valid, test = train_test_split(
        rest, train_size=p.valid / (p.valid + p.test), stratify=rest[target], random_state=p.seed
    )
    return {
        name: part.sort_index().reset_index(drop=True)
        for name, part in (("train", train), ("valid", valid), ("test", test))
    }
