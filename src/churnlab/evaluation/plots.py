"""Plot data (small CSVs that ``dvc plots`` renders) and PNG images for readers without DVC.

Figures use matplotlib's object API (no pyplot), so no global state or GUI backend is involved.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn import metrics as skm

from churnlab import io


def roc_frame(y_true, scores) -> pd.DataFrame:
    fpr, tpr, thr = skm.roc_curve(y_true, scores)
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": np.minimum(thr, 1.0)})


def pr_frame(y_true, scores) -> pd.DataFrame:
    precision, recall, thr = skm.precision_recall_curve(y_true, scores)
    return pd.DataFrame({"recall": recall[:-1], "precision": precision[:-1], "threshold": thr})


def confusion_frame(y_true, predicted) -> pd.DataFrame:
    labels = np.array(["stays", "churns"])
    return pd.DataFrame(
        {
            "actual": labels[np.asarray(y_true, dtype=int)],
            "predicted": labels[np.asarray(predicted, dtype=int)],
        }
    )


# Axis names a reader understands without knowing the column names.
AXIS_LABELS = {
    "fpr": "false positive rate (stayers flagged)",
    "tpr": "true positive rate (churners caught)",
    "recall": "recall (share of churners caught)",
    "precision": "precision (share of flagged who churn)",
    "mean_predicted": "mean predicted churn probability",
    "observed_rate": "observed churn rate",
}


def axis_label(column: str) -> str:
    return AXIS_LABELS.get(column, column.replace("_", " "))


def _axes(title: str, xlabel: str, ylabel: str):
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.subplots()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    return fig, ax


def curve_png(
    frame: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    label: str,
    target: Path,
    diagonal: str | None = None,
) -> None:
    fig, ax = _axes(title, axis_label(x), axis_label(y))
    ax.plot(frame[x], frame[y], label=label, lw=2)
    if diagonal:
        ax.plot([0, 1], [0, 1], ls="--", color="grey", label=diagonal)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="best")
    io.save_figure(fig, target)


def confusion_png(y_true, predicted, target: Path) -> None:
    matrix = skm.confusion_matrix(y_true, predicted, labels=[0, 1])
    fig = Figure(figsize=(4.5, 4))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(
            j,
            i,
            f"{value:,}",
            ha="center",
            va="center",
            color="white" if value > matrix.max() / 2 else "black",
            fontsize=12,
        )
    ax.set_xticks([0, 1], ["stays", "churns"])
    ax.set_yticks([0, 1], ["stays", "churns"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    ax.set_title("Confusion matrix (test, at the chosen threshold)")
    io.save_figure(fig, target)


def importance_png(importance: pd.Series, top: int, target: Path) -> None:
    top_values = importance.sort_values(ascending=False).head(top).iloc[::-1]
    fig = Figure(figsize=(7, 0.3 * len(top_values) + 1.2))
    ax = fig.subplots()
    ax.barh(top_values.index, top_values.to_numpy(), color="tab:blue")
    ax.set_title(f"Top {len(top_values)} features ({importance.name})")
    ax.set_xlabel(str(importance.name).replace("_", " "))
    ax.grid(axis="x", alpha=0.3)
    io.save_figure(fig, target)
