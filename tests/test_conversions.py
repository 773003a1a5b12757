"""The conversion record and its replay: one reading of a user's table for training and scoring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from churnlab.data import sources
from churnlab.data.conversions import check_metadata, convert, replay
from churnlab.data.userdata import prepare_user_table
from churnlab.errors import UserError
from churnlab.serving.batch import read_table, sniff_csv
from test_userdata import churn_table, user_params

SALT = b"conversions-test"


def test_numbers_in_text_blanks_and_decimal_commas():
    values = pd.Series(["1,5", " 2 ", " ", None, "NaN", "x", "1e400"], dtype="object")
    converted, bad = convert(values, {"as": "number", "decimal_comma": True})
    assert converted.iloc[:2].tolist() == [1.5, 2.0]
    assert converted.iloc[2:].isna().all()
    assert bad.tolist() == [False, False, False, False, False, True, True]


def test_yes_no_words_read_as_duckdb_reads_them():
    values = pd.Series(["Yes", "no ", "TRUE", "f", "1", "", None, "maybe"], dtype="object")
    converted, bad = convert(values, {"as": "flag"})
    assert converted.iloc[:5].tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]
    assert converted.iloc[5:].isna().all()
    assert bad.tolist() == [False] * 7 + [True]
    flags, bad = convert(pd.Series([True, False]), {"as": "flag"})
    assert flags.tolist() == [1.0, 0.0] and not bad.any()


def test_dates_in_other_time_zones_become_naive_utc():
    values = pd.Series(["2023-07-07T10:00:00Z", "2023-07-07T10:00:00+02:00", "2023-07-07", "no"])
    when, bad = convert(values, {"as": "datetime"})
    assert when.dt.tz is None
    assert when.iloc[:3].tolist() == [
        pd.Timestamp("2023-07-07 10:00"),
        pd.Timestamp("2023-07-07 08:00"),
        pd.Timestamp("2023-07-07"),
    ]
    assert bad.tolist() == [False, False, False, True]
    day_first, _ = convert(pd.Series(["05/01/2024"]), {"as": "datetime", "format": "%d/%m/%Y"})
    assert day_first.iloc[0] == pd.Timestamp("2024-01-05")  # the recorded format, not a guess


def test_categories_from_numbers_and_from_duckdb_booleans():
    codes, _ = convert(pd.Series([1.0, 2.0, np.nan, 2.5]), {"as": "category"})
    assert codes.iloc[[0, 1, 3]].tolist() == ["1", "2", "2.5"] and pd.isna(codes.iloc[2])
    words, _ = convert(pd.Series(["Yes", " no", "Maybe"]), {"as": "category", "booleans": True})
    assert words.tolist() == ["True", "False", "Maybe"]  # as DuckDB read the training file


def prepared_from(path: Path):
    """What the prepare stage makes of a user CSV (params of test_userdata)."""
    p = user_params(path)
    raw = sources.read_source(p.data)
    return prepare_user_table(raw, p.data, SALT, sources.csv_date_formats(str(path)))


@pytest.fixture(scope="module")
def user_file(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """The user table of test_userdata, with day-first dates, Yes/No flags with blanks and a
    timestamp column, as a ;-separated CSV with decimal commas."""
    table = churn_table()
    n = len(table)
    table["seen_at"] = (table["signup"] + pd.to_timedelta(np.arange(n) % 24, "h")).astype(str)
    table["signup"] = table["signup"].dt.strftime("%d/%m/%Y")  # DuckDB finds the format
    table["paperless"] = np.where(np.arange(n) % 7 == 0, "", np.resize(["Yes", "No"], n))
    table["active"] = np.resize(["Yes", "No", "No"], n)
    path = tmp_path_factory.mktemp("user") / "customers.csv"
    table.to_csv(path, sep=";", index=False)
    return path, table


@pytest.mark.e2e
def test_scoring_reads_the_training_file_as_training_did(user_file):
    """The typed read of training (DuckDB) and the text read of scoring, replayed, give the
    prepared table's columns exactly: training and scoring cannot disagree."""
    path, _ = user_file
    prepared = prepared_from(path)
    assert prepared.schema["parse"]["active"] == {"as": "flag"}
    # DuckDB typed the day-first dates: the format it found is recorded for the text read
    assert prepared.schema["parse"]["signup"]["formats"] == ["%d/%m/%Y"]
    assert prepared.schema["parse"]["paperless"] == {"as": "category", "booleans": True}
    assert prepared.schema["parse"]["fee"] == {"as": "number", "decimal_comma": True}
    text = read_table(path)
    assert (text.dtypes == "str").all()  # every cell read as text, as a user's export holds it
    assert sniff_csv(path)[1] == ";"
    replayed = replay(text, prepared.schema)
    assert replayed.ok.all() and replayed.id_column == "CustomerRef"
    assert replayed.ids.tolist() == text["CustomerRef"].tolist()
    expected = prepared.table.drop(columns=["customer_key", "churned"])
    # prepared rows are in id order; the file is in its own order
    got = replayed.features.iloc[text["CustomerRef"].argsort(kind="stable")].reset_index(drop=True)
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False)
    assert list(got.columns) == list(expected.columns)


