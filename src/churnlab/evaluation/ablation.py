"""Feature-family ablation: fit the model on one featurizer variant, and summarise all variants.

:func:`fit_variant` featurizes the splits with a variant's params
(:mod:`churnlab.features.families`) and fits ``train.model`` through the model registry
exactly as the train stage does; :func:`summarise` turns one result per variant into
``metrics/ablation.json``: each family's contribution (full ROC-AUC minus ROC-AUC with it off),
the raw-columns baseline and what selection costs, each with a paired bootstrap interval over
the same test customers. The ``ablation`` stage reads and writes the files.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from churnlab.config.columns import TARGET
from churnlab.config.params import EvaluateParams, FeaturizeParams, Params
from churnlab.errors import UserError
from churnlab.features.families import FAMILIES, variant
from churnlab.features.fit import featurize
from churnlab.metrics import paired_bootstrap
from churnlab.modeling.registry import REGISTRY, model_for

if TYPE_CHECKING:
    from churnlab.modeling.registry import ModelSpec


def variant_setup(params: Params, name: str) -> tuple[FeaturizeParams, ModelSpec]:
    """The variant's featurize params and the registry entry of ``train.model``.

    Fails with one message on an unknown variant, or a model that does not use the features
    (nothing to switch off), so the stage can call it before reading any data.
    """
    p = variant(params.featurize, name)
    spec = REGISTRY[model_for(params.train, 0)]  # every `auto` model reads the features
    if not spec.uses_features:
        raise UserError(
            f"ablation needs a model that uses features; train.model is {params.train.model}"
        )
    return p, spec


def fit_variant(
    params: Params, name: str, parts: dict[str, pd.DataFrame], schema: dict | None
) -> tuple[dict, pd.DataFrame]:
    """The variant's summary and its test scores (label and score per test customer)."""
    p, _ = variant_setup(params, name)  # fails early; the model depends on the rows (auto)
    started = time.perf_counter()
    done = featurize(parts, p, params.data.snapshot_date, schema)
    featurize_seconds = time.perf_counter() - started
    X = {k: m.drop(columns=[TARGET]) for k, m in done.matrices.items()}
    y = {k: m[TARGET].to_numpy() for k, m in done.matrices.items()}
    started = time.perf_counter()
    spec = REGISTRY[model_for(params.train, len(y["train"]) + len(y["valid"]))]
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
