"""Pseudonymised keys and no direct identifiers in anything prepare writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab import io
from churnlab.data import privacy
from churnlab.errors import UserError
from conftest import SALT

IDS = pd.Series(["CU00000001", "CU00000002", "CU00000003", "CU00000001"], index=[5, 6, 7, 8])


def test_pseudonymise_is_deterministic_for_one_salt():
    first = privacy.pseudonymise(IDS, b"salt-1")
    second = privacy.pseudonymise(IDS.copy(), b"salt-1")
    pd.testing.assert_series_equal(first, second)
    assert first.iloc[0] == first.iloc[3]  # same id, same key
    assert first.iloc[:3].is_unique
    assert first.index.equals(IDS.index)
    assert first.name == "customer_key"


def test_pseudonymise_differs_for_another_salt():
    first = privacy.pseudonymise(IDS, b"salt-1")
    other = privacy.pseudonymise(IDS, b"salt-2")
    assert not (first == other).any()


def test_pseudonym_never_contains_the_raw_id():
    hexlike = pd.Series(["12345678", "deadbeef", "abc12345"])  # ids that look like hex
    for ids in (IDS, hexlike):
        keys = privacy.pseudonymise(ids, b"salt-1")
        for raw, key in zip(ids, keys, strict=True):
            assert raw not in key
            assert len(key) == 16


def test_salt_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(privacy.SALT_ENV, "from-env")
    assert privacy.salt_from_env() == b"from-env"
    monkeypatch.delenv(privacy.SALT_ENV)
    assert privacy.salt_from_env() == privacy.SYNTHETIC_DEFAULT_SALT.encode()


def test_missing_salt_without_default_is_a_user_error(monkeypatch):
    monkeypatch.delenv(privacy.SALT_ENV, raising=False)
    with pytest.raises(UserError, match=privacy.SALT_ENV):
        privacy.salt_from_env(default=None)


def test_drop_direct_identifiers():
    frame = pd.DataFrame({"customer_id": ["a"], "name": ["N"], "phone": ["1"], "age": [3]})
    dropped, present = privacy.drop_direct_identifiers(frame)
    assert present == ["name", "phone"]
    assert list(dropped.columns) == ["customer_id", "age"]


@pytest.fixture(scope="module")
def outputs(prepare_run) -> dict[str, pd.DataFrame]:
    return {
        "prepared": io.read_table(prepare_run / "data/prepared/customers.parquet"),
        "truth": io.read_table(prepare_run / "data/prepared/truth.parquet"),
    }


def _all_text(frame: pd.DataFrame) -> set[str]:
    values: set[str] = set()
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            values |= set(frame[column].dropna().astype(str))
    return values


def test_prepared_output_has_no_direct_identifiers(outputs, raw_data):
    for name, frame in outputs.items():
        assert not {"name", "email", "phone", "customer_id"} & set(frame.columns), name
    text = _all_text(outputs["prepared"])
    customers = raw_data.customers
    for column in ("name", "email", "phone"):
        assert not text & set(customers[column]), column


def test_prepared_output_has_no_raw_ids(outputs, raw_data):
    raw_ids = set(raw_data.customers["customer_id"])
    for name, frame in outputs.items():
        text = _all_text(frame)
        assert not text & raw_ids, name
        assert not any(value.startswith(("CU0", "CL0")) for value in text), name


def test_prepared_output_is_keyed_by_the_salted_pseudonym(outputs, snapshot_frame):
    prepared = outputs["prepared"]
    assert list(prepared.columns[:1]) == ["customer_key"]
    expected = privacy.pseudonymise(snapshot_frame["customer_id"], SALT)
    assert prepared["customer_key"].tolist() == expected.tolist()
    assert prepared["customer_key"].is_unique


def test_truth_uses_the_same_keys_as_the_prepared_table(outputs):
    prepared, truth = outputs["prepared"], outputs["truth"]
    assert set(truth["customer_key"]) == set(prepared["customer_key"])
    assert truth["customer_key"].is_monotonic_increasing


def test_data_quality_report_lists_the_dropped_identifiers(prepare_run):
    quality = io.read_json(prepare_run / "metrics/data_quality.json")
    assert sorted(quality["identifiers_dropped"]) == ["email", "name", "phone"]
    assert "customer_id" not in quality["missing_share"]


def test_identifier_columns_in_user_data_are_found_even_when_names_repeat():
    from churnlab.data.privacy import find_direct_identifiers

    rng = np.random.default_rng(0)
    first = np.array([f"First{i}" for i in range(30)])
    last = np.array([f"Last{i}" for i in range(30)])
    n = 5000
    frame = pd.DataFrame(
        {
            # ~900 distinct names over 5,000 customers: repeated, yet an identifier.
            "name": np.char.add(np.char.add(rng.choice(first, n), " "), rng.choice(last, n)),
            "PhoneService": rng.choice(["Yes", "No"], n),  # named like one, but a category
            "plan_name": rng.choice(["basic", "standard", "premium"], n),
            "contact_email": [f"user{i}@example.com" for i in range(n)],
        }
    )
    found = find_direct_identifiers(frame)
    assert set(found) == {"name", "contact_email"}