@pytest.mark.e2e
def test_missing_and_unknown_columns_are_named(user_file):
    path, _ = user_file
    schema = prepared_from(path).schema
    text = read_table(path)
    with pytest.raises(UserError, match=r"missing columns \['fee'\]"):
        replay(text.drop(columns=["fee"]), schema)
    with pytest.raises(UserError, match=r"unknown columns \['shoe_size'\]"):
        replay(text.assign(shoe_size="42"), schema)
    # Without the id, the target and the dropped columns (constant, leaks, identifiers)
    kept = text[list(schema["parse"])]
    assert replay(kept, schema).ok.all() and replay(kept, schema).ids is None
    partial = replay(text.head(3)[["fee"]], schema, partial=True).features
    assert partial.shape == (3, len(schema["parse"])) and partial["plan"].isna().all()


@pytest.mark.e2e
def test_unreadable_values_reject_their_row_with_the_reason(user_file):
    path, _ = user_file
    prepared = prepared_from(path)
    contract = {
        "fee": {"kind": "number", "required": True},
        "plan": {"kind": "category", "required": True, "categories": ["basic", "standard"]},
    }
    text = read_table(path).head(6)
    text.loc[1, "fee"] = "twelve"
    text.loc[2, "fee"] = None
    text.loc[3, "plan"] = "platinum"
    replayed = replay(text, prepared.schema, contract)
    assert replayed.errors.iloc[1] == "fee: expected a number, got 'twelve'"
    assert replayed.errors.iloc[2] == "fee: required value missing"
    assert replayed.ok.tolist() == [True, False, False, True, True, True]
    assert replayed.rejects["reason"].tolist() == list(replayed.errors.dropna())
    assert replayed.rejects["CustomerRef"].tolist() == text["CustomerRef"].iloc[[1, 2]].tolist()
    assert replayed.unseen["plan"]["platinum"] == 1


def test_broken_metadata_names_the_model_file():
    good = {"threshold": 0.3, "input_schema": {"x": {"kind": "number", "required": True}}}
    check_metadata(good, "models/metadata.json")
    for broken, key in [
        ({**good, "threshold": "high"}, "threshold"),
        ({**good, "threshold": float("nan")}, "threshold"),
        ({**good, "input_schema": {"x": {"kind": "blob", "required": True}}}, "input_schema.x"),
        ({**good, "conversions": {"source": "csv", "columns": {}, "parse": {"x": {}}}}, "parse.x"),
    ]:
        with pytest.raises(UserError, match=f"models/metadata.json: .*{key}"):
            check_metadata(broken, "models/metadata.json")
