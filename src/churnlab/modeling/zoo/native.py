"""The base of the LightGBM and CatBoost wrappers: small scikit-learn classifiers around a
library's own booster.

``fit`` is written once here: a subclass says how to build the library's classifier from its
own parameters (``_library_model``), how to pass the validation split for early stopping
(``_early_stopping``), and which booster and best round to keep (``_result``).

The libraries are imported only when used (the serving image needs them only for a model that
is one of them). A wrapper persists the booster as the library's own model text, so skops
stores strings and bytes, not library objects. Both stop early on the validation split and
explain with their own exact TreeSHAP.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from churnlab.modeling.spec import Contributions, per_feature
from churnlab.modeling.zoo.common import as_matrix, positive_weight


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

    def _library_model(self):  # pragma: no cover - overridden
        """The library's classifier, built from this wrapper's parameters."""
        raise NotImplementedError

    def _early_stopping(self, X_valid: np.ndarray, y_valid: np.ndarray) -> dict:
        """Keyword arguments of the library's ``fit`` that stop early on the validation split."""
        raise NotImplementedError  # pragma: no cover - overridden

    def _result(self, model) -> tuple[object, int]:  # pragma: no cover - overridden
        """(the booster to keep, its best round) of a fitted library classifier."""
        raise NotImplementedError

    def _positive(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        """The booster's probability of the positive class for a float32 matrix."""
        raise NotImplementedError

    def fit(self, X, y, X_valid=None, y_valid=None, **fit_params):
        """Fit, early-stopped on the validation split when given; ``fit_params`` go to the
        library's ``fit`` as they are (e.g. LightGBM's ``init_score``/``eval_init_score``)."""
        model = self._library_model()
        kwargs = {}
        if X_valid is not None:
            kwargs = self._early_stopping(as_matrix(X_valid), np.asarray(y_valid))
        model.fit(as_matrix(X), np.asarray(y), **kwargs, **fit_params)
        self.booster_, self.best_iteration = self._result(model)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self)
        p = self._positive(as_matrix(X))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def fit_native(model, X, y, X_valid, y_valid):
    """Fit with the validation split for early stopping."""
    return model.fit(X, y, X_valid, y_valid)


def make_native(estimator: type[NativeBoosted], section, y: np.ndarray, p) -> NativeBoosted:
    """``estimator`` with the params ``section`` (e.g. ``p.lightgbm``), class weight and seed."""
    weight = positive_weight(y, p)
    return estimator(**section.model_dump(), scale_pos_weight=weight, random_state=p.seed)


def native_contributions(model: NativeBoosted, X: pd.DataFrame) -> Contributions:
    values = model.contributions(X)
    return per_feature(values[:, :-1], values[:, -1], X)
