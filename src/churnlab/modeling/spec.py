"""What the registry knows about one model (:class:`ModelSpec`), and the defaults most share.

A module of :mod:`churnlab.modeling.zoo` declares its models as ``SPECS``, a tuple of
``ModelSpec``; :mod:`churnlab.modeling.registry` collects them. This module sits below both so
that the zoo modules can build their entries without importing the registry that imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from churnlab.config.models import ModelSection, TrainParams

# Per-customer additive contributions to the log-odds (one column per feature, or per signal
# for the rules) and the base value: contributions.sum(axis=1) + base = log-odds.
Contributions = tuple[pd.DataFrame, np.ndarray]


def fit_plain(model, X, y, X_valid, y_valid):
    """``fit(X, y)``: the model does not use the validation split."""
    return model.fit(X, y)


def no_importance(model, names: list[str]) -> pd.Series:
    """A model without a native importance: an empty series."""
    return pd.Series(dtype=float, name="none")


def qualified(cls: type) -> str:
    """``module.Class``, as skops names a type in a saved file."""
    return f"{cls.__module__}.{cls.__qualname__}"


def per_feature(values: np.ndarray, base: np.ndarray, X: pd.DataFrame) -> Contributions:
    """Contributions in ``X``'s rows and columns, with their base value."""
    return pd.DataFrame(values, index=X.index, columns=X.columns), base


@dataclass(frozen=True)
class ModelSpec:
    """One model: how to build, fit, explain and persist it.

    ``make(train_params, y)`` returns the unfitted estimator, an instance of ``estimator`` (a
    fitted model finds its entry by that class); it reads ``train.<name>``, a ``params``.
    ``fit(model, X, y, X_valid, y_valid)`` returns the fitted model. ``uses_features``: the
    featurizer's matrix (True) or the prepared customer columns. ``complexity`` orders the
    models from simplest (leaderboard ties go to the lowest). ``contributions(model, X)``
    gives exact per-customer contributions to the log-odds (None: no exact method);
    ``approx_contributions`` a cheaper approximation where the model has one
    (``serve.contributions: approx``). ``probability(model, X)`` is a faster
    ``predict_proba(X)[:, 1]`` for serving, when the model has one. ``single_threaded`` is the
    update of ``train.<name>`` that makes a fit use one thread (cross-validation runs folds in
    parallel instead). ``trusted_types`` are the classes a saved fitted model holds, for the
    skops allow-list (:mod:`churnlab.package`).
    """

    name: str
    params: type[ModelSection]
    make: Callable[[TrainParams, np.ndarray], BaseEstimator]
    estimator: type
    fit: Callable = fit_plain
    uses_features: bool = True
    complexity: int = 0
    importance: Callable[[Any, list[str]], pd.Series] = no_importance
    contributions: Callable[[Any, pd.DataFrame], Contributions] | None = None
    approx_contributions: Callable[[Any, pd.DataFrame], Contributions] | None = None
    probability: Callable[[Any, Any], np.ndarray] | None = None
    single_threaded: Mapping[str, Any] = field(default_factory=dict, hash=False)
    trusted_types: tuple[str, ...] = ()

    def section(self, p: TrainParams) -> ModelSection:
        """This model's params, ``train.<name>``."""
        return getattr(p, self.name)
