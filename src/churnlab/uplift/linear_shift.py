"""A regularised linear model of the offer's shift of the churn log-odds (the shift learner's
second stage as a logistic regression with an offset).

:class:`LinearShift` has the interface of :class:`churnlab.uplift.learners.ShiftBooster`
(``fit(X, y, offset, X_valid, y_valid, offset_valid)``, ``shift(X)``): it fits, on the treated
customers, ``logit P(churn) = offset + b + x·β`` (the offset being the control model's
log-odds) with an L2 penalty on ``β`` chosen on the validation split's treated customers
(their log-loss), and then, with ``interactions`` > 0, once more with the pairwise products of
the ``interactions`` columns of largest ``|β|`` (the hierarchy principle: an interaction is
tried only between main effects). A tree booster needs many treated events to find a region;
a linear model spreads the same events over every customer. The columns are standardised on
the fitting rows; everything fitted is NumPy arrays, so skops saves it under the allow-list.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from churnlab.modeling.zoo.common import as_matrix

PENALTIES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)


def _standardise(Z: np.ndarray, mean=None, scale=None):
    if mean is None:
        mean, scale = Z.mean(axis=0), Z.std(axis=0)
        scale = np.where(scale > 1e-12, scale, 1.0)
    return (Z - mean) / scale, mean, scale


def _log_loss(eta: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.logaddexp(0.0, eta) - y * eta))


def fit_offset_logistic(Z, y, offset, penalty: float, start=None) -> np.ndarray:
    """``[b, β]`` minimising the mean log-loss of ``offset + b + Zβ`` + penalty/2 ‖β‖²."""
    n, d = Z.shape
    y = np.asarray(y, dtype="float64")

    def objective(w):
        eta = offset + w[0] + Z @ w[1:]
        residual = 1.0 / (1.0 + np.exp(-eta)) - y
        loss = _log_loss(eta, y) + 0.5 * penalty * w[1:] @ w[1:]
        grad = np.concatenate([[residual.mean()], Z.T @ residual / n + penalty * w[1:]])
        return loss, grad

    w0 = np.zeros(d + 1) if start is None else start
    return minimize(objective, w0, jac=True, method="L-BFGS-B", options={"maxiter": 500}).x


class LinearShift(BaseEstimator):
    """The offer's change of the churn log-odds as a penalised linear function of the
    features (with ``interactions`` > 0, plus the pairwise products of that many columns)."""

    def __init__(self, penalties=PENALTIES, interactions: int = 0, default_penalty: float = 1e-2):
        self.penalties = penalties
        self.interactions = interactions
        self.default_penalty = default_penalty

    def _design(self, X) -> np.ndarray:
        Z = (as_matrix(X).astype("float64") - self.mean_) / self.scale_
        if len(self.pairs_):
            products = Z[:, self.pairs_[:, 0]] * Z[:, self.pairs_[:, 1]]
            Z = np.column_stack([Z, (products - self.pair_mean_) / self.pair_scale_])
        return Z

    def _fit_path(self, Z, y, offset, valid):
        """The coefficients at the penalty with the best validation log-loss (without a
        validation split: ``default_penalty``)."""
        if valid is None:
            return fit_offset_logistic(Z, y, offset, self.default_penalty)
        Z_valid, y_valid, offset_valid = valid
        best, start = None, None
        for penalty in sorted(self.penalties, reverse=True):  # warm starts, strong to weak
            start = fit_offset_logistic(Z, y, offset, penalty, start)
            loss = _log_loss(offset_valid + start[0] + Z_valid @ start[1:], y_valid)
            if best is None or loss < best[0]:
                best = (loss, start.copy(), penalty)
        self.penalty_ = best[2]
        return best[1]

    def fit(self, X, y, offset, X_valid=None, y_valid=None, offset_valid=None):
        Z, self.mean_, self.scale_ = _standardise(as_matrix(X).astype("float64"))
        offset = np.asarray(offset, dtype="float64")
        y = np.asarray(y, dtype="float64")
        self.pairs_ = np.zeros((0, 2), dtype=int)
        self.pair_mean_ = self.pair_scale_ = np.zeros(0)

        def valid_rows():
            if X_valid is None:
                return None
            return self._design(X_valid), np.asarray(y_valid, "float64"), np.asarray(offset_valid)

        w = self._fit_path(Z, y, offset, valid_rows())
        if self.interactions > 1:
            top = np.sort(np.argsort(-np.abs(w[1:]), kind="mergesort")[: self.interactions])
            self.pairs_ = np.array(list(combinations(top, 2)), dtype=int)
            products = Z[:, self.pairs_[:, 0]] * Z[:, self.pairs_[:, 1]]
            products, self.pair_mean_, self.pair_scale_ = _standardise(products)
            w = self._fit_path(np.column_stack([Z, products]), y, offset, valid_rows())
        self.intercept_, self.coef_ = float(w[0]), w[1:]
        return self

    def shift(self, X) -> np.ndarray:
        """The learned change of the log-odds (without the offset)."""
        check_is_fitted(self)
        return self.intercept_ + self._design(X) @ self.coef_
