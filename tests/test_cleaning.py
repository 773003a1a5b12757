"""Cleaning: duplicates dropped and counted, spellings mapped, impossible values made missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab.data import cleaning, synth
from conftest import REAL_DATA, SNAPSHOT


def customers(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"customer_id": [f"C{i}" for i in range(n)]}
    return pd.DataFrame({**base, **columns})


def test_exact_and_id_duplicates_are_removed_and_counted():
    frame = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B", "C", "C"],
            "age": [30.0, 30.0, 40.0, 50.0, 51.0],
        }
    )
    cleaned, report = cleaning.clean_customers(frame)
    assert cleaned["customer_id"].tolist() == ["A", "B", "C"]
    assert report["duplicates_removed"] == {"customers": 2}
    # The first row of a customer wins.
    assert cleaned.loc[cleaned["customer_id"] == "C", "age"].item() == 50.0
    assert cleaned.index.equals(pd.RangeIndex(3))


@pytest.mark.parametrize(
    ("column", "raw", "canonical"),
    [
        ("contract", "M2M", "month-to-month"),
        ("contract", "Month-to-Month", "month-to-month"),
        ("contract", "month to month", "month-to-month"),
        ("contract", "1 year", "one-year"),
        ("contract", "2 years", "two-year"),
        ("region", " South", "South"),
        ("region", "NORTH ", "North"),
        ("region", "N.", "North"),
        ("region", "Centre", "Central"),
        ("payment_method", "E-check", "electronic check"),
        ("payment_method", "creditcard", "credit card"),
        ("plan", "Premium", "premium"),
    ],
)
def test_spelling_variants_are_mapped(column, raw, canonical):
    cleaned, report = cleaning.clean_customers(customers(**{column: [raw, canonical]}))
    assert cleaned[column].tolist() == [canonical, canonical]
    assert report["spelling_fixed"][column] == 1


@pytest.mark.parametrize("column", sorted(synth.MESSY_SPELLINGS))
def test_every_generated_variant_maps_back_to_its_canonical_value(column):
    pairs = [
        (variant, canonical)
        for canonical, variants in synth.MESSY_SPELLINGS[column].items()
        for variant in variants
    ]
    values = pd.Series([variant for variant, _ in pairs])
    cleaned, changed = cleaning.normalise_categories(values, cleaning.CATEGORY_SYNONYMS[column])
    assert cleaned.tolist() == [canonical for _, canonical in pairs]
    assert changed == len(pairs)


def test_unknown_spelling_is_normalised_not_invented():
    cleaned, changed = cleaning.normalise_categories(
        pd.Series(["  Far   East ", "North", None]), cleaning.CATEGORY_SYNONYMS["region"]
    )
    assert cleaned.iloc[0] == "far east"
    assert cleaned.iloc[1] == "North"
    assert pd.isna(cleaned.iloc[2])
    assert changed == 1


def test_impossible_values_become_missing_and_are_counted():
    frame = customers(
        age=[200.0, 35.0, np.nan, 5.0],
        monthly_fee=[-1.0, 49.0, 20_000.0, 19.0],
        satisfaction=[3.0, 7.0, 1.0, np.nan],
    )
    cleaned, report = cleaning.clean_customers(frame)
    assert report["invalid_to_missing"] == {"age": 2, "monthly_fee": 2, "satisfaction": 1}
    assert cleaned["age"].isna().tolist() == [True, False, True, True]
    assert cleaned["monthly_fee"].tolist()[1::2] == [49.0, 19.0]
    assert cleaned["monthly_fee"].isna().tolist() == [True, False, True, False]
    assert cleaned["satisfaction"].isna().tolist() == [False, True, False, True]


def test_clean_does_not_modify_its_input():
    frame = customers(region=["north", "North"], age=[200.0, 30.0])
    before = frame.copy()
    cleaning.clean_customers(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_synthetic_customers_come_out_clean(raw_data):
    cleaned, report = cleaning.clean_customers(raw_data.customers)
    assert cleaned["customer_id"].is_unique
    assert report["duplicates_removed"]["customers"] == (
        len(raw_data.customers) - raw_data.customers["customer_id"].nunique()
    )
    assert set(cleaned["region"].dropna()) <= set(synth.REGIONS)
    assert set(cleaned["contract"].dropna()) <= set(synth.CONTRACTS)
    assert set(cleaned["payment_method"].dropna()) <= set(synth.PAYMENT_METHODS)
    assert cleaned["age"].max() <= 110
    assert cleaned["monthly_fee"].min() >= 0
    assert report["invalid_to_missing"]["age"] == int(
        (raw_data.customers.drop_duplicates("customer_id")["age"] == 200).sum()
    )
    assert report["spelling_fixed"]["region"] > 0


def test_active_at_keeps_only_customers_open_at_the_snapshot():
    day = pd.Timedelta(days=1)
    frame = pd.DataFrame(
        {
            "customer_id": [
                "old",
                "late",
                "at_snapshot",
                "closed_before",
                "closed_at_snapshot",
                "closed_after",
            ],
            "signup_date": [
                SNAPSHOT - 400 * day,
                SNAPSHOT + 3 * day,
                SNAPSHOT,
                SNAPSHOT - 90 * day,
                SNAPSHOT - 90 * day,
                SNAPSHOT - 90 * day,
            ],
            "closed_at": pd.to_datetime(
                [None, None, None, SNAPSHOT - day, SNAPSHOT, SNAPSHOT + 5 * day]
            ),
        }
    )
    active = cleaning.active_at(frame, SNAPSHOT)
    assert dict(zip(frame["customer_id"], active, strict=True)) == {
        "old": True,
        "late": False,
        "at_snapshot": False,
        "closed_before": False,
        "closed_at_snapshot": True,
        "closed_after": True,
    }


def test_active_at_drops_the_late_signups(raw_data):
    cleaned, _ = cleaning.clean_customers(raw_data.customers)
    active = cleaning.active_at(cleaned, SNAPSHOT)
    assert set(cleaned.loc[active, "customer_id"]) == set(raw_data.truth["customer_id"])


@pytest.mark.skipif(not REAL_DATA.exists(), reason="real Telco data not present")
def test_real_contract_spellings_map_to_canonical_values():
    real = pd.read_csv(REAL_DATA, usecols=["Contract"])
    cleaned, changed = cleaning.normalise_categories(
        real["Contract"], cleaning.CATEGORY_SYNONYMS["contract"]
    )
    assert set(cleaned) == set(synth.CONTRACTS)
    assert changed == len(real)
