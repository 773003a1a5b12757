"""Feature selection and reduction, fitted on the train matrix inside the featurizer.

``FeatureSelection`` runs the steps of ``featurize.selection.steps`` in order, each on the
features the previous ones kept: variance threshold, correlation filter (of a pair above
``max_correlation`` the later column goes), chi-squared or ANOVA F k-best, L1-regularised
logistic regression (non-zero coefficients), tree importance (a random forest's top
``tree_keep``) and recursive feature elimination. It keeps only the kept names and the
reasons, so the saved featurizer is a column picker. ``pca`` (last) replaces the kept features
by principal components.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import RFE, VarianceThreshold, chi2, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted

from churnlab.config.params import SelectionParams


def _variance(X: pd.DataFrame, y, p: SelectionParams) -> dict[str, str]:
    variances = VarianceThreshold(threshold=0.0).fit(X).variances_
    return {
        c: f"variance {v:.3g} <= {p.variance_threshold:g}"
        for c, v in zip(X.columns, variances, strict=True)
        if not v > p.variance_threshold
    }


def _correlation(X: pd.DataFrame, y, p: SelectionParams) -> dict[str, str]:
    corr = np.abs(np.nan_to_num(np.corrcoef(X.to_numpy(dtype="float64"), rowvar=False)))
    names, dropped = list(X.columns), {}
    for j in range(len(names)):
        if names[j] in dropped:
            continue
        for i in range(j):
            if names[i] not in dropped and corr[i, j] > p.max_correlation:
                dropped[names[j]] = f"|r| = {corr[i, j]:.3f} with {names[i]}"
                break
    return dropped


def _ranked(X: pd.DataFrame, scores: np.ndarray, keep: int, what: str) -> dict[str, str]:
    scores = np.nan_to_num(np.asarray(scores, dtype="float64"), nan=0.0)
    order = np.lexsort((np.arange(len(scores)), -scores))  # best first, ties by position
    return {
        X.columns[j]: f"{what} {scores[j]:.4g}, rank {rank} > {keep}"
        for rank, j in enumerate(order, start=1)
        if rank > keep
    }


def _kbest(X: pd.DataFrame, y, p: SelectionParams) -> dict[str, str]:
    if p.kbest_score == "chi2":  # chi-squared needs non-negative values
        scores, _ = chi2(MinMaxScaler().fit_transform(X), y)
    else:
        scores, _ = f_classif(X, y)
    return _ranked(X, scores, p.k, f"{p.kbest_score} score")


def _l1(X: pd.DataFrame, y, p: SelectionParams, seed: int) -> dict[str, str]:
    model = LogisticRegression(
        C=p.l1_C, l1_ratio=1.0, solver="saga", max_iter=2000, random_state=seed
    ).fit(StandardScaler().fit_transform(X), y)
    coef = model.coef_[0]
    return {c: "L1 coefficient 0" for c, w in zip(X.columns, coef, strict=True) if w == 0.0}


def _tree(X: pd.DataFrame, y, p: SelectionParams, seed: int) -> dict[str, str]:
    forest = RandomForestClassifier(
        n_estimators=100,
        max_depth=8,
        min_samples_leaf=20,
        max_samples=min(len(X), 20_000),
        random_state=seed,
        n_jobs=1,
    ).fit(X.to_numpy(dtype="float32"), y)
    return _ranked(X, forest.feature_importances_, p.tree_keep, "forest importance")


def _rfe(X: pd.DataFrame, y, p: SelectionParams, seed: int) -> dict[str, str]:
    keep = min(p.rfe_keep, X.shape[1])
    rfe = RFE(
        LogisticRegression(max_iter=1000, random_state=seed), n_features_to_select=keep, step=0.2
    ).fit(StandardScaler().fit_transform(X), y)
    return {c: f"RFE rank {r}" for c, r in zip(X.columns, rfe.ranking_, strict=True) if r > 1}


STEPS = {
    "variance": lambda X, y, p, seed: _variance(X, y, p),
    "correlation": lambda X, y, p, seed: _correlation(X, y, p),
    "kbest": lambda X, y, p, seed: _kbest(X, y, p),
    "l1": _l1,
    "tree": _tree,
    "rfe": _rfe,
}


class FeatureSelection(TransformerMixin, BaseEstimator):
    """Keep the features that survive ``steps`` on train; ``report_`` says why each went."""

    def __init__(self, params: dict | None = None, seed: int = 0):
        self.params = params
        self.seed = seed

    def fit(self, X: pd.DataFrame, y=None):
        if y is None:
            raise ValueError("feature selection needs the labels: fit(X, y)")
        p = SelectionParams.model_validate(self.params or {})
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        y = np.asarray(y)
        kept, report = list(X.columns), {}
        for step in p.steps:
            if step == "pca" or len(kept) <= 1:
                continue
            dropped = STEPS[step](X[kept], y, p, self.seed)
            report.update({c: {"step": step, "reason": r} for c, r in dropped.items()})
            kept = [c for c in kept if c not in dropped]
        self.kept_ = kept
        self.dropped_ = {c: report[c] for c in X.columns if c in report}
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self)
        return X[self.kept_]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self)
        return np.asarray(self.kept_, dtype=object)
