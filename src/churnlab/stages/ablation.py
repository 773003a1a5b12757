"""Ablation study: retrain with each feature family switched off, and summarise.

``churnlab ablation <variant>`` (one ``studies/dvc.yaml`` matrix item each) featurizes the
current splits with the variant's params (``churnlab.features.families``), fits the model
``train.model`` names through the model registry exactly as the train stage does, and writes
``studies/ablation/<variant>.json`` (test ROC-AUC and PR-AUC, feature count, fit times) and
the test scores, ``data/studies/ablation/<variant>.parquet``.
``churnlab ablation-report`` collects them into ``metrics/ablation.json`` (each family's
contribution = full ROC-AUC minus ROC-AUC with it off; the raw-columns baseline; what
selection costs), each with a paired bootstrap interval over the same test customers
(``evaluate.bootstrap_*`` params), and ``plots/ablation.png``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import average_precision_score, roc_auc_score

from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import EvaluateParams, Params
from churnlab.errors import UserError
from churnlab.features.families import FAMILIES, VARIANTS, variant
from churnlab.features.fit import featurize, read_splits
from churnlab.metrics import paired_bootstrap
from churnlab.modeling.registry import REGISTRY

log = logging.getLogger(__name__)

STUDY = Path("studies/ablation")
SCORES = Path("data/studies/ablation")  # test scores per variant, for the paired comparison
REPORT = paths.METRICS / "ablation.json"
PLOT = paths.PLOTS / "ablation.png"


def run_variant(params: Params, name: str) -> tuple[dict, pd.DataFrame]:
    """The variant's summary and its test scores (label and score per test customer)."""
    p = variant(params.featurize, name)
    spec = REGISTRY[params.train.model]
    if not spec.uses_features:
        raise UserError(
            f"ablation needs a model that uses features; train.model is {params.train.model}"
        )
    parts, schema = read_splits()
    started = time.perf_counter()
    done = featurize(parts, p, params.data.snapshot_date, schema)
    featurize_seconds = time.perf_counter() - started
    X = {k: m.drop(columns=[TARGET]) for k, m in done.matrices.items()}
    y = {k: m[TARGET].to_numpy() for k, m in done.matrices.items()}
    started = time.perf_counter()
    model = spec.fit(
        spec.make(params.train, y["train"]), X["train"], y["train"], X["valid"], y["valid"]
    )
    fit_seconds = time.perf_counter() - started
    scores = model.predict_proba(X["test"])[:, 1]
    summary = {
        "variant": name,
        "roc_auc": round(float(roc_auc_score(y["test"], scores)), 6),
        "pr_auc": round(float(average_precision_score(y["test"], scores)), 6),
        "n_features": int(X["train"].shape[1]),
        "n_features_before_selection": done.report["n_features_before_selection"],
        "featurize_seconds": round(featurize_seconds, 2),
        "fit_seconds": round(fit_seconds, 2),
    }
    return summary, pd.DataFrame({TARGET: y["test"], "score": scores})


def main(params: Params, name: str) -> None:
    result, scores = run_variant(params, name)
    io.write_table(scores, SCORES / f"{name}.parquet")
    io.write_json(result, STUDY / f"{name}.json")
    log.info(
        "%s: test ROC-AUC %.4f with %d features", name, result["roc_auc"], result["n_features"]
    )


def _change(result: dict, full: dict) -> dict:
    return {
        **result,
        "roc_auc_change": round(result["roc_auc"] - full["roc_auc"], 6),
        "pr_auc_change": round(result["pr_auc"] - full["pr_auc"], 6),
        "n_features_change": result["n_features"] - full["n_features"],
    }


def _paired(scores: dict[str, pd.DataFrame], better: str, worse: str, e: EvaluateParams) -> dict:
    """Paired bootstrap of ``better`` minus ``worse`` on the same test customers, rounded."""
    y = scores[better][TARGET].to_numpy()
    if not np.array_equal(y, scores[worse][TARGET].to_numpy()):
        raise UserError(
            f"ablation scores of {better!r} and {worse!r} are for different test customers: "
            "re-run `dvc repro studies/dvc.yaml:ablation-report`"
        )
    result = paired_bootstrap(
        y,
        scores[better]["score"].to_numpy(),
        scores[worse]["score"].to_numpy(),
        e.bootstrap_resamples,
        e.bootstrap_seed,
        e.confidence,
    )
    return {m: {k: round(v, 6) for k, v in d.items()} for m, d in result.items()}


def summarise(
    results: dict[str, dict],
    scores: dict[str, pd.DataFrame],
    e: EvaluateParams,
    max_loss: float = 0.002,
) -> dict:
    """``metrics/ablation.json`` from one result per variant (changes are variant − full).

    Every comparison carries a paired bootstrap (``paired``: full minus variant, its interval
    at ``evaluate.confidence`` and the share of resamples where full does not win). The full
    set beats raw columns by a clear margin when that interval's lower end is above zero.
    """
    full = results["full"]
    families = {}
    for family in FAMILIES:
        off = _change(results[f"no_{family}"], full)
        off["roc_auc_contribution"] = round(-off["roc_auc_change"], 6)
        off["paired"] = _paired(scores, "full", f"no_{family}", e)
        families[family] = off
    raw = _change(results["raw_only"], full)
    raw["paired"] = _paired(scores, "full", "raw_only", e)
    selected = _change(results["selection"], full)
    selected["paired"] = _paired(scores, "full", "selection", e)
    reduction = 1 - selected["n_features"] / max(full["n_features"], 1)
    selected["feature_reduction"] = round(reduction, 4)
    selected["target_met"] = bool(reduction >= 0.5 and -selected["roc_auc_change"] <= max_loss)
    return {
        "full": full,
        "raw_only": raw,
        "full_minus_raw_roc_auc": round(full["roc_auc"] - raw["roc_auc"], 6),
        "full_beats_raw_clearly": bool(raw["paired"]["roc_auc"]["low"] > 0),
        "confidence": e.confidence,
        "families": families,
        "selection": selected,
    }


def plot(summary: dict, target: Path) -> None:
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


def report(params: Params) -> None:
    missing = [
        v
        for v in VARIANTS
        if not (STUDY / f"{v}.json").exists() or not (SCORES / f"{v}.parquet").exists()
    ]
    if missing:
        raise UserError(f"ablation results missing for {missing}: run `dvc repro studies/dvc.yaml`")
    results = {v: io.read_json(STUDY / f"{v}.json") for v in VARIANTS}
    scores = {v: io.read_table(SCORES / f"{v}.parquet") for v in VARIANTS}
    summary = summarise(results, scores, params.evaluate)
    io.write_json(summary, REPORT)
    plot(summary, PLOT)
