"""Every figure of churnlab: the plot data (small CSVs that ``dvc plots`` renders) and the PNGs.

One module on purpose, though it is over 300 lines: all figures share one style (``_axes``, the
axis and model labels, :func:`churnlab.io.save_figure`), so a figure is changed in one place
and looks like its neighbours. Sections: evaluation curves (ROC, precision-recall, calibration,
confusion, importance); business figures (gains, lift, profit, score distribution);
explanations (SHAP importance, dependence); the pull-request overlay; the studies (leaderboard,
search history, ablation); monitoring (drift).

Figures use matplotlib's object API (no pyplot), so no global state or GUI backend is involved.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn import metrics as skm

from churnlab import io

# Evaluation curves: ROC, precision-recall, calibration, confusion matrix, importance.


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


def _unit_square(ax, diagonal: str | None, legend: str = "best") -> None:
    """Both axes over [0, 1], the y = x line labelled ``diagonal`` (if any), the legend."""
    if diagonal:
        ax.plot([0, 1], [0, 1], ls="--", color="grey", label=diagonal)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc=legend)


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
    _unit_square(ax, diagonal)
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


# Business figures: the model against the baselines, and what a campaign is worth.

MODEL_LABELS = {"model": "model", "rules": "current rules", "logreg": "logistic regression"}


def _by_model(ax, frame: pd.DataFrame, x: str) -> None:
    for name in frame.columns.drop(x):
        ax.plot(frame[x], frame[name], lw=2, label=MODEL_LABELS.get(name, name))


def gains_png(gains: pd.DataFrame, target: Path) -> None:
    fig, ax = _axes(
        "Cumulative gains (test)", "share of customers contacted", "share of churners caught"
    )
    _by_model(ax, gains, "contacted_share")
    _unit_square(ax, "random contact", legend="lower right")
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


# Explanations: which features drive the scores, and how.


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


# The pull-request report: a base revision's curve against the head's.


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
    _unit_square(ax, diagonal)
    io.save_figure(fig, target)


# Studies: model-selection leaderboard, search history, feature-family ablation.


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


def ablation_png(summary: dict, target: Path) -> None:
    """Bars: ROC-AUC lost per family switched off (and all of them); whiskers: paired interval."""
    rows = [*summary["families"].values(), summary["raw_only"]]
    names = [*summary["families"], "all (vs raw only)"]
    values = np.array([r["paired"]["roc_auc"]["difference"] for r in rows])
    low = np.array([r["paired"]["roc_auc"]["low"] for r in rows])
    high = np.array([r["paired"]["roc_auc"]["high"] for r in rows])
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    colours = [
        "tab:blue" if lo > 0 else "tab:gray" if hi >= 0 else "tab:red"
        for lo, hi in zip(low, high, strict=True)
    ]
    ax.barh(
        names[::-1],
        values[::-1],
        color=colours[::-1],
        xerr=np.vstack([values - low, high - values])[:, ::-1],
        capsize=3,
    )
    ax.axvline(0.0, color="black", linewidth=0.8)
    level = round(100 * summary["confidence"])
    ax.set_xlabel(f"test ROC-AUC lost when the family is switched off ({level}% paired bootstrap)")
    ax.set_title(f"Feature-family ablation (full ROC-AUC {summary['full']['roc_auc']:.4f})")
    io.save_figure(fig, target)


# Monitoring: feature and prediction drift between two tables.


def drift_png(report: dict, target: Path) -> None:
    """PSI per feature (drifted ones red) against the threshold; the prediction PSI in the title."""
    features = report["features"]
    names = sorted(features, key=lambda n: features[n]["psi"])
    fig = Figure(figsize=(6.5, 0.3 * len(names) + 1.5))
    ax = fig.subplots()
    colours = ["tab:red" if features[n]["drifted"] else "tab:blue" for n in names]
    ax.barh(names, [features[n]["psi"] for n in names], color=colours)
    ax.axvline(report["thresholds"]["psi_threshold"], ls="--", color="grey", label="threshold")
    prediction = report["prediction"]
    title = "feature PSI (red: drifted)"
    if prediction is not None:
        title += f"; prediction PSI {prediction['psi']:.3f}"
    ax.set_title(title)
    ax.set_xlabel("population stability index")
    ax.legend(loc="lower right")
    io.save_figure(fig, target)


# Scored customers (`churnlab predict`): what calling them is expected to bring.


def expected_savings_png(curve: pd.DataFrame, budget: int, currency: str, target: Path) -> None:
    """Expected net savings by the number of customers called (call-list order)."""
    fig, ax = _axes(
        "Expected net savings of calling the list",
        "customers called (highest expected value at risk first)",
        f"expected net savings ({currency})",
    )
    ax.plot(curve["called"], curve["expected_net_savings"], lw=2, label="call list")
    ax.axvline(budget, color="tab:red", ls="--", label=f"contact budget ({budget:,})")
    ax.axhline(0, color="grey", lw=1)
    ax.set_xlim(0, float(curve["called"].max()))
    ax.legend(loc="best")
    io.save_figure(fig, target)


def expected_gains_png(curve: pd.DataFrame, budget: int, target: Path) -> None:
    """Expected share of churners reached by the share of customers called."""
    fig, ax = _axes(
        "Expected gains of the call list",
        "share of customers called",
        "expected share of churners reached",
    )
    ax.plot(curve["called_share"], curve["expected_gains"], lw=2, label="call list")
    share = budget / float(curve["called"].max())
    ax.axvline(share, color="tab:red", ls="--", label=f"contact budget ({budget:,})")
    _unit_square(ax, "random calling", legend="lower right")
    io.save_figure(fig, target)
