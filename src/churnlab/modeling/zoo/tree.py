"""A single decision tree (``train.model: tree``); no exact explanation method here."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from churnlab.config.models import TrainParams, TreeParams
from churnlab.modeling.spec import ModelSpec, qualified
from churnlab.modeling.zoo.common import class_weight

# What a fitted scikit-learn tree holds, beside the estimator itself.
TREE_TYPES = ("sklearn.tree._tree.Tree",)


def make(p: TrainParams, y: np.ndarray) -> DecisionTreeClassifier:
    # train.tree's fields are the estimator's own arguments.
    return DecisionTreeClassifier(
        **p.tree.model_dump(), class_weight=class_weight(p), random_state=p.seed
    )


def impurity_importance(model, names: list[str]) -> pd.Series:
    """Mean decrease in impurity (scikit-learn's ``feature_importances_``)."""
    return pd.Series(model.feature_importances_, index=names, name="impurity_decrease")


SPECS = (
    ModelSpec(
        name="tree",
        params=TreeParams,
        make=make,
        estimator=DecisionTreeClassifier,
        complexity=3,
        importance=impurity_importance,
        trusted_types=(qualified(DecisionTreeClassifier), *TREE_TYPES),
    ),
)
