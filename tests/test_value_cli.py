"""``churnlab clv``: a bad purchase log gives one clear error and loses nothing; a good one
(e2e: pytensor compiles) gives one row per customer."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from churnlab.config.value import BTYDSimulation
from churnlab.value.simulate import simulate_purchases
from conftest import REPO_ROOT
from test_cli import assert_one_line_error, run_cli


def _log(tmp_path, frame: pd.DataFrame):
    path = tmp_path / "purchases.csv"
    frame.to_csv(path, index=False)
    return path


GOOD = pd.DataFrame(
    {
        "customer_id": [1, 1, 2],
        "date": ["2024-01-01", "2024-02-01", "2024-01-05"],
        "amount": [5.0, 7.0, 3.0],
    }
)


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (GOOD.drop(columns="date"), "missing column(s) date"),
        (GOOD.assign(date=["2024-01-01", "", "2024-01-05"]), "date is missing or not a date"),
        (GOOD.assign(amount=[5.0, None, 3.0]), "amount is missing or not a number"),
    ],
)
def test_bad_purchase_log_is_one_error_and_the_old_output_stays(tmp_path, capsys, frame, expected):
    output = tmp_path / "value.csv"
    output.write_text("earlier result\n", encoding="utf-8")
    code, _, err = run_cli(["clv", str(_log(tmp_path, frame)), str(output)], capsys)
    assert_one_line_error(code, err, "purchases.csv", expected)
    assert output.read_text(encoding="utf-8") == "earlier result\n"


def test_missing_file_and_bad_period_end_are_clear(tmp_path, capsys):
    code, _, err = run_cli(["clv", str(tmp_path / "none.csv"), str(tmp_path / "v.csv")], capsys)
    assert_one_line_error(code, err, "none.csv: no such file")
    path = _log(tmp_path, GOOD)
    code, _, err = run_cli(["clv", str(path), str(tmp_path / "v.csv"), "--period-end", "x"], capsys)
    assert_one_line_error(code, err, "--period-end 'x' is not a date")
    code, _, err = run_cli(["clv", str(path), str(path)], capsys)
    assert_one_line_error(code, err, "must be a new .csv file")


@pytest.mark.e2e
def test_clv_writes_one_row_per_customer(tmp_path, capsys):
    raw = yaml.safe_load((REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))
    raw["value"]["fit_method"] = "map"
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(raw), encoding="utf-8")
    log, _ = simulate_purchases(BTYDSimulation(customers=300, seed=2))
    output = tmp_path / "value.csv"
    code, _, err = run_cli(
        ["--params", str(params), "clv", str(_log(tmp_path, log)), str(output)], capsys
    )
    assert code == 0, err
    table = pd.read_csv(output)
    assert sorted(table.customer_id) == sorted(log.customer_id.unique())
    assert table.p_alive.between(0, 1).all()
    assert (table.churned == (table.p_alive < raw["value"]["alive_threshold"])).all()
    assert table.expected_value.sum() > 0
