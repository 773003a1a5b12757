"""Pseudonymised keys and no direct identifiers in anything prepare writes."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from churnlab import io
from churnlab.data import privacy, userdata
from churnlab.errors import UserError
from conftest import SALT, small_params
from test_userdata import N, churn_table, user_params

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


# Direct identifiers inside free text (issue 15, item 2).

# 80 distinct full names (a name column), each word repeated in about 60 notes.
FIRST = ["Noah", "Olivia", "Liam", "Amelia", "Oscar", "Isla", "Arthur", "Freya", "Elodie", "Ravi"]
LAST = ["Thomas", "Okafor", "Nakamura", "Kowalski", "Fitzgerald", "Lindqvist", "Moreau", "Banda"]


def pii_table(n: int = N) -> pd.DataFrame:
    """The user churn table with names, emails and phones repeated inside its notes, and
    columns named like pydantic attributes and like the key prepare writes."""
    table = churn_table(n)
    rng = np.random.default_rng(5)
    first, last = rng.choice(FIRST, n), rng.choice(LAST, n)
    table["full_name"] = [f"{a} {b}" for a, b in zip(first, last, strict=True)]
    table["notes"] = [
        f"Spoke with {a} {b} ({a.lower()}.{b.lower()}{i}@example.org, +44 7700 9{i:05d}) "
        f"about {note}; call back on (020) 7946-{i:04d} after 2024-05-0{i % 9 + 1}"
        for i, (a, b, note) in enumerate(zip(first, last, table["notes"], strict=True))
    ]
    table["model_dump"] = rng.normal(size=n).round(3)
    table["model_config"] = rng.choice(["x", "y"], n)
    table["_internal"] = rng.integers(0, 9, n)
    table["customer_key"] = rng.choice(["k1", "k2", "k3"], n)
    return table


def pii_secrets(table: pd.DataFrame) -> list[str]:
    """Strings that no output may hold: names, email parts, phone numbers."""
    return [*FIRST, *LAST, "@example.org", "7700 9", "7946-", *table["contact"].head(3)]


def test_mask_free_text_patterns_and_counts():
    frame = pd.DataFrame(
        {
            "note": [
                "Spoke with Noah Thomas (noah.t@mail.example.co.uk, +44 7700 900123)",
                "call (555) 123-4567 on 2024-01-05 about 1,234.56; card 4111 1111 1111 1111",
                "IBAN GB82 WEST 1234 5698 7654 32, noah left 2024-01-01T10:00:00 (Noah's)",
                None,
            ],
            "fee": [1.5, 2.0, 3.0, 4.0],
        }
    )
    masked, counts = privacy.mask_free_text(frame, frozenset({"noah", "thomas"}))
    assert masked["note"].iloc[0] == "Spoke with <name> <name> (<email>, <phone>)"
    assert masked["note"].iloc[1] == "call <phone> on 2024-01-05 about 1,234.56; card <card>"
    # Dates and amounts are not phones; a lower-case common word is not taken for a name.
    assert masked["note"].iloc[2] == "IBAN <account>, noah left 2024-01-01T10:00:00 (<name>)"
    assert pd.isna(masked["note"].iloc[3])
    assert counts == {"note": {"emails": 1, "accounts": 1, "phones": 2, "cards": 1, "names": 3}}
    assert masked["fee"].equals(frame["fee"])
    assert privacy.mask_free_text(frame[["fee"]])[1] == {}


def test_name_words_come_from_name_columns_only():
    columns = {
        "FullName": pd.Series(["Noah O'Brien", None]),
        "plan": pd.Series(["Basic"]),  # not a name column
    }
    assert privacy.name_words(columns) == {"noah", "o'brien"}


def test_prepare_masks_free_text_and_reports_the_counts():
    table = pii_table()
    prepared = userdata.prepare_user_table(table, user_params("in.csv").data, SALT)
    notes = prepared.table["notes"]
    assert notes.str.count("<email>").sum() == len(table)
    assert notes.str.count("<phone>").sum() == 2 * len(table)
    assert notes.str.contains("<name> <name>").all()
    assert notes.str.contains("2024-05-0").all()  # dates kept
    for secret in pii_secrets(table):
        assert not notes.str.contains(secret, regex=False).any(), secret
    n = len(table)
    assert prepared.quality["privacy"]["notes"] == (
        f"free text: masked {n} emails, {2 * n} phones, {2 * n} names"
    )


def test_columns_named_like_prepare_outputs_do_not_break_it():
    """Issue 15, item 5: a user column ``customer_key`` failed prepare."""
    table = pii_table()
    prepared = userdata.prepare_user_table(table, user_params("in.csv").data, SALT)
    assert prepared.table["customer_key"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert prepared.schema["columns"]["customer_key"]["type"] == "drop"
    assert "reserved" in prepared.schema["columns"]["customer_key"]["reason"]
    for name in ("model_dump", "model_config", "_internal"):
        assert name in prepared.table
    # The id column itself may be called customer_key: it becomes the pseudonymous key.
    renamed = table.drop(columns="customer_key").rename(columns={"CustomerRef": "customer_key"})
    params = user_params("in.csv", id="customer_key").data
    again = userdata.prepare_user_table(renamed, params, SALT)
    assert again.table["customer_key"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert not again.table["customer_key"].isin(renamed["customer_key"]).any()


def vocabulary(model: object) -> set[str]:
    """Every term of every fitted text vectoriser inside a model (any depth)."""
    terms: set[str] = set()
    stack, seen = [model], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif type(item).__module__.startswith(("sklearn", "churnlab")):
            terms.update(getattr(item, "vocabulary_", {}) or {})
            stack.extend(vars(item).values())
    return terms


@pytest.mark.e2e
def test_no_pii_in_outputs_cache_or_vocabulary_and_any_column_name_serves(tmp_path):
    """The whole pipeline (``dvc repro``) on a table whose notes repeat the customers' names,
    emails and phones, with columns named ``model_dump``, ``model_config``, ``_internal`` and
    ``customer_key``: no output, no file in the DVC cache and no term of the model holds them,
    and the trained model serves a row of that table."""
    from churnlab import package
    from churnlab.serving.api import create_app
    from churnlab.serving.scorer import Scorer
    from test_api import asgi_request
    from test_e2e import REPO, light, run, set_param, tracked_files

    table = pii_table()
    table.to_csv(tmp_path / "pii.csv", index=False)
    root = tmp_path / "repo"
    for name in tracked_files():
        if not name.startswith(("metrics/", "plots/", "studies/")) and name != "dvc.lock":
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / name)
    data = user_params(tmp_path / "pii.csv").data.model_dump(mode="json")
    for key in ("source", "path", "target", "positive", "id", "columns", "snapshot_date"):
        set_param(root, f"data.{key}", data[key])
    # Every stage still runs and writes what is searched below; the model selection of user
    # data against one cheap candidate and without the train+valid refit (seven more fits).
    light(root, {"train.candidates": ["logreg"], "train.refit": "train"})
    run(["git", "init", "-q", "-b", "main"], root)
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-qm", "copy"], root)
    run(["dvc", "repro"], root)

    secrets = [s.encode() for s in pii_secrets(table)]
    checked = 0
    for folder in (".dvc/cache", "data", "models", "metrics", "plots", "reports"):
        for file in (root / folder).rglob("*"):
            if file.is_file():
                checked += 1
                content = file.read_bytes()
                assert not [s for s in secrets if s in content], file
    assert checked > 30
    terms = vocabulary(package.load(root / "models/pipeline.skops"))
    assert {"email", "phone", "name"} <= terms  # the notes were used, masked
    words = {w for term in terms for w in term.split()}
    assert not words & ({w.lower() for w in FIRST + LAST} | {"example", "org", "7700", "7946"})
    quality = io.read_json(root / "metrics/data_quality.json")
    assert quality["privacy"]["notes"].startswith(f"free text: masked {len(table)} emails")

    app = create_app(Scorer.load(root / "models", small_params().serve))
    rows = json.loads(table.head(3).to_json(orient="records", date_format="iso"))
    status, body = asgi_request(app, "POST", "/predict", json.dumps({"customers": rows}).encode())
    assert status == 200, body
    answer = json.loads(body)
    assert [p["customer_key"] for p in answer["predictions"]] == table["CustomerRef"][:3].tolist()
