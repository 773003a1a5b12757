"""Classification metrics and the decision threshold, as pure functions of labels and scores."""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm


def max_f1_threshold(y_true: np.ndarray, scores: np.ndarray) -> float:
    """The score threshold that maximises F1 (ties go to the higher threshold)."""
    precision, recall, thresholds = skm.precision_recall_curve(y_true, scores)
    precision, recall = precision[:-1], recall[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0)
    best = np.flatnonzero(np.isclose(f1, f1.max(), rtol=0, atol=1e-12))[-1]
    return float(thresholds[best])


def classification_metrics(y_true: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    y_true = np.asarray(y_true).astype(int)
    scores = np.asarray(scores, dtype="float64")
    predicted = (scores >= threshold).astype(int)
    clipped = np.clip(scores, 1e-15, 1 - 1e-15)  # for log loss only
    tn, fp, fn, tp = skm.confusion_matrix(y_true, predicted, labels=[0, 1]).ravel()
    return {
        "roc_auc": skm.roc_auc_score(y_true, scores),
        "pr_auc": skm.average_precision_score(y_true, scores),
        "f1": skm.f1_score(y_true, predicted, zero_division=0),
        "precision": skm.precision_score(y_true, predicted, zero_division=0),
        "recall": skm.recall_score(y_true, predicted, zero_division=0),
        "specificity": tn / (tn + fp) if tn + fp else 0.0,
        "accuracy": skm.accuracy_score(y_true, predicted),
        "brier": skm.brier_score_loss(y_true, scores),
        "log_loss": skm.log_loss(y_true, clipped, labels=[0, 1]),
        "threshold": float(threshold),
        "n": len(y_true),
        "true_positives": int(tp),
        "false_positives": int(fp),
        "true_negatives": int(tn),
        "false_negatives": int(fn),
        "positive_rate": float(y_true.mean()),
    }


def calibration_table(y_true: np.ndarray, scores: np.ndarray, n_bins: int) -> dict:
    """Mean predicted probability and observed churn rate per quantile bin of the score."""
    from sklearn.calibration import calibration_curve

    observed, predicted = calibration_curve(y_true, scores, n_bins=n_bins, strategy="quantile")
    return {"mean_predicted": predicted, "observed_rate": observed}


def rounded(values: dict, digits: int = 6) -> dict:
    return {
        k: round(float(v), digits) if isinstance(v, (float, np.floating)) else v
        for k, v in values.items()
    }
