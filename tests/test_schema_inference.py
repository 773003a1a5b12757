"""Schema inference on awkward columns: missing-value markers, stray tokens, mixed date
formats, and a many-valued categorical that encodes the target (out-of-fold leakage check)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from churnlab.data import leakage, quality
from churnlab.data import schema_inference as schema
from churnlab.data.conversions import replay

N = 2000


@pytest.fixture
def y() -> pd.Series:
    return pd.Series(np.random.default_rng(5).random(N) < 0.3, dtype="float64")


def _infer(frame: pd.DataFrame, y: pd.Series) -> tuple[dict, dict]:
    return schema.infer(frame, y, "Churn", {}, 0.99, "Yes")


def _numbers(rng: np.random.Generator) -> np.ndarray:
    return np.round(rng.uniform(0, 100, N), 2).astype(str).astype(object)


@pytest.mark.parametrize(
    ("markers", "share"), [(["N/A", "-", "?"], 0.15), (["unknown"], 10 / N), (["NULL", ""], 0.2)]
)
def test_missing_markers_are_read_as_missing(y, markers, share):
    rng = np.random.default_rng(1)
    values = _numbers(rng)
    marked = rng.random(N) < share if share > 0.01 else np.arange(N) < 10
    values[marked] = rng.choice(markers, int(marked.sum()))
    columns, rules = _infer(pd.DataFrame({"fee": values}), y)
    assert columns["fee"] == {"type": "numeric"}
    assert rules["fee"]["missing_markers"] == sorted({m for m in values[marked] if m})
    read = replay(
        pd.DataFrame({"fee": values}), {"source": "csv", "columns": columns, "parse": rules}
    ).features
    assert read["fee"].isna().to_numpy().tolist() == marked.tolist()
    assert read["fee"][~marked].to_numpy() == pytest.approx(values[~marked].astype(float))


def test_a_column_of_markers_and_words_stays_a_category(y):
    values = np.resize(np.array(["yes", "no", "unknown"], dtype=object), N)
    columns, _ = _infer(pd.DataFrame({"has_tv": values}), y)
    assert columns["has_tv"]["type"] == "categorical" and "warning" not in columns["has_tv"]


def test_stray_tokens_in_a_numeric_column_are_listed(y, caplog):
    rng = np.random.default_rng(2)
    values = _numbers(rng)
    values[:30], values[30:35] = "see notes", "approx. 40"
    frame = pd.DataFrame({"fee": values})
    with caplog.at_level(logging.WARNING, logger="churnlab"):
        columns, _ = _infer(frame, y)
    assert columns["fee"]["type"] == "categorical"
    warning = columns["fee"]["warning"]
    assert "35 cell(s) hold other values {'see notes': 30, 'approx. 40': 5}" in warning
    assert any(warning in r.getMessage() for r in caplog.records)
    report = quality.report(frame, frame, y, columns, {})
    assert report["warnings"] == {"fee": warning}
    assert f"- **`fee`: {warning}**" in quality.markdown(report, "csv")


def test_a_category_with_a_few_numbers_gets_no_warning(y):
    values = np.resize(np.array(["basic", "plus", "premium", "10"], dtype=object), N)
    columns, _ = _infer(pd.DataFrame({"plan": values}), y)
    assert columns["plan"] == {"type": "categorical"}


def test_mixed_date_formats_parse_with_a_warning(y):
    days = pd.Timestamp("2023-01-01") + pd.to_timedelta(np.arange(N) % 700, "D")
    spellings = [days.strftime(f) for f in ("%d %b %Y", "%Y-%m-%d", "%B %d, %Y")]
    values = pd.Series(np.choose(np.arange(N) % 3, spellings), dtype=object)
    columns, rules = _infer(pd.DataFrame({"signup": values}), y)
    assert columns["signup"]["type"] == "datetime"
    assert "dates in several formats" in columns["signup"]["warning"]
    assert rules["signup"]["format"] == "mixed"
    read = replay(
        pd.DataFrame({"signup": values}), {"source": "csv", "columns": columns, "parse": rules}
    )
    assert (read.features["signup"].to_numpy() == days.to_numpy()).all()


def test_dates_that_do_not_parse_are_a_category_with_a_warning(y):
    values = pd.Series(
        [
            f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}" if i % 3 else f"2023-13-{i % 90:02d}"
            for i in range(N)
        ],
        dtype=object,
    )  # a third of them have month 13
    columns, _ = _infer(pd.DataFrame({"renewal": values}), y)
    assert columns["renewal"]["type"] == "categorical"
    assert "looks like dates" in columns["renewal"]["warning"]


def test_many_valued_categorical_that_encodes_the_target_is_dropped(y):
    """80 values, each held by customers of one class only: in-sample rates would flag any
    many-valued column, so the check uses out-of-fold rates."""
    rng = np.random.default_rng(3)
    churn_codes, stay_codes = [f"C{i}" for i in range(40)], [f"S{i}" for i in range(40)]
    codes = np.where(y == 1, rng.choice(churn_codes, N), rng.choice(stay_codes, N))
    noise = rng.choice([f"city{i}" for i in range(200)], N)
    columns, _ = _infer(pd.DataFrame({"branch_code": codes, "city": noise}), y)
    assert columns["branch_code"] == {
        "type": "drop",
        "reason": "leakage: its out-of-fold class rates separate the classes (ROC-AUC 1.000)",
    }
    assert columns["city"] == {"type": "categorical"}  # 200 values, unrelated: kept


def test_out_of_fold_rates_do_not_flag_a_random_many_valued_column(y):
    """A value per ~3 rows: in-sample class rates would reach a high ROC-AUC by chance."""
    key = pd.Series(np.random.default_rng(4).integers(0, N // 3, N)).astype(str)
    assert leakage.single_column_auc(key, y) > 0.75
    assert leakage.out_of_fold_auc(key, y) < 0.6


def test_times_of_day_and_versions_are_not_dates(y):
    """Without a year, dateutil would read "10:30" as today's date: never a date here."""
    times = pd.Series([f"{i % 24:02d}:{i % 60:02d}" for i in range(N)], dtype=object)
    versions = pd.Series([f"{i % 9}.{i % 7}.{i % 13}" for i in range(N)], dtype=object)
    columns, _ = _infer(pd.DataFrame({"call_time": times, "app": versions}), y)
    assert columns["call_time"]["type"] == "categorical"
    assert columns["app"]["type"] == "categorical"
