"""Drift monitoring: a drifted synthetic month alerts, a same-distribution month does not."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from churnlab.cli.main import main, run
from churnlab.config.params import DriftParams
from churnlab.data import synth
from churnlab.serving import drift
from conftest import CHURN_WINDOW_DAYS, N_CUSTOMERS, SNAPSHOT_DATE, small_params

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def months(trained_run, tmp_path_factory):
    """params.yaml plus the reference (train split) and three later months, made by the CLI."""
    root = tmp_path_factory.mktemp("months")
    (root / "params.yaml").write_text(yaml.safe_dump(small_params().model_dump(mode="json")))
    paths = {"reference": str(trained_run / "data/split/train.parquet")}
    for name, scenario in [("same", "none"), ("price", "price_change"), ("plan", "new_plan")]:
        paths[name] = str(root / f"{name}.parquet")
        code = run(
            [
                *("--params", str(root / "params.yaml"), "generate", paths[name]),
                *("--snapshot-date", "2026-07-31", "--drift", scenario, "--seed", "99"),
                *("--n-customers", str(N_CUSTOMERS)),
            ]
        )
        assert code == 0
    return root, paths


def drift_run(trained_run, months, current: str) -> tuple[int, dict]:
    root, paths = months
    out = root / f"drift-{current}"
    code = run(
        [
            *("--params", str(root / "params.yaml"), "drift", "--reference", paths["reference"]),
            *("--current", paths[current], "--models", str(trained_run / "models")),
            *("--output", str(out)),
        ]
    )
    assert (out / "drift.png").stat().st_size > 0
    return code, json.loads((out / "drift.json").read_text())


def test_same_distribution_month_does_not_alert(trained_run, months):
    code, report = drift_run(trained_run, months, "same")
    assert code == 0, report["reasons"]
    assert report["alert"] is False and report["drifted_features"] == []
    assert report["prediction"]["psi"] < 0.1


def test_price_change_alerts(trained_run, months):
    code, report = drift_run(trained_run, months, "price")
    assert code == 1
    assert "monthly_fee" in report["drifted_features"]
    assert (
        report["features"]["monthly_fee"]["current_mean"]
        > 1.2 * (report["features"]["monthly_fee"]["reference_mean"])
    )
    assert "region" not in report["drifted_features"]


def test_new_plan_alerts_and_names_the_category(trained_run, months):
    code, report = drift_run(trained_run, months, "plan")
    assert code == 1
    assert "plan" in report["drifted_features"]
    assert report["features"]["plan"]["new_categories"] == ["unlimited"]


def test_drift_keeps_default_generator_output():
    args = dict(
        n_customers=300, seed=5, snapshot_date=SNAPSHOT_DATE, churn_window_days=CHURN_WINDOW_DAYS
    )
    default, none = synth.generate(**args), synth.generate(**args, drift="none")
    pd.testing.assert_frame_equal(default.customers, none.customers)
    priced = synth.generate(**args, drift="price_change")
    fee = [frame.customers["monthly_fee"].clip(0, 500).median() for frame in (default, priced)]
    assert fee[1] / fee[0] == pytest.approx(1.25, rel=0.05)
    assert not default.customers["plan"].eq("unlimited").any()
    ratio = priced.truth["churn_probability"].mean() / default.truth["churn_probability"].mean()
    assert ratio > 1.0  # dearer plans raise the hidden churn hazard


def test_psi_of_identical_and_shifted_samples():
    rng = np.random.default_rng(0)
    ref = pd.Series(rng.normal(size=5000))
    same = drift.numeric_drift(ref, pd.Series(rng.normal(size=5000)), 10)
    moved = drift.numeric_drift(ref, pd.Series(rng.normal(1.0, 1.0, size=5000)), 10)
    assert same["psi"] < 0.02 < 0.2 < moved["psi"]
    assert moved["p_value"] < 1e-6
    p = DriftParams()
    report = drift.summarise({"x": {**moved, "drifted": True}}, None, p)
    assert report["alert"] and "drift.max_drifted_features" in report["reasons"][0]


def drift_status(trained_run, months, current: str, capsys) -> tuple[int, str]:
    root, paths = months
    with pytest.raises(SystemExit) as done:
        main(
            [
                *(
                    "--params",
                    str(root / "params.yaml"),
                    "drift",
                    "--reference",
                    paths["reference"],
                ),
                *("--current", current, "--models", str(trained_run / "models")),
                *("--output", str(root / "drift-errors")),
            ]
        )
    return done.value.code, capsys.readouterr().err


def test_empty_files_and_missing_columns_exit_2_never_1(trained_run, months, capsys):
    """Issue 15, item 13: these crashed with status 1, the alert status."""
    root, paths = months
    same = pd.read_parquet(paths["same"])
    same.head(0).to_parquet(root / "nobody.parquet")
    same.assign(monthly_fee=np.nan).to_parquet(root / "no_fee.parquet")
    (root / "blank.csv").write_text("")
    for name, message in [
        ("nobody.parquet", "has no data rows"),
        ("no_fee.parquet", "column 'monthly_fee' has no values"),
        ("blank.csv", "blank.csv is empty"),
    ]:
        code, err = drift_status(trained_run, months, str(root / name), capsys)
        assert code == 2 and message in err and "Traceback" not in err


def test_a_crash_is_not_reported_as_drift(trained_run, months, capsys, caplog, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(drift, "feature_drift", broken)
    code, _ = drift_status(trained_run, months, months[1]["same"], capsys)
    assert code == 3 and "RuntimeError: a bug" in caplog.text  # logged with its traceback
