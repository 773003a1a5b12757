"""Contractual value against a hand-computed case, Uno's concordance, and bad input at the stage:
one clear error, and the outputs of the last good run stay."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from sksurv.metrics import concordance_index_censored

from churnlab.config.survival import SurvivalParams, SurvivalValueParams
from churnlab.survival import curves, scoring
from conftest import REPO_ROOT
from test_cli import assert_one_line_error, run_cli


class ConstantHazard:
    """Survival ``q ** (day / 30)`` per customer: a fixed monthly retention ``q``."""

    def __init__(self, retention: list[float]) -> None:
        self.q = np.asarray(retention)

    def survival(self, X, days) -> np.ndarray:
        return self.q[:, None] ** (np.asarray(days, "float64")[None, :] / 30.0)


def test_contractual_value_by_hand():
    # Two customers: monthly fee 100 (margin 30 % = 30 a month) keeping 90 % a month, and a
    # missing fee (flat margin 10) keeping 50 %. Follow-up 90 days = three 30-day periods,
    # discount 10 % a period: value = margin * sum_k S(30 k) / 1.1 ** k (the cap at the
    # three observed periods leaves out the tail past the follow-up: tests/test_value_model.py).
    v = SurvivalValueParams(
        margin_share=0.3, margin_per_period=10.0, discount_rate=0.1, max_periods=3
    )
    customers = pd.DataFrame({"monthly_fee": [100.0, np.nan]})
    model = ConstantHazard([0.9, 0.5])
    table = curves.customer_table(model, None, 90, [30, 60], 60, curves.margins(customers, v), v)
    lifetime_a = 0.9 / 1.1 + 0.81 / 1.21 + 0.729 / 1.331  # 2.03531...
    lifetime_b = 0.5 / 1.1 + 0.25 / 1.21 + 0.125 / 1.331
    np.testing.assert_allclose(table["expected_lifetime_periods"], [lifetime_a, lifetime_b])
    np.testing.assert_allclose(table["value"], [30 * lifetime_a, 10 * lifetime_b])
    np.testing.assert_allclose(table["p_churn_30d"], [0.1, 0.5])
    np.testing.assert_allclose(table["p_churn_60d"], [0.19, 0.75])
    # at risk within the value horizon (60 days): P(churn by day 60) * value
    np.testing.assert_allclose(
        table["value_at_risk"], [0.19 * 30 * lifetime_a, 0.75 * 10 * lifetime_b]
    )
    # median: the first day the survival is at most one half (0.9 ** (d / 30) <= 0.5 at d = 198)
    assert table["median_days_to_churn"].tolist()[1] == 30
    assert np.isnan(table["median_days_to_churn"][0])  # not within the 90 observed days


def test_value_params_come_from_the_survival_section():
    v = SurvivalParams.model_validate({"value": {"discount_rate": 0.02, "period_days": 7}}).value
    assert (v.discount_rate, v.period_days, v.margin_column) == (0.02, 7, "monthly_fee")
    with pytest.raises(ValueError, match="discount_rate"):
        SurvivalParams.model_validate({"value": {"discount_rate": 1.5}})


def test_uno_equals_harrell_without_censoring():
    # Without censoring the inverse-probability weights are all one: Uno's C is Harrell's.
    rng = np.random.default_rng(3)
    risk = rng.normal(size=300)
    duration = np.ceil(rng.exponential(50 * np.exp(-risk))) + rng.uniform(0, 0.5, 300)
    event = np.ones(300, bool)
    tau = float(duration.max()) + 1
    harrell = concordance_index_censored(event, duration, risk)[0]
    uno = scoring.uno((duration, event), (duration, event), risk, tau)
    assert uno == pytest.approx(harrell, abs=1e-9)
    assert uno > 0.6  # and it ranks: the risk drives the durations
    censored = event & (rng.random(300) < 0.7)
    assert scoring.uno((duration, censored), (duration, censored), risk, tau) != pytest.approx(
        concordance_index_censored(censored, duration, risk)[0], abs=1e-6
    )


def user_workspace(tmp_path, events: pd.DataFrame) -> str:
    """A workspace with user data (customers + event log) and the outputs of an earlier run."""
    pd.DataFrame({"id": ["a", "b"], "plan": ["x", "y"]}).to_csv(tmp_path / "c.csv", index=False)
    events.to_csv(tmp_path / "e.csv", index=False)
    raw = yaml.safe_load((REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))
    raw["data"] |= {
        "source": "csv",
        "path": str(tmp_path / "c.csv"),
        "id": "id",
        "events": {"path": str(tmp_path / "e.csv"), "customer_id": "id", "timestamp": "when"},
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "survival.json").write_text('{"concordance": 0.8}\n', "utf-8")
    return str(tmp_path / "params.yaml")


@pytest.mark.parametrize(
    ("when", "expected"),
    [(["2026-07-01", "next week"], "not dates"), (["", ""], "timestamp")],
)
def test_bad_timestamps_stop_the_stage_and_keep_the_last_metrics(
    tmp_path, capsys, monkeypatch, when, expected
):
    monkeypatch.chdir(tmp_path)
    params = user_workspace(tmp_path, pd.DataFrame({"id": ["a", "b"], "when": when}))
    code, _, err = run_cli(["--params", params, "survival"], capsys)
    assert_one_line_error(code, err, expected)
    metrics = json.loads((tmp_path / "metrics" / "survival.json").read_text("utf-8"))
    assert metrics == {"concordance": 0.8}
