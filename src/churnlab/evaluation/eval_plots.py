"""Figures of the evaluation report beyond ROC/PR/calibration/confusion (see ``plots.py``).

Each function takes the small frame that is also written as CSV for ``dvc plots`` and draws
the same data as a PNG, so a reader without DVC sees what ``dvc plots show`` renders.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from churnlab import io
from churnlab.evaluation.plots import _axes, axis_label

MODEL_LABELS = {"model": "model", "rules": "current rules", "logreg": "logistic regression"}


def _by_model(ax, frame: pd.DataFrame, x: str) -> None:
    for name in frame.columns.drop(x):
        ax.plot(frame[x], frame[name], lw=2, label=MODEL_LABELS.get(name, name))


def gains_png(gains: pd.DataFrame, target: Path) -> None:
    fig, ax = _axes(
        "Cumulative gains (test)", "share of customers contacted", "share of churners caught"
    )
    _by_model(ax, gains, "contacted_share")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", label="random contact")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right")
    io.save_figure(fig, target)


def lift_png(lift: pd.DataFrame, target: Path) -> None:
    fig, ax = _axes("Lift (test)", "share of customers contacted", "lift over random contact")
    _by_model(ax, lift, "contacted_share")
    ax.axhline(1.0, ls="--", color="grey", label="random contact")
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right")
    io.save_figure(fig, target)


def profit_png(curve: pd.DataFrame, threshold: float, break_even: float, target: Path) -> None:
    fig, ax = _axes(
        "Expected net savings of a retention campaign (test)",
        "contact everyone with churn score ≥ threshold",
        "expected net savings",
    )
    ax.plot(curve["threshold"], curve["expected_net_savings"], lw=2, label="model")
    ax.axvline(threshold, color="tab:red", ls="--", label=f"chosen threshold {threshold:.3f}")
    ax.axvline(
        break_even, color="tab:green", ls=":", label=f"break-even probability {break_even:.3f}"
    )
    ax.axhline(0, color="grey", lw=1)
    ax.set_xlim(0, 1)
    ax.legend(loc="best")
    io.save_figure(fig, target)


def score_histogram(y: np.ndarray, scores: np.ndarray, bins: int = 40) -> pd.DataFrame:
    """Share of each class per score bin (densities, so the small churn class stays visible)."""
    edges = np.linspace(0, 1, bins + 1)
    y = np.asarray(y, dtype=int)
    stays, _ = np.histogram(scores[y == 0], edges)
    churns, _ = np.histogram(scores[y == 1], edges)
    return pd.DataFrame(
        {
            "score": (edges[:-1] + edges[1:]) / 2,
            "stays": stays / max(stays.sum(), 1),
            "churns": churns / max(churns.sum(), 1),
        }
    )


def score_distribution_png(hist: pd.DataFrame, threshold: float, target: Path) -> None:
    fig, ax = _axes("Score distribution by class (test)", "churn score", "share of the class")
    width = float(hist["score"].diff().iloc[1]) if len(hist) > 1 else 0.025
    ax.bar(hist["score"], hist["stays"], width=width, alpha=0.6, label="stays")
    ax.bar(hist["score"], hist["churns"], width=width, alpha=0.6, label="churns")
    ax.axvline(threshold, color="tab:red", ls="--", label=f"threshold {threshold:.3f}")
    ax.set_xlim(0, 1)
    ax.legend(loc="upper right")
    io.save_figure(fig, target)


def shap_importance_png(importance: pd.DataFrame, title: str, target: Path) -> None:
    top = importance.iloc[::-1]
    fig, ax = _axes(title, "mean |contribution to log-odds of churn|", "feature")
    fig.set_size_inches(7.5, 0.3 * len(top) + 1.5)
    ax.barh(top["feature"], top["mean_abs_contribution"], color="tab:blue")
    ax.grid(axis="y", alpha=0)
    io.save_figure(fig, target)


def dependence_png(frame: pd.DataFrame, feature: str, target: Path) -> None:
    fig, ax = _axes(
        f"Dependence: {feature} (test)", f"{feature} (value)", "contribution to log-odds of churn"
    )
    ax.scatter(frame["value"], frame["contribution"], s=6, alpha=0.35, label="one customer")
    ax.axhline(0, color="grey", lw=1)
    ax.legend(loc="best")
    io.save_figure(fig, target)


def overlay_png(
    curves: dict[str, pd.DataFrame],
    x: str,
    y: str,
    title: str,
    target: Path,
    diagonal: str | None = None,
) -> None:
    """Several revisions' curves on one axis (the pull-request report's before/after)."""
    fig, ax = _axes(title, axis_label(x), axis_label(y))
    # The first curve (base) is dashed and drawn on top, so identical curves still show both.
    for order, (label, frame) in enumerate(curves.items()):
        style = {"ls": "--", "lw": 1.5, "zorder": 3} if order == 0 else {"lw": 2.5}
        ax.plot(frame[x], frame[y], label=label, **style)
    if diagonal:
        ax.plot([0, 1], [0, 1], ls="--", color="grey", label=diagonal)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="best")
    io.save_figure(fig, target)
