"""The base of the LightGBM and CatBoost wrappers: small scikit-learn classifiers around a
library's own booster.

The libraries are imported only when used (the serving image needs them only for a model that
is one of them). A wrapper persists the booster as the library's own model text, so skops
stores strings and bytes, not library objects. Both stop early on the validation split and
explain with their own exact TreeSHAP.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from churnlab.modeling.spec import Contributions, per_feature


class NativeBoosted(ClassifierMixin, BaseEstimator):
    """``booster_`` is persisted as its model text; subclasses say how to dump and load it."""

    def _dump(self, booster):  # pragma: no cover - overridden
        raise NotImplementedError

    def _load(self, blob):  # pragma: no cover - overridden
        raise NotImplementedError

    def contributions(self, X) -> np.ndarray:  # pragma: no cover - overridden
        """Exact TreeSHAP in log-odds: one column per feature plus the base value."""
        raise NotImplementedError

    def __getstate__(self):
        state = super().__getstate__()
        if "booster_" in state:
            state = {**state, "booster_": self._dump(state["booster_"])}
        return state

    def __setstate__(self, state):
        if "booster_" in state:
            state = {**state, "booster_": self._load(state["booster_"])}
        super().__setstate__(state)

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def _fitted(self, booster, best_iteration: int, X):
        """Record what ``fit`` learned (the booster and its best round) and return self."""
        self.booster_ = booster
        self.best_iteration = best_iteration
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = np.shape(X)[1]
        return self


def fit_native(model, X, y, X_valid, y_valid):
    """Fit with the validation split for early stopping."""
    return model.fit(X, y, X_valid, y_valid)


def native_contributions(model: NativeBoosted, X: pd.DataFrame) -> Contributions:
    values = model.contributions(X)
    return per_feature(values[:, :-1], values[:, -1], X)
