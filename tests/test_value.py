"""Customer value from purchase logs: the simulator, the input checks, the RFM summaries, the
BTYD check's pure parts, and (e2e: pytensor compiles) parameter recovery by a BG/NBD +
Gamma-Gamma fit on data simulated from known parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab.config.params import parse_params
from churnlab.config.value import BTYDSimulation, BTYDTruth, ValueParams
from churnlab.errors import UserError
from churnlab.value.check import holdout_comparison, recovery
from churnlab.value.purchases import check_purchase_log, purchase_days_between, summarise
from churnlab.value.simulate import START, simulate_purchases

SMALL = BTYDSimulation(customers=400, seed=3)


def test_simulation_is_seeded_and_follows_the_bgnbd_story():
    log, truth = simulate_purchases(SMALL)
    again, _ = simulate_purchases(SMALL)
    pd.testing.assert_frame_equal(log, again)
    assert list(log.columns) == ["customer_id", "date", "amount"]
    assert set(log.customer_id) == set(range(SMALL.customers))  # everyone buys once at least
    end = START + pd.Timedelta(weeks=SMALL.calibration_weeks + SMALL.holdout_weeks)
    assert log.date.max() <= end and (log.amount > 0).all()
    first = log.groupby("customer_id").date.min()
    assert first.max() <= START + pd.Timedelta(weeks=SMALL.cohort_weeks)
    # drop-out only after a repeat purchase: a single-purchase customer is never dead
    counts = log.groupby("customer_id").size()
    single = counts[counts == 1].index
    assert truth.set_index("customer_id").loc[single, "alive_at_calibration_end"].all()
    # Gamma-Gamma: the mean amount per purchase is p * v / (q - 1) across customers
    t = SMALL.truth
    per_customer = log.groupby("customer_id").amount.mean()
    assert per_customer.mean() == pytest.approx(t.p * t.v / (t.q - 1), rel=0.1)


def test_simulated_purchase_rates_follow_their_gamma():
    sim = BTYDSimulation(customers=4000, seed=5, truth=BTYDTruth(a=0.01, b=1000.0))
    _, truth = simulate_purchases(sim)  # nobody drops out: rates are all that varies
    assert truth.purchase_rate.mean() == pytest.approx(sim.truth.r / sim.truth.alpha, rel=0.05)
    assert truth.alive_at_calibration_end.mean() > 0.95


def _log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c"],
            "date": [
                "2024-01-01",
                "2024-01-08",
                "2024-01-08",
                "2024-01-29",
                "2024-01-15",
                "2024-03-01",
            ],
            "amount": [10.0, 20.0, 5.0, 30.0, 7.0, 3.0],
        }
    )


def test_summary_in_weeks_by_hand():
    log = check_purchase_log(_log())
    rfm = summarise(log, pd.Timestamp("2024-02-12")).set_index("customer_id")
    assert "c" not in rfm.index  # first purchase after the period: not a customer yet
    # a: purchase days Jan 1, 8 (two purchases, one day), 29 -> 2 repeat days
    assert rfm.loc["a", "frequency"] == 2
    assert rfm.loc["a", "recency"] == pytest.approx(4.0)  # 28 days
    assert rfm.loc["a", "T"] == pytest.approx(6.0)  # 42 days
    assert rfm.loc["a", "monetary_value"] == pytest.approx((25.0 + 30.0) / 2)
    assert rfm.loc["b", "frequency"] == 0 and rfm.loc["b", "T"] == pytest.approx(4.0)


def test_holdout_counts_purchase_days_in_the_window():
    log = check_purchase_log(_log())
    counts = purchase_days_between(
        log, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-29"), pd.Series(["a", "b", "z"])
    )
    assert counts.to_dict() == {"a": 2, "b": 1, "z": 0}  # Jan 1 excluded, Jan 8 once


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="date"), "missing column.*date"),
        (lambda f: f.assign(date=[None, *f.date[1:]]), "date is missing or not a date"),
        (lambda f: f.assign(date=["soon", *f.date[1:]]), "date is missing or not a date"),
        (
            lambda f: f.assign(amount=[10.0, np.nan, 5.0, 30.0, 7.0, 3.0]),
            "amount is missing.*row 1",
        ),
        (lambda f: f.assign(amount=[10.0, 20.0, -5.0, 30.0, 7.0, 3.0]), "amount must be positive"),
        (lambda f: f.iloc[:0], "no purchases"),
    ],
)
def test_bad_purchase_logs_give_one_clear_error_and_lose_nothing(change, message):
    frame = change(_log())
    before = frame.copy()
    with pytest.raises(UserError, match=message):
        check_purchase_log(frame, "purchases.csv")
    pd.testing.assert_frame_equal(frame, before)


def test_recovery_checks_the_truth_against_the_interval():
    draws = {"r": np.linspace(0.5, 0.7, 101), "a": np.linspace(0.8, 1.2, 101)}
    table = recovery(draws, BTYDTruth(r=0.6, a=0.6), mass=0.9)
    assert table["r"]["inside"] and not table["a"]["inside"]
    assert table["r"]["lower"] == pytest.approx(0.51) and table["r"]["upper"] == pytest.approx(0.69)
    assert table["a"]["mean"] == pytest.approx(1.0)


def test_holdout_comparison_by_hand():
    out = holdout_comparison(np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 6.0]))
    assert out["relative_error"] == pytest.approx(-0.3)
    assert not out["within_tolerance"]
    assert out["pearson"] == pytest.approx(np.corrcoef([1, 2, 4], [1, 3, 6])[0, 1])


def test_value_params_are_checked_with_their_key_path():
    with pytest.raises(UserError, match=r"value\.simulation: .*cohort_weeks must be below"):
        parse_params({"value": {"simulation": {"cohort_weeks": 60, "calibration_weeks": 52}}})
    with pytest.raises(UserError, match=r"value\.alive_threshold"):
        parse_params({"value": {"alive_threshold": 1.5}})


@pytest.mark.e2e
def test_map_fit_recovers_the_simulated_parameters():
    from churnlab.value.btyd import customer_value, fit_btyd

    sim = BTYDSimulation(customers=1500, seed=11)
    log, truth = simulate_purchases(sim)
    end = START + pd.Timedelta(weeks=sim.calibration_weeks)
    summary = summarise(check_purchase_log(log), end)
    fit = fit_btyd(summary, ValueParams(fit_method="map"))
    estimates = {name: float(draws[0]) for name, draws in fit.posterior().items()}
    for name in ("r", "alpha", "q"):  # the well-identified ones, within 20 %
        assert estimates[name] == pytest.approx(getattr(sim.truth, name), rel=0.2), name
    for name in ("a", "b", "p", "v"):  # drop-out and spend shapes: within a factor 1.6
        ratio = estimates[name] / getattr(sim.truth, name)
        assert 1 / 1.6 < ratio < 1.6, name
    values = customer_value(fit, summary, ValueParams(horizon_weeks=sim.holdout_weeks))
    assert values.p_alive.between(0, 1).all() and (values.expected_value >= 0).all()
    holdout = purchase_days_between(log, end, end + pd.Timedelta(weeks=26), summary.customer_id)
    assert abs(values.expected_purchases.sum() / holdout.sum() - 1) < 0.1
    alive = truth.set_index("customer_id").loc[values.customer_id, "alive_at_calibration_end"]
    assert values.p_alive[alive.to_numpy()].mean() > values.p_alive[~alive.to_numpy()].mean()
    assert (values.churned == (values.p_alive < 0.5)).all()
