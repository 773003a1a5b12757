"""A random forest (``train.model: forest``); no exact explanation method here."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from churnlab.config.models import ForestParams, TrainParams
from churnlab.modeling.spec import ModelSpec, qualified
from churnlab.modeling.zoo.common import class_weight
from churnlab.modeling.zoo.tree import TREE_TYPES, impurity_importance


def make(p: TrainParams, y: np.ndarray) -> RandomForestClassifier:
    # train.forest's fields are the estimator's own arguments.
    return RandomForestClassifier(
        **p.forest.model_dump(), class_weight=class_weight(p), random_state=p.seed
    )


SPECS = (
    ModelSpec(
        name="forest",
        params=ForestParams,
        make=make,
        estimator=RandomForestClassifier,
        complexity=6,
        importance=impurity_importance,
        single_threaded={"n_jobs": 1},
        trusted_types=(
            qualified(RandomForestClassifier),
            qualified(DecisionTreeClassifier),
            *TREE_TYPES,
        ),
    ),
)
