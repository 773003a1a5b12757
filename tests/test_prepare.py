"""The prepare stage as a whole: raw tables in, clean pseudonymised snapshot and quality out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from churnlab import io
from churnlab.config.params import parse_params
from churnlab.data import raw_tables
from churnlab.errors import UserError
from churnlab.stages import prepare

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def params():
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["synthetic"]["n_customers"] = 1500
    return parse_params(raw)


@pytest.fixture
def prepared_dir(tmp_path, monkeypatch, params):
    monkeypatch.chdir(tmp_path)
    prepare.main(params)
    return tmp_path


def test_prepare_writes_snapshot_quality_and_truth(prepared_dir):
    prepared = pd.read_parquet(prepared_dir / "data/prepared/customers.parquet")
    quality = io.read_json(prepared_dir / "metrics/data_quality.json")
    truth = pd.read_parquet(prepared_dir / "data/prepared/truth.parquet")
    assert len(prepared) == 1500 == quality["rows_out"]
    assert quality["rows_in"] > quality["rows_out"]  # duplicates and late sign-ups removed
    assert quality["duplicates_removed"]["customers"] > 0
    assert quality["not_active_at_snapshot"] > 0
    assert sum(quality["spelling_fixed"].values()) > 0
    assert quality["invalid_to_missing"]["age"] >= 0
    assert quality["label_rate"] == pytest.approx(prepared["churned"].mean(), abs=1e-6)
    assert set(truth["customer_key"]) == set(prepared["customer_key"])
    assert prepared["customer_key"].is_unique


def test_no_raw_identifier_leaves_prepare(prepared_dir):
    raw = pd.read_parquet(prepared_dir / "data/raw/customers.parquet")
    prepared = pd.read_parquet(prepared_dir / "data/prepared/customers.parquet")
    assert not {"name", "email", "phone", "customer_id"} & set(prepared.columns)
    text = prepared.astype(str).to_numpy().ravel()
    for value in (raw["customer_id"].iloc[0], raw["email"].iloc[0], raw["phone"].iloc[0]):
        assert value not in text


def test_missing_raw_table_is_named(tmp_path):
    with pytest.raises(UserError, match=r"logins\.parquet is missing"):
        raw = tmp_path / "raw"
        raw.mkdir()
        io.write_table(pd.DataFrame({"customer_id": ["a"]}), raw / "customers.parquet")
        raw_tables.open_raw(raw)


def test_corrupt_raw_table_is_named(prepared_dir):
    raw = prepared_dir / "data/raw"
    (raw / "payments.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(UserError, match=r"payments\.parquet"):
        raw_tables.open_raw(raw)


def test_wrong_column_type_is_named(prepared_dir, tmp_path):
    raw = tmp_path / "raw_copy"
    shutil.copytree(prepared_dir / "data/raw", raw)
    logins = pd.read_parquet(raw / "logins.parquet")
    logins["login_at"] = logins["login_at"].astype(str)
    io.write_table(logins, raw / "logins.parquet")
    with pytest.raises(UserError, match=r"logins.parquet: column 'login_at' must be a time"):
        raw_tables.open_raw(raw)


def test_missing_column_is_named(prepared_dir, tmp_path):
    raw = tmp_path / "raw_copy"
    shutil.copytree(prepared_dir / "data/raw", raw)
    payments = pd.read_parquet(raw / "payments.parquet").drop(columns=["amount"])
    io.write_table(payments, raw / "payments.parquet")
    with pytest.raises(UserError, match=r"payments.parquet lacks column\(s\) \['amount'\]"):
        raw_tables.open_raw(raw)


def test_outputs_hold_only_what_this_run_wrote(prepared_dir, params):
    """Files an earlier (user-data) run left in the persisted outputs are removed."""
    io.write_json({"source": "csv"}, prepared_dir / "data/raw/source.json")
    io.write_json({}, prepared_dir / "data/prepared/old.json")
    prepare.main(params)
    raw = sorted(p.name for p in (prepared_dir / "data/raw").iterdir())
    assert raw == sorted(f"{t}.parquet" for t in (*raw_tables.RAW_TABLES, "truth"))
    prepared = sorted(p.name for p in (prepared_dir / "data/prepared").iterdir())
    assert prepared == ["customers.parquet", "schema.json", "truth.parquet"]
