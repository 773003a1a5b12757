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


def mean_log_odds(models, X) -> np.ndarray:
    """The mean churn log-odds of fitted binary classifiers on ``X`` (a fold-bag, a blend)."""
    return np.mean([log_odds(model.predict_proba(X)[:, 1]) for model in models], axis=0)


class FoldBag(ClassifierMixin, BaseEstimator):
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

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self)
        return mean_log_odds(self.estimators, X)

    def predict_proba(self, X) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def bag(models: list) -> FoldBag:
    return FoldBag(list(models)).fit(None)
