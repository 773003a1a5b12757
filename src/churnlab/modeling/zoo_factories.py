"""Factories of the zoo models beyond XGBoost, logistic regression and the rules.

Each takes ``TrainParams`` and the training labels (for class weights) and returns an unfitted
classifier; ``fit_*`` are the registry's fit functions where a plain ``fit(X, y)`` is not
enough. The registry itself is in :mod:`churnlab.modeling.registry`.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier

from churnlab.config.params import TrainParams
from churnlab.modeling import zoo

_positive_weight = zoo.positive_weight


def _scaled(model) -> Pipeline:
    """Standardise first: SVMs and the MLP need unit-scale inputs, and the featurizer leaves
    some columns (date parts, days before the snapshot) in their own units."""
    return Pipeline([("scale", StandardScaler()), ("model", model)])


# Each params section (``churnlab.config.params``) names its fields after the estimator's own
# arguments, so a factory passes the section through and adds only what params do not hold:
# class weights from the labels and the seed.


def make_tree(p: TrainParams, y: np.ndarray):
    return DecisionTreeClassifier(
        **p.tree.model_dump(), class_weight=zoo.class_weight(p), random_state=p.seed
    )


def make_forest(p: TrainParams, y: np.ndarray):
    return RandomForestClassifier(
        **p.forest.model_dump(), class_weight=zoo.class_weight(p), random_state=p.seed
    )


def make_lightgbm(p: TrainParams, y: np.ndarray):
    return zoo.LightGBMClassifier(
        **p.lightgbm.model_dump(), scale_pos_weight=_positive_weight(y, p), random_state=p.seed
    )


def make_catboost(p: TrainParams, y: np.ndarray):
    return zoo.CatBoostChurnClassifier(
        **p.catboost.model_dump(), scale_pos_weight=_positive_weight(y, p), random_state=p.seed
    )


def make_svm_linear(p: TrainParams, y: np.ndarray):
    svm = LinearSVC(
        **p.svm_linear.model_dump(), class_weight=zoo.class_weight(p), random_state=p.seed
    )
    return zoo.MarginSigmoid(_scaled(svm), max_rows=None, random_state=p.seed)


def make_svm_rbf(p: TrainParams, y: np.ndarray):
    s = p.svm_rbf
    svm = SVC(C=s.C, kernel="rbf", gamma=s.gamma, class_weight=zoo.class_weight(p))
    return zoo.MarginSigmoid(
        _scaled(svm), max_rows=s.max_rows, oversize=s.oversize, random_state=p.seed
    )


def _mlp(p: TrainParams, y: np.ndarray):
    m = p.mlp
    return MLPClassifier(
        **m.model_dump(exclude={"hidden_layer_sizes"}),
        hidden_layer_sizes=tuple(m.hidden_layer_sizes),
        early_stopping=True,  # on a 10% slice of the training rows
        n_iter_no_change=10,
        random_state=p.seed,
    )


def fit_native(model, X, y, X_valid, y_valid):
    return model.fit(X, y, X_valid, y_valid)


def fit_mlp(model, X, y, X_valid, y_valid):
    # MLPClassifier has no class_weight: balanced classes are sample weights.
    weights = None
    if getattr(model, "_balanced", False):
        from sklearn.utils.class_weight import compute_sample_weight

        weights = compute_sample_weight("balanced", y)
    if weights is None:
        return model.fit(X, y)
    return model.fit(X, y, model__sample_weight=weights)


def make_mlp(p: TrainParams, y: np.ndarray):
    model = _scaled(_mlp(p, y))
    model._balanced = p.class_weight == "balanced"
    return model
