"""Logistic regression (``train.model: logreg``), also the leaderboard's linear baseline.

Explained exactly: each feature contributes coefficient × value to the log-odds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from churnlab.config.models import LogRegParams, TrainParams
from churnlab.modeling.spec import Contributions, ModelSpec, per_feature, qualified
from churnlab.modeling.zoo.common import class_weight


def make(p: TrainParams, y: np.ndarray) -> LogisticRegression:
    # scikit-learn 1.8+ spells the penalty as l1_ratio (0: L2, 1: L1, between: elastic net).
    lr = p.logreg
    l1_ratio = {"l2": 0.0, "l1": 1.0, "elasticnet": lr.l1_ratio}[lr.penalty]
    return LogisticRegression(
        C=lr.C,
        l1_ratio=l1_ratio,
        solver="lbfgs" if l1_ratio == 0 else "saga",
        max_iter=lr.max_iter,
        random_state=p.seed,
        class_weight=class_weight(p),
    )


def importance(model: LogisticRegression, names: list[str]) -> pd.Series:
    return pd.Series(np.abs(model.coef_[0]), index=names, name="abs_coefficient")


def contributions(model: LogisticRegression, X: pd.DataFrame) -> Contributions:
    values = X.to_numpy(dtype="float64") * model.coef_[0]
    return per_feature(values, np.full(len(X), float(model.intercept_[0])), X)


SPECS = (
    ModelSpec(
        name="logreg",
        params=LogRegParams,
        make=make,
        estimator=LogisticRegression,
        complexity=1,
        importance=importance,
        contributions=contributions,
        trusted_types=(qualified(LogisticRegression),),
    ),
)
