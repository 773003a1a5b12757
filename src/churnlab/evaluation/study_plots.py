"""Figures of the model-selection studies: the leaderboard and the search history (PNG + CSV)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from churnlab import io


def leaderboard_frame(board: dict) -> pd.DataFrame:
    rows = []
    for name, entry in board["models"].items():
        row = {"model": name, "rank": entry["rank"]}
        for metric in ("roc_auc", "pr_auc", "f1", "fit_s", "predict_s"):
            row[f"{metric}_mean"] = entry[metric]["mean"]
            row[f"{metric}_std"] = entry[metric]["std"]
        rows.append(row)
    return pd.DataFrame(rows).sort_values("rank").reset_index(drop=True)


def leaderboard_png(frame: pd.DataFrame, metric: str, selected: str, target: Path) -> None:
    """Mean ± std of the primary metric per model (selected model highlighted), and fit time."""
    frame = frame.iloc[::-1]
    fig = Figure(figsize=(9, 0.45 * len(frame) + 1.6))
    ax, ax_time = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 1.3]})
    colours = ["tab:orange" if m == selected else "tab:blue" for m in frame["model"]]
    means, stds = frame[f"{metric}_mean"], frame[f"{metric}_std"]
    ax.barh(frame["model"], means, xerr=stds, color=colours, capsize=3)
    low = float((means - stds).min())
    ax.set_xlim(max(0.0, low - 0.02), min(1.0, float((means + stds).max()) + 0.01))
    ax.set_xlabel(f"mean CV {metric.replace('_', '-')} (± std over folds)")
    ax.set_title(f"Leaderboard (selected: {selected})")
    ax.grid(axis="x", alpha=0.3)
    ax_time.barh(frame["model"], frame["fit_s_mean"], color="tab:grey")
    ax_time.set_xlabel("fit seconds per fold")
    ax_time.grid(axis="x", alpha=0.3)
    io.save_figure(fig, target)


def history_frame(trials: list[dict]) -> pd.DataFrame:
    value = np.array([np.nan if t["value"] is None else t["value"] for t in trials], dtype=float)
    complete = np.array([t["state"] == "complete" for t in trials])
    best = np.fmax.accumulate(np.where(complete, value, np.nan))
    return pd.DataFrame(
        {
            "trial": [t["number"] for t in trials],
            "value": value,
            "state": [t["state"] for t in trials],
            "best_so_far": best,
        }
    )


def history_png(frame: pd.DataFrame, metric: str, title: str, target: Path) -> None:
    """Optimisation history: every trial's objective (pruned ones: last running mean)."""
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    done = frame[frame["state"] == "complete"]
    pruned = frame[frame["state"] == "pruned"]
    ax.scatter(done["trial"], done["value"], s=18, label="complete trial")
    if len(pruned):
        ax.scatter(pruned["trial"], pruned["value"], s=18, marker="x", label="pruned trial")
    ax.step(frame["trial"], frame["best_so_far"], where="post", color="tab:red", label="best")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"mean CV {metric.replace('_', '-')}")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    io.save_figure(fig, target)
