"""Stage train: fit the model named by ``train.model``, choose the threshold on validation.

Writes the inference pipeline (featurizer + model, one skops file), its metadata (threshold,
validation metrics, best iteration), the training curves (dvclive) and ``metrics/train.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from churnlab import io, package, paths
from churnlab.features import feature_frame
from churnlab.input_schema import input_schema
from churnlab.metrics import classification_metrics, max_f1_threshold, rounded
from churnlab.models import REGISTRY
from churnlab.params import Params
from churnlab.snapshot import TARGET

log = logging.getLogger(__name__)


def log_curves(model) -> None:
    """Per-iteration train/valid curves of a boosted model, logged with dvclive."""
    from dvclive import Live

    history = model.evals_result() if hasattr(model, "evals_result") else {}
    with Live(dir=str(paths.TRAIN_LIVE), dvcyaml=None, save_dvc_exp=False, report=None) as live:
        if not history:
            return
        names = {"validation_0": "train", "validation_1": "valid"}
        steps = len(next(iter(history["validation_0"].values())))
        # The boosting already happened: set the step directly instead of next_step(),
        # which rewrites the summary files on every step (10 s for 700 rounds, measured).
        for step in range(steps):
            live.step = step
            for source, curves in history.items():
                for metric, values in curves.items():
                    live.log_metric(f"{names[source]}/{metric}", round(values[step], 6))


def inputs(params: Params, name: str, uses_features: bool) -> tuple[pd.DataFrame, np.ndarray]:
    if uses_features:
        frame = io.read_table(paths.FEATURES / f"{name}.parquet")
        return frame.drop(columns=[TARGET]), frame[TARGET].to_numpy()
    frame = io.read_table(paths.SPLIT / f"{name}.parquet")
    return feature_frame(frame), frame[TARGET].to_numpy()


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def provenance(params: Params) -> dict:
    """What the model was trained on, as content hashes (the git revision is stamped at
    registration: a DVC output that changed with every commit could never be up to date)."""
    sections = {k: params.model_dump(mode="json")[k] for k in ("data", "featurize", "train")}
    canonical = json.dumps(sections, sort_keys=True).encode("utf-8")
    return {
        "data_sha256": {
            name: file_sha256(paths.SPLIT / f"{name}.parquet") for name in ("train", "valid")
        },
        "params_sha256": hashlib.sha256(canonical).hexdigest(),
        "training_date": str(params.data.snapshot_date),
    }


def main(params: Params) -> None:
    p = params.train
    spec = REGISTRY[p.model]
    X, y = inputs(params, "train", spec.uses_features)
    X_valid, y_valid = inputs(params, "valid", spec.uses_features)
    log.info("training %s on %d rows x %d columns", p.model, *X.shape)
    model = spec.fit(spec.make(p, y), X, y, X_valid, y_valid)
    valid_scores = model.predict_proba(X_valid)[:, 1]
    if p.threshold.method == "max_f1":
        threshold = max_f1_threshold(y_valid, valid_scores)
    else:
        threshold = p.threshold.value
    valid_metrics = rounded(classification_metrics(y_valid, valid_scores, threshold))
    steps = [("model", model)]
    if spec.uses_features:
        steps.insert(0, ("features", package.load(paths.FEATURIZER)))
    package.save(Pipeline(steps), paths.PIPELINE)
    best_iteration = getattr(model, "best_iteration", None)
    summary = {
        "model": p.model,
        "threshold": round(threshold, 6),
        "valid": valid_metrics,
        "n_features": X.shape[1],
        "best_iteration": best_iteration,
    }
    train_rows = feature_frame(io.read_table(paths.SPLIT / "train.parquet"))
    metadata = {
        **summary,
        **provenance(params),
        "snapshot_date": str(params.data.snapshot_date),
        "input_schema": input_schema(train_rows),
    }
    io.write_json(metadata, paths.MODEL_META)
    io.write_json(summary, paths.METRICS / "train.json")
    log_curves(model)
    log.info("valid ROC-AUC %.4f, threshold %.4f", valid_metrics["roc_auc"], threshold)
