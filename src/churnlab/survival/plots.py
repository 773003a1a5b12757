"""The survival figures: plot data (CSV for ``dvc plots``) and a PNG of each.

Kaplan-Meier curves of the test customers per segment with their 95 % log-log bands, and the
predicted against the observed (Kaplan-Meier) survival at the label window by decile of risk.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from churnlab import io


def km_frame(duration, event, segment: pd.Series) -> pd.DataFrame:
    """Kaplan-Meier survival per value of ``segment``, one row per segment and event time."""
    from sksurv.nonparametric import kaplan_meier_estimator

    parts = []
    for name in sorted(segment.dropna().astype(str).unique()):
        mask = (segment.astype(str) == name).to_numpy()
        if mask.sum() < 2 or not np.asarray(event)[mask].any():
            continue
        times, surv, band = kaplan_meier_estimator(
            np.asarray(event, bool)[mask], np.asarray(duration, float)[mask], conf_type="log-log"
        )
        parts.append(
            pd.DataFrame(
                {"segment": name, "day": times, "survival": surv, "low": band[0], "high": band[1]}
            )
        )
    return pd.concat(parts, ignore_index=True)


def decile_frame(duration, event, predicted: np.ndarray, day: int) -> pd.DataFrame:
    """Mean predicted survival at ``day`` against the Kaplan-Meier survival, per risk decile
    (decile 10 = the lowest predicted survival)."""
    from churnlab.survival.scoring import kaplan_meier

    order = np.argsort(-np.asarray(predicted), kind="stable")
    decile = np.empty(len(order), dtype=int)
    decile[order] = np.arange(len(order)) * 10 // len(order) + 1
    rows = []
    for d in range(1, 11):
        mask = decile == d
        observed = kaplan_meier(np.asarray(duration)[mask], np.asarray(event)[mask], [day])[0]
        rows.append({"decile": d, "predicted": float(predicted[mask].mean()), "observed": observed})
    return pd.DataFrame(rows)


def write(folder: Path, km: pd.DataFrame, deciles: pd.DataFrame, segment: str, day: int) -> None:
    io.write_csv(km, folder / "kaplan_meier.csv")
    io.write_csv(deciles, folder / "deciles.csv")
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    for name, part in km.groupby("segment", sort=True):
        ax.step(part["day"], part["survival"], where="post", label=str(name))
        ax.fill_between(part["day"], part["low"], part["high"], step="post", alpha=0.2)
    ax.set(xlabel="days after the snapshot", ylabel="share still a customer", ylim=(0, 1.02))
    ax.set_title(f"Kaplan-Meier by {segment} (test, 95 % bands)")
    ax.legend(fontsize=8)
    io.save_figure(fig, folder / "kaplan_meier.png")
    fig = Figure(figsize=(5.2, 4.2))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8)
    ax.plot(deciles["predicted"], deciles["observed"], marker="o")
    ax.set(xlabel=f"mean predicted survival at day {day}", ylabel="observed (Kaplan-Meier)")
    ax.set_title("Predicted vs observed survival by risk decile (test)")
    io.save_figure(fig, folder / "deciles.png")
