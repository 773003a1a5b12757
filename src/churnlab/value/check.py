"""The BTYD check: simulate purchase logs from known parameters, fit, compare.

As the BTYD literature checks its models (Fader, Hardie & Lee 2005): purchase logs are
simulated from known BG/NBD and Gamma-Gamma parameters (:mod:`churnlab.value.simulate`), the
models are fitted on the calibration period only, and then (1) every true parameter should lie
in its central posterior interval, and (2) the repeat purchases predicted for the holdout
period should match the actual ones in aggregate (within 10 %), with the per-customer
correlation reported. P(alive) is also scored against who is truly still alive at the end of
calibration, which only a simulation knows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score

from churnlab.config.value import BTYDTruth, ValueParams
from churnlab.value import btyd, purchases
from churnlab.value.simulate import START, simulate_purchases

AGGREGATE_TOLERANCE = 0.10
"""The issue's target: predicted vs actual holdout repeat purchases within 10 % in aggregate."""


def recovery(posterior: dict[str, np.ndarray], truth: BTYDTruth, mass: float) -> dict:
    """Per parameter: the truth, the posterior mean and central ``mass`` interval, and
    whether the interval holds the truth."""
    tail = (1.0 - mass) / 2.0
    table = {}
    for name, draws in posterior.items():
        lower, upper = np.quantile(draws, [tail, 1.0 - tail])
        true = getattr(truth, name)
        table[name] = {
            "true": true,
            "mean": float(np.mean(draws)),
            "lower": float(lower),
            "upper": float(upper),
            "inside": bool(lower <= true <= upper),
        }
    return table


def holdout_comparison(predicted: np.ndarray, actual: np.ndarray) -> dict:
    """Aggregate relative error and per-customer correlations of predicted vs actual."""
    total_predicted, total_actual = float(np.sum(predicted)), float(np.sum(actual))
    relative_error = (total_predicted - total_actual) / total_actual
    return {
        "predicted": total_predicted,
        "actual": total_actual,
        "relative_error": relative_error,
        "within_tolerance": bool(abs(relative_error) <= AGGREGATE_TOLERANCE),
        "pearson": float(stats.pearsonr(predicted, actual).statistic),
        "spearman": float(stats.spearmanr(predicted, actual).statistic),
    }


def run_check(vp: ValueParams) -> dict:
    """``metrics/value.json``: parameter recovery, holdout purchases and value, P(alive)."""
    sim = vp.simulation
    log, truth = simulate_purchases(sim)
    log = purchases.check_purchase_log(log, "simulated purchase log")
    calibration_end = START + pd.Timedelta(weeks=sim.calibration_weeks)
    holdout_end = calibration_end + pd.Timedelta(weeks=sim.holdout_weeks)
    summary = purchases.summarise(log, calibration_end)
    fit = btyd.fit_btyd(summary, vp)
    horizon = vp.model_copy(update={"horizon_weeks": sim.holdout_weeks})
    values = btyd.customer_value(fit, summary, horizon)
    actual = purchases.purchase_days_between(log, calibration_end, holdout_end, summary.customer_id)
    inside = log[(log["date"] > calibration_end) & (log["date"] <= holdout_end)]
    spend = inside.groupby("customer_id")["amount"].sum().reindex(values.customer_id, fill_value=0)
    alive = truth.set_index("customer_id").loc[values.customer_id, "alive_at_calibration_end"]
    params = recovery(fit.posterior(), sim.truth, vp.interval)
    return {
        "fit_method": vp.fit_method,
        "customers": len(summary),
        "repeat_buyers": int((summary["frequency"] > 0).sum()),
        "purchases": len(log),
        "interval": vp.interval,
        "parameters": params,
        "all_parameters_recovered": all(p["inside"] for p in params.values()),
        "max_r_hat": fit.max_r_hat(),
        "holdout_weeks": sim.holdout_weeks,
        "holdout_purchases": holdout_comparison(values.expected_purchases, actual.to_numpy()),
        "holdout_value": holdout_comparison(values.expected_value, spend.to_numpy()),
        "p_alive_roc_auc": float(roc_auc_score(alive.to_numpy(), values.p_alive)),
        "inferred_churn": {
            "alive_threshold": vp.alive_threshold,
            "share_labelled_churned": float(values.churned.mean()),
            "share_truly_dropped": float(1.0 - alive.mean()),
        },
    }
