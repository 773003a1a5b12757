"""Train / validation / test splits: disjoint, sized by params, stratified or by time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab.config.columns import TARGET
from churnlab.config.params import SplitParams
from churnlab.data.splitting import split_customers
from churnlab.errors import UserError
from conftest import small_params

NAMES = ("train", "valid", "test")


def keys(part: pd.DataFrame) -> set[str]:
    return set(part["customer_key"])


def test_parts_are_disjoint_and_cover_every_customer(split_parts, prepared):
    assert set(split_parts) == set(NAMES)
    train, valid, test = (keys(split_parts[n]) for n in NAMES)
    assert not train & valid
    assert not train & test
    assert not valid & test
    assert train | valid | test == keys(prepared)
    assert sum(len(p) for p in split_parts.values()) == len(prepared)


def test_sizes_match_the_fractions(split_parts, prepared):
    p = small_params().split
    for name in NAMES:
        assert abs(len(split_parts[name]) - getattr(p, name) * len(prepared)) <= 1, name


@pytest.mark.parametrize(("train", "valid", "test"), [(0.7, 0.15, 0.15), (0.5, 0.3, 0.2)])
def test_other_fractions(prepared, train, valid, test):
    parts = split_customers(prepared, SplitParams(train=train, valid=valid, test=test), TARGET)
    for name, fraction in zip(NAMES, (train, valid, test), strict=True):
        assert abs(len(parts[name]) - fraction * len(prepared)) <= 1, name


def test_stratification_keeps_the_label_rate(split_parts, prepared):
    overall = prepared[TARGET].mean()
    for name, part in split_parts.items():
        assert abs(part[TARGET].mean() - overall) <= 0.01, name


def test_same_seed_gives_the_same_split(prepared, split_parts):
    again = split_customers(prepared, small_params().split, TARGET)
    for name in NAMES:
        pd.testing.assert_frame_equal(again[name], split_parts[name])


def test_other_seed_gives_another_split(prepared, split_parts):
    other = split_customers(prepared, SplitParams(seed=12345), TARGET)
    assert keys(other["test"]) != keys(split_parts["test"])


def test_rows_are_unchanged_by_the_split(split_parts, prepared):
    by_key = prepared.set_index("customer_key")
    for part in split_parts.values():
        pd.testing.assert_frame_equal(
            part.set_index("customer_key"), by_key.loc[part["customer_key"]], check_names=False
        )
        assert part.index.equals(pd.RangeIndex(len(part)))


def test_time_split_puts_older_signups_in_train(prepared):
    parts = split_customers(prepared, SplitParams(method="time"), TARGET)
    train, valid, test = (parts[n]["signup_date"] for n in NAMES)
    assert train.max() <= valid.min()
    assert valid.max() <= test.min()
    assert sum(len(p) for p in parts.values()) == len(prepared)
    assert keys(parts["train"]) | keys(parts["valid"]) | keys(parts["test"]) == keys(prepared)
    assert abs(len(parts["train"]) - 0.7 * len(prepared)) <= 1


def test_time_split_on_an_unknown_column_names_it(prepared):
    with pytest.raises(UserError, match=r"split\.time_column 'joined_at'"):
        split_customers(prepared, SplitParams(method="time", time_column="joined_at"), TARGET)


def test_stratified_split_with_one_class_is_a_user_error():
    frame = pd.DataFrame({"customer_key": [str(i) for i in range(50)], TARGET: np.zeros(50)})
    with pytest.raises(UserError, match="cannot stratify"):
        split_customers(frame, SplitParams(), TARGET)


@pytest.mark.parametrize(("train", "valid", "test"), [(0.8, 0.15, 0.15), (0.6, 0.1, 0.1)])
def test_bad_fractions_are_caught_in_params(train, valid, test):
    with pytest.raises(UserError, match="split: train \\+ valid \\+ test must sum to 1"):
        small_params(split={"train": train, "valid": valid, "test": test})
