"""A multilayer perceptron (``train.model: mlp``) on standardised features, early-stopped on
a 10% slice of the training rows; no native importance and no exact explanation method."""

from __future__ import annotations

import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from churnlab.config.models import MLPParams, TrainParams
from churnlab.modeling.spec import ModelSpec, qualified
from churnlab.modeling.zoo.common import scaled


def make(p: TrainParams, y: np.ndarray) -> Pipeline:
    m = p.mlp
    mlp = MLPClassifier(
        **m.model_dump(exclude={"hidden_layer_sizes"}),
        hidden_layer_sizes=tuple(m.hidden_layer_sizes),
        early_stopping=True,  # on a 10% slice of the training rows
        n_iter_no_change=10,
        random_state=p.seed,
    )
    model = scaled(mlp)
    model._balanced = p.class_weight == "balanced"
    return model


def fit(model: Pipeline, X, y, X_valid, y_valid) -> Pipeline:
    # MLPClassifier has no class_weight: balanced classes are sample weights.
    if not getattr(model, "_balanced", False):
        return model.fit(X, y)
    return model.fit(X, y, model__sample_weight=compute_sample_weight("balanced", y))


SPECS = (
    ModelSpec(
        name="mlp",
        params=MLPParams,
        make=make,
        estimator=Pipeline,
        fit=fit,
        complexity=5,
        trusted_types=(
            qualified(Pipeline),
            qualified(StandardScaler),
            qualified(MLPClassifier),
            "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
            "sklearn.preprocessing._label.LabelBinarizer",
        ),
    ),
)
