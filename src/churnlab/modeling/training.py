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
from churnlab.modeling import autoselect, bagging, calibration, refit
from churnlab.modeling.registry import AUTO_MODELS, SMALL_DATA_ROWS, model_for, spec_for
from churnlab.modeling.thresholds import choose_threshold, threshold_summary


@dataclass(frozen=True)
class Trained:
    model: Any  # the fitted estimator before calibration (training curves, importance)
    calibrated: Any  # what the inference pipeline serves
    valid_scores: np.ndarray  # calibrated validation scores
    summary: dict  # metrics/train.json: threshold, validation metrics, calibration, decision
    reliability: dict[str, pd.DataFrame]  # validation reliability "before"/"after" calibration


def calibration_outputs(y, raw, scores, crossfit, method: str, bins: int):
    """The calibration report and the reliability frames of held-out scores."""
    report = {"method": method} | calibration.calibration_report(y, raw, scores, crossfit, bins)
    reliability = {
        "before": calibration.reliability_frame(y, raw, bins),
        "after": calibration.reliability_frame(y, scores, bins),
    }
    return report, reliability


def fit_calibrated(params: Params, X, y, X_valid, y_valid, fitted=None):
    """Fit (unless ``fitted`` is given), calibrate on validation; return the model, the
    calibrated model, the calibrated validation scores, the calibration report and the
    reliability frames."""
    p = params.train
    spec = spec_for(model_for(p, len(y_valid) + (0 if y is None else len(y))))
    model = fitted if fitted is not None else spec.fit(spec.make(p, y), X, y, X_valid, y_valid)
    raw = model.predict_proba(X_valid)[:, 1]
    calibrated, scores, crossfit = model, raw, None
    if p.calibration != "none":
        # The model scores validation once: the map, the calibrated scores and the cross-fit
        # read these scores (the same figures and saved object as calibration.calibrate and
        # calibration.crossfit_scores, which scored it again for each fold of each fit).
        calibrator = refit.calibrator_on_scores(raw, y_valid, p.calibration)
        scores = refit.apply_calibrator(calibrator, raw)
        crossfit = refit.crossfit_on_scores(raw, y_valid, p.calibration, p.seed)
        calibrated = refit.around(calibrator, model)
        for name in ("n_features_in_", "feature_names_in_"):  # as calibrate's fit leaves it
            vars(calibrated).pop(name, None)
    bins = params.evaluate.calibration_bins
    report, reliability = calibration_outputs(y_valid, raw, scores, crossfit, p.calibration, bins)
    return model, calibrated, scores, report, reliability


def fit_all_data(params: Params, fitted, y_all):
    """Calibrate ``refit.refit``'s results on their out-of-fold scores (docs: refit)."""
    p = params.train
    early, final, oof = fitted
    served = bagging.bag(oof.models) if p.bagging == "folds" else final
    scores, crossfit, calibrated = oof.scores, None, served
    if p.calibration != "none":
        calibrator = refit.calibrator_on_scores(oof.scores, y_all, p.calibration)
        scores = refit.apply_calibrator(calibrator, oof.scores)
        crossfit = refit.crossfit_on_scores(oof.scores, y_all, p.calibration, p.seed)
        calibrated = refit.around(calibrator, served)
    bins = params.evaluate.calibration_bins
    report, reliability = calibration_outputs(
        y_all, oof.scores, scores, crossfit, p.calibration, bins
    )
    return early, calibrated, scores, report, reliability


def refit_summary(p, fitted, n_train: int, n_all: int) -> dict:
    oof = fitted[2]
    return {
        "method": "train_valid",
        "requested": p.refit,
        "rows": n_all,
        "folds": p.refit_folds,
        "early_stopping_rounds_on_train": oof.rounds,
        "final_rounds": refit.scaled_rounds(oof.rounds, n_all, n_train),
        "bagging": p.bagging,
        "scored_on": "out-of-fold predictions over train+valid",
    }


# train.refit: auto refits on train+valid up to this many rows: above it validation is big
# enough to calibrate on, 15 % more rows gain little, and the refit costs about seven fits.
REFIT_MAX_ROWS = SMALL_DATA_ROWS


def with_model(params: Params, name: str) -> Params:
    return params.model_copy(update={"train": params.train.model_copy(update={"model": name})})


def refit_method(params: Params, rows: int) -> str:
    """``train_valid`` or ``train`` for ``rows`` train+valid customers. Time splits keep
    ``train``: random folds over train+valid would score the past with the future; so does a
    blend, whose members stop early on the valid split."""
    method = params.train.refit
    if method == "auto":
        method = "train_valid" if rows <= REFIT_MAX_ROWS else "train"
    if params.train.model == "blend":
        return "train"
    return "train" if params.split.method == "time" else method


@dataclass(frozen=True)
class Refitted:
    """``refit.refit``'s results made elsewhere (distributed XGBoost on Spark, which passes
    no train rows): the labels of the out-of-fold scores and the train rows' count."""

    fitted: tuple  # (early-stopped model, final model on train+valid, refit.OutOfFold)
    labels: np.ndarray  # one per out-of-fold score, in its order
    train_rows: int


def train(params: Params, X, y, X_valid, y_valid, fitted=None) -> Trained:
    """Fit and calibrate ``train.model`` (or the selected model), choose the threshold on
    held-out scores (validation, or out-of-fold over train+valid), summarise. A model
    ``fitted`` elsewhere (distributed XGBoost on Spark, which passes no train rows) is only
    calibrated and thresholded on validation; a :class:`Refitted` one is calibrated and
    thresholded on its out-of-fold scores, as the local refit."""
    if fitted is None:  # train.model: auto by the rows
        params = with_model(params, model_for(params.train, len(y) + len(y_valid)))
    elif params.train.model == "auto":  # fitted on Spark's executors: distributed XGBoost
        params = with_model(params, AUTO_MODELS[0])
    p = params.train
    name, extra = p.model, {}
    if isinstance(fitted, Refitted):
        fitted, y_scored, n_train = fitted.fitted, fitted.labels, fitted.train_rows
    elif fitted is None and refit_method(params, len(y) + len(y_valid)) == "train_valid":
        name, fitted, extra = autoselect.fit_selected(params, X, y, X_valid, y_valid)
        y_scored = np.concatenate([np.asarray(y), np.asarray(y_valid)])
        n_train = len(y)
    if isinstance(fitted, tuple):  # refitted on train+valid
        model, calibrated, scores, calibration_report, reliability = fit_all_data(
            params, fitted, y_scored
        )
        extra["refit"] = refit_summary(p, fitted, n_train, len(y_scored))
    else:
        y_scored = y_valid
        model, calibrated, scores, calibration_report, reliability = fit_calibrated(
            params, X, y, X_valid, y_valid, fitted
        )
        extra["refit"] = {"method": "train", "requested": p.refit, "scored_on": "validation"}
    threshold = choose_threshold(y_scored, scores, p.threshold, params.business)
    summary = {
        "model": name,
        "threshold": round(threshold, 6),
        "valid": rounded(classification_metrics(y_scored, scores, threshold)),
        "n_features": X_valid.shape[1],
        "best_iteration": getattr(model, "best_iteration", None),
        "calibration": calibration_report,
        "decision": threshold_summary(y_scored, scores, threshold, p.threshold, params.business),
        **extra,
    }
    return Trained(model, calibrated, scores, summary, reliability)
