"""Fold-bagging: the out-of-fold models of ``train.refit: train_valid``, served as one model.

``train.bagging: folds`` serves :class:`FoldBag`, the average log-odds of the ``train.refit_folds``
models that made the out-of-fold scores, instead of one model refitted on train+valid. The
models exist anyway (they made the calibration's scores), so bagging costs no fitting time,
only K times the prediction time and K times the artifact size. It averages log-odds, not
probabilities, so that a customer's additive explanation would be the mean of the members'
(per-customer explanations of a bag are not wired into ``evaluation.explain`` yet).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from churnlab.modeling.calibration import log_odds


class MeanLogOdds(ClassifierMixin, BaseEstimator):
    """A classifier whose churn log-odds are the mean of fitted binary classifiers' (a fold-bag,
    a blend); a subclass says which (``_members``)."""

    def _members(self) -> list:  # pragma: no cover - overridden
        raise NotImplementedError

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self)
        return np.mean([log_odds(m.predict_proba(X)[:, 1]) for m in self._members()], axis=0)

    def predict_proba(self, X) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


class FoldBag(MeanLogOdds):
    """The mean log-odds of already fitted binary classifiers (``estimators``)."""

    def __init__(self, estimators=None):
        self.estimators = estimators

    def fit(self, X, y=None):
        """The members are fitted already (the refit's fold models); record their shape."""
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = self.estimators[0].n_features_in_
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return bool(self.estimators)

    def _members(self) -> list:
        return self.estimators


def bag(models: list) -> FoldBag:
    return FoldBag(list(models)).fit(None)
