"""Drift between a reference and a current table of prepared customers.

Per feature: the population stability index (PSI) on reference-quantile bins (numeric) or on
categories, plus a two-sample test (Kolmogorov–Smirnov for numbers, chi-squared for
categories); per model: the PSI of the predicted churn probabilities. A feature drifts when
its PSI exceeds ``drift.psi_threshold`` *and* its test's p-value is below ``drift.p_value``
(with 50k rows a test alone flags differences too small to matter; PSI alone flags noise on
small samples). The report says whether to alert: more drifted features than
``drift.max_drifted_features``, or a prediction PSI over ``drift.prediction_psi_threshold``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from churnlab.config.params import DriftParams

# Empty bins get this share, so PSI stays finite when a category appears or disappears.
_FLOOR = 1e-4


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI of two histograms (counts or shares over the same bins)."""
    e = np.maximum(expected / max(expected.sum(), 1), _FLOOR)
    a = np.maximum(actual / max(actual.sum(), 1), _FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_drift(reference: pd.Series, current: pd.Series, bins: int) -> dict[str, Any]:
    ref = pd.to_numeric(reference, errors="coerce").astype("float64").dropna().to_numpy()
    cur = pd.to_numeric(current, errors="coerce").astype("float64").dropna().to_numpy()
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    # Missing values are their own bin: a rise in missingness is drift too.
    ref_counts = np.append(
        np.bincount(np.searchsorted(edges, ref), minlength=len(edges) + 1), reference.isna().sum()
    )
    cur_counts = np.append(
        np.bincount(np.searchsorted(edges, cur), minlength=len(edges) + 1), current.isna().sum()
    )
    test = stats.ks_2samp(ref, cur) if len(ref) and len(cur) else None
    return {
        "kind": "numeric",
        "psi": psi(ref_counts, cur_counts),
        "test": "ks",
        "statistic": float(test.statistic) if test else None,
        "p_value": float(test.pvalue) if test else None,
        "reference_mean": float(ref.mean()) if len(ref) else None,
        "current_mean": float(cur.mean()) if len(cur) else None,
    }


def categorical_drift(reference: pd.Series, current: pd.Series) -> dict[str, Any]:
    ref = reference.astype("str").fillna("<missing>").value_counts()
    cur = current.astype("str").fillna("<missing>").value_counts()
    categories = sorted(set(ref.index) | set(cur.index))
    ref_counts = ref.reindex(categories, fill_value=0).to_numpy()
    cur_counts = cur.reindex(categories, fill_value=0).to_numpy()
    table = np.vstack([ref_counts, cur_counts])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] > 1:
        chi2, p_value, _, _ = stats.chi2_contingency(table)
    else:
        chi2, p_value = 0.0, 1.0
    return {
        "kind": "categorical",
        "psi": psi(ref_counts, cur_counts),
        "test": "chi2",
        "statistic": float(chi2),
        "p_value": float(p_value),
        "new_categories": sorted(set(cur.index) - set(ref.index)),
    }


def feature_drift(
    reference: pd.DataFrame, current: pd.DataFrame, schema: dict[str, dict], p: DriftParams
) -> dict[str, dict[str, Any]]:
    """Drift per schema column present in both tables (free text and dates are skipped)."""
    report = {}
    for name, entry in schema.items():
        if name not in reference or name not in current or entry["kind"] in ("text", "datetime"):
            continue
        if entry["kind"] == "number":
            result = numeric_drift(reference[name], current[name], p.bins)
        else:
            result = categorical_drift(reference[name], current[name])
        result["drifted"] = bool(
            result["psi"] > p.psi_threshold
            and result["p_value"] is not None
            and result["p_value"] < p.p_value
        )
        report[name] = result
    return report


def prediction_drift(reference: np.ndarray, current: np.ndarray, bins: int) -> dict[str, Any]:
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_counts = np.bincount(np.searchsorted(edges, reference), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, current), minlength=len(edges) + 1)
    test = stats.ks_2samp(reference, current)
    return {
        "psi": psi(ref_counts, cur_counts),
        "ks_statistic": float(test.statistic),
        "p_value": float(test.pvalue),
        "reference_mean": float(np.mean(reference)),
        "current_mean": float(np.mean(current)),
    }


def summarise(features: dict, prediction: dict | None, p: DriftParams) -> dict[str, Any]:
    drifted = sorted(name for name, r in features.items() if r["drifted"])
    reasons = []
    if len(drifted) > p.max_drifted_features:
        reasons.append(
            f"{len(drifted)} drifted features > drift.max_drifted_features = "
            f"{p.max_drifted_features}: {drifted}"
        )
    if prediction is not None and prediction["psi"] > p.prediction_psi_threshold:
        reasons.append(
            f"prediction PSI {prediction['psi']:.3f} > drift.prediction_psi_threshold = "
            f"{p.prediction_psi_threshold}"
        )
    return {
        "alert": bool(reasons),
        "reasons": reasons,
        "drifted_features": drifted,
        "features": features,
        "prediction": prediction,
        "thresholds": p.model_dump(),
    }
