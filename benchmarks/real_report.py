"""Figures of the real-data benchmark: per-seed metrics, paired differences, the Markdown table.

Every method scores the same test customers of a split seed, so churnlab and a peer are
compared pairwise. The mean difference over seeds is the mean of the per-seed differences;
its interval comes from a paired bootstrap over test customers pooled per seed: each
replicate resamples every seed's test customers (the same resample for both methods,
:func:`churnlab.metrics.bootstrap_replicates` with one seed per split) and averages the
per-seed differences. ``paired_bootstrap`` summarises one sample and returns no replicates,
so the pooling over seeds works from the replicates themselves.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from churnlab.metrics import bootstrap_replicates

METRICS = ("roc_auc", "pr_auc")
LABELS = {
    "churnlab": "churnlab default",
    "notebook_lr": "notebook LR",
    "notebook_xgb": "notebook XGB",
    "autogluon": "AutoGluon",
}


def r6(value: float) -> float:
    return round(float(value), 6)


def method_figures(ys: list[np.ndarray], scores: list[np.ndarray]) -> dict:
    """Per-seed test ROC-AUC and PR-AUC (average precision), their means and spread."""
    out: dict = {}
    for name, metric in (("roc_auc", roc_auc_score), ("pr_auc", average_precision_score)):
        values = [float(metric(y, s)) for y, s in zip(ys, scores, strict=True)]
        out[name] = [r6(v) for v in values]
        out[f"mean_{name}"] = r6(np.mean(values))
        out[f"std_{name}"] = r6(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return out


def replicates(ys, scores, resamples: int, seeds: list[int]) -> list[tuple]:
    """(ROC-AUC, PR-AUC) bootstrap replicates per split seed; seed ``k`` resamples with ``k``,
    so two methods' replicates of one split are paired."""
    return [
        bootstrap_replicates(y, s, resamples, seed)
        for y, s, seed in zip(ys, scores, seeds, strict=True)
    ]


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]  # a resample with one class has no AUC
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return r6(low), r6(high)


def paired(ours: dict, peer: dict, reps_ours, reps_peer, confidence: float) -> dict:
    """churnlab − peer per metric: per-seed differences, their mean, the pooled paired
    interval of the mean, each seed's own interval and the seeds churnlab wins."""
    out = {}
    for i, name in enumerate(METRICS):
        diffs = np.array(ours[name]) - np.array(peer[name])
        per_seed = [a[i] - b[i] for a, b in zip(reps_ours, reps_peer, strict=True)]
        low, high = _interval(np.mean(per_seed, axis=0), confidence)
        out[name] = {
            "per_seed_difference": [r6(d) for d in diffs],
            "mean_difference": r6(diffs.mean()),
            "low": low,
            "high": high,
            "per_seed_interval": [list(_interval(d, confidence)) for d in per_seed],
            "wins": int((diffs > 0).sum()),
            "seeds": len(diffs),
        }
    return out


def _signed(value: float) -> str:
    return f"{value:+.4f}".replace("-", "−")


def markdown(results: dict, metric: str = "roc_auc") -> str:
    """One row per table: each method's mean over seeds, churnlab − the best peer, wins."""
    peers = [m for m in LABELS if m != "churnlab"]
    head = ["table", "customers", *LABELS.values(), "churnlab − best peer [95 % interval]", "wins"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name, table in results["tables"].items():
        if "methods" not in table:
            lines.append(f"| {name} | {table.get('skipped', '')} |" + " |" * (len(head) - 2))
            continue
        methods = table["methods"]
        cells = [name, f"{table['customers']:,}"]
        for method in LABELS:
            figures = methods.get(method, {})
            cells.append(f"{figures[f'mean_{metric}']:.4f}" if f"mean_{metric}" in figures else "—")
        best = max(
            (p for p in peers if "paired" in methods.get(p, {})),
            key=lambda p: methods[p][f"mean_{metric}"],
            default=None,
        )
        if best is None:
            cells += ["—", "—"]
        else:
            d = methods[best]["paired"][metric]
            cells.append(
                f"{_signed(d['mean_difference'])} [{_signed(d['low'])}, {_signed(d['high'])}] "
                f"vs {LABELS[best]}"
            )
            cells.append(f"{d['wins']}/{d['seeds']}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def autogluon_notes(results: dict) -> str:
    """Machine load at the AutoGluon runs (its time limit is wall-clock), or why it is absent."""
    lines = []
    for name, table in results["tables"].items():
        ag = table.get("methods", {}).get("autogluon", {})
        if "skipped" in ag:
            lines.append(f"- {name}: AutoGluon skipped: {'; '.join(ag['skipped'])}")
        elif "runs" in ag:
            loads = [r["load_average_before"][0] for r in ag["runs"]]
            models = sorted({m for r in ag["runs"] for m in r.get("models_fitted", [])})
            lines.append(
                f"- {name}: AutoGluon {ag['runs'][0].get('autogluon', '')} fitted with "
                f"num_cpus={ag['runs'][0]['num_cpus']} on a {ag['runs'][0]['cpu_count']}-CPU "
                f"machine at 1-min load {min(loads):.1f}–{max(loads):.1f} "
                f"({sum(r['cached'] for r in ag['runs'])} of {len(loads)} seeds from the cache); "
                f"models: {', '.join(models)}"
            )
    return "\n".join(lines) + "\n" if lines else ""
