"""What several zoo models share: class weighting from ``train.class_weight``, float32
matrices for the native boosting libraries, and a scaler in front of scale-sensitive models."""

from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from churnlab.config.models import TrainParams


def positive_weight(y: np.ndarray, p: TrainParams) -> float:
    """``scale_pos_weight`` of the boosted models: negatives per positive when balanced."""
    if p.class_weight != "balanced":
        return 1.0
    positives = max(int(np.sum(y)), 1)
    return (len(y) - positives) / positives


def class_weight(p: TrainParams) -> str | None:
    return "balanced" if p.class_weight == "balanced" else None


def as_matrix(X) -> np.ndarray:
    """``X`` (a frame or an array) as a float32 matrix, the native libraries' input."""
    if hasattr(X, "to_numpy"):  # faster than np.asarray's probing of a frame's attributes
        return X.to_numpy(dtype="float32")
    return np.asarray(X, dtype="float32")


def scaled(model) -> Pipeline:
    """Standardise first: SVMs and the MLP need unit-scale inputs, and the featurizer leaves
    some columns (date parts, days before the snapshot) in their own units."""
    return Pipeline([("scale", StandardScaler()), ("model", model)])
