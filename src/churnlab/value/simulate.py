"""Purchase logs simulated from known BG/NBD and Gamma-Gamma parameters (the BTYD check).

The generative story of Fader, Hardie & Lee (2005) and Fader & Hardie (2013), written out so
that a fit can be checked against the parameters that made the data: customer i buys at rate
``lambda_i ~ Gamma(r, rate=alpha)`` (exponential gaps, in weeks) and, after every repeat
purchase (never after the first, as the BG/NBD likelihood assumes), drops out for good with
probability ``p_i ~ Beta(a, b)``; each purchase's amount is ``Gamma(p, rate=nu_i)`` with
``nu_i ~ Gamma(q, rate=v)``. First purchases are spread uniformly over the first
``cohort_weeks``; purchase times are kept to the day, as real logs are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnlab.config.value import BTYDSimulation

START = pd.Timestamp("2024-01-01")
"""Day 0 of every simulated log."""


def _customer_times(rng: np.random.Generator, birth: float, rate: float, drop: float, end: float):
    """(purchase times in weeks, whether the customer dropped out) until drop-out or ``end``."""
    times = [birth]
    while True:
        gap = rng.exponential(1.0 / rate)
        if times[-1] + gap > end:
            return times, False
        times.append(times[-1] + gap)
        if rng.random() < drop:  # drops out just after this repeat purchase
            return times, True


def simulate_purchases(sim: BTYDSimulation) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(purchase log with ``customer_id``, ``date``, ``amount``; the truth per customer).

    The truth table holds each customer's purchase rate, drop-out probability, mean spend and
    whether they are still alive at the end of the calibration period.
    """
    t, rng = sim.truth, np.random.default_rng(sim.seed)
    n = sim.customers
    end = float(sim.calibration_weeks + sim.holdout_weeks)
    rate = rng.gamma(t.r, 1.0 / t.alpha, n)
    drop = rng.beta(t.a, t.b, n)
    spend_rate = rng.gamma(t.q, 1.0 / t.v, n)
    birth = rng.uniform(0.0, sim.cohort_weeks, n)
    rows, alive = [], np.zeros(n, dtype=bool)
    for i in range(n):
        times, dropped = _customer_times(rng, birth[i], rate[i], drop[i], end)
        amounts = rng.gamma(t.p, 1.0 / spend_rate[i], len(times))
        rows.extend(zip([i] * len(times), times, amounts, strict=True))
        # drop-out happens just after the last purchase
        alive[i] = not dropped or times[-1] > sim.calibration_weeks
    log = pd.DataFrame(rows, columns=["customer_id", "weeks", "amount"])
    log["date"] = START + pd.to_timedelta(np.floor(log.pop("weeks") * 7), unit="D")
    truth = pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "purchase_rate": rate,
            "dropout_probability": drop,
            "mean_spend": t.p / spend_rate,
            "alive_at_calibration_end": alive,
        }
    )
    return log[["customer_id", "date", "amount"]], truth
