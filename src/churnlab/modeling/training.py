"""Training without files: fit ``train.model``, calibrate it and choose the threshold on validation.

:func:`train` returns everything the train stage writes (the uncalibrated and the calibrated
model, the validation scores, ``metrics/train.json``'s summary and the reliability frames of
the calibration), so a benchmark or a study gets the same model as ``dvc repro`` by calling it
on its own matrices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from churnlab.config.params import Params
from churnlab.metrics import classification_metrics, rounded
from churnlab.modeling import calibration
from churnlab.modeling.registry import spec_for
from churnlab.modeling.thresholds import choose_threshold, threshold_summary


@dataclass(frozen=True)
class Trained:
    model: Any  # the fitted estimator before calibration (training curves, importance)
    calibrated: Any  # what the inference pipeline serves
    valid_scores: np.ndarray  # calibrated validation scores
    summary: dict  # metrics/train.json: threshold, validation metrics, calibration, decision
    reliability: dict[str, pd.DataFrame]  # validation reliability "before"/"after" calibration


def fit_calibrated(params: Params, X, y, X_valid, y_valid):
    """Fit, calibrate on validation; return the model, the calibrated model, the calibrated
    validation scores, the calibration report and the reliability frames."""
    p = params.train
    spec = spec_for(p.model)
    model = spec.fit(spec.make(p, y), X, y, X_valid, y_valid)
    raw = model.predict_proba(X_valid)[:, 1]
    calibrated = calibration.calibrate(model, X_valid, y_valid, p.calibration)
    scores = calibrated.predict_proba(X_valid)[:, 1]
    crossfit = None
    if p.calibration != "none":
        crossfit = calibration.crossfit_scores(model, X_valid, y_valid, p.calibration, p.seed)
    bins = params.evaluate.calibration_bins
    report = {"method": p.calibration} | calibration.calibration_report(
        y_valid, raw, scores, crossfit, bins
    )
    reliability = {
        "before": calibration.reliability_frame(y_valid, raw, bins),
        "after": calibration.reliability_frame(y_valid, scores, bins),
    }
    return model, calibrated, scores, report, reliability


def train(params: Params, X, y, X_valid, y_valid) -> Trained:
    """Fit and calibrate ``train.model``, choose the threshold on validation, summarise."""
    p = params.train
    model, calibrated, valid_scores, calibration_report, reliability = fit_calibrated(
        params, X, y, X_valid, y_valid
    )
    threshold = choose_threshold(y_valid, valid_scores, p.threshold, params.business)
    summary = {
        "model": p.model,
        "threshold": round(threshold, 6),
        "valid": rounded(classification_metrics(y_valid, valid_scores, threshold)),
        "n_features": X.shape[1],
        "best_iteration": getattr(model, "best_iteration", None),
        "calibration": calibration_report,
        "decision": threshold_summary(
            y_valid, valid_scores, threshold, p.threshold, params.business
        ),
    }
    return Trained(model, calibrated, valid_scores, summary, reliability)
