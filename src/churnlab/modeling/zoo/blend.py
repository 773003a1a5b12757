"""Blend (``train.model: blend``, and ``auto`` above 20 000 train+valid rows): the mean
log-odds of several boosted models (``train.blend.models``, by default LightGBM and CatBoost).

Each member is made and fitted by its own registry entry, with its own ``train.<model>``
settings, on train and early-stopped on validation; the blend is then calibrated on
validation like any model. It averages log-odds, not probabilities, so that a customer's
explanation is exact: the members' TreeSHAP contributions averaged, plus their averaged base
value, sum to the blend's log-odds. The importance is the mean of the members' importances,
each first scaled to sum to 1 (their units differ: gain, prediction change). The members are
stored as themselves, so the saved file holds what each member's own entry allows.

Why these members and this size: ``docs/model-defaults.md`` (``benchmarks/
bench_large_default.py``). A blend fits once per member and predicts once per member.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from churnlab.config.models import BlendParams, TrainParams
from churnlab.modeling.bagging import MeanLogOdds
from churnlab.modeling.spec import Contributions, ModelSpec, qualified
from churnlab.modeling.zoo import catboost, lightgbm, xgboost

# The entries a member can come from (``BlendParams.models``): the registry imports this
# module, so the blend reads its members' entries from their modules, not from the registry.
MEMBERS: dict[str, ModelSpec] = {
    spec.name: spec for module in (xgboost, lightgbm, catboost) for spec in module.SPECS
}


def member_spec(model) -> ModelSpec:
    """The entry of a member, found by its class."""
    return next(spec for spec in MEMBERS.values() if type(model) is spec.estimator)


class BlendClassifier(MeanLogOdds):
    """The mean log-odds of ``members`` (unfitted zoo estimators), each fitted by its entry."""

    def __init__(self, members=None):
        self.members = members

    def fit(self, X, y, X_valid=None, y_valid=None):
        fitted = [member_spec(m).fit(clone(m), X, y, X_valid, y_valid) for m in self.members]
        self.members_ = fitted
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = np.shape(X)[1]
        return self

    def _members(self) -> list:
        check_is_fitted(self, "members_")
        return self.members_


def make(p: TrainParams, y: np.ndarray) -> BlendClassifier:
    return BlendClassifier([MEMBERS[name].make(p, y) for name in p.blend.models])


def fit(model: BlendClassifier, X, y, X_valid, y_valid) -> BlendClassifier:
    return model.fit(X, y, X_valid, y_valid)


def contributions(model: BlendClassifier, X: pd.DataFrame) -> Contributions:
    """The members' exact contributions and base values, averaged (in log-odds)."""
    parts = [member_spec(m).contributions(m, X) for m in model.members_]
    values = sum(frame for frame, _ in parts) / len(parts)
    base = np.mean([np.asarray(b, dtype="float64") for _, b in parts], axis=0)
    return values, base


def importance(model: BlendClassifier, names: list[str]) -> pd.Series:
    """The mean of the members' importances, each scaled to sum to 1."""
    shares = []
    for member in model.members_:
        values = member_spec(member).importance(member, names).reindex(names).fillna(0.0)
        total = float(values.sum())
        shares.append(values / total if total > 0 else values)
    return pd.Series(np.mean(shares, axis=0), index=names, name="mean_share")


SPECS = (
    ModelSpec(
        name="blend",
        params=BlendParams,
        make=make,
        estimator=BlendClassifier,
        fit=fit,
        complexity=10,
        importance=importance,
        contributions=contributions,
        trusted_types=(qualified(BlendClassifier),),
    ),
)
