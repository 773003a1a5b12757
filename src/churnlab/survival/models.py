"""The survival models, one registry entry each, behind one interface.

Every model is fitted on the feature matrix with each customer's duration (days) and event
flag, may stop early on the validation split (the XGBoost models then fit again on
train+valid with ``survival.refit``), and answers two questions: ``risk(X)`` (higher =
churns sooner; what the concordance ranks) and ``survival(X, days)`` (P(still a customer after
each of ``days``), one row per customer). XGBoost's ``survival:cox`` and scikit-survival's Cox
model get their survival curves from the Breslow estimate of the baseline hazard on the
training customers; ``survival:aft`` (log-normal errors) from its own distribution; the
random survival forest from its trees.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import xgboost as xgb
from scipy.stats import norm

from churnlab.config.survival import SurvivalParams
from churnlab.survival.durations import check_target


class Breslow:
    """The Breslow baseline cumulative hazard of a proportional-hazards risk score."""

    def __init__(self, risk: np.ndarray, duration: np.ndarray, event: np.ndarray) -> None:
        self.shift = float(np.mean(risk))
        weight = np.exp(risk - self.shift)
        self.times = np.unique(duration[event.astype(bool)])
        order = np.argsort(duration)
        at_risk_from = np.cumsum(weight[order][::-1])[::-1]  # sum over duration >= t
        first = np.searchsorted(duration[order], self.times, side="left")
        deaths = np.bincount(
            np.searchsorted(self.times, duration[event.astype(bool)]), minlength=len(self.times)
        )
        self.cumulative = np.cumsum(deaths / at_risk_from[first])

    def survival(self, risk: np.ndarray, days: np.ndarray) -> np.ndarray:
        index = np.searchsorted(self.times, np.asarray(days, dtype="float64"), side="right") - 1
        base = np.where(index >= 0, self.cumulative[np.clip(index, 0, None)], 0.0)
        return np.exp(-np.outer(np.exp(np.asarray(risk) - self.shift), base))


def joined(first: tuple, second: tuple) -> tuple:
    """Two ``(X, duration, event)`` triples as one, rows of ``first`` then ``second``."""
    X = pd.concat([first[0], second[0]], ignore_index=True)
    return X, np.concatenate([first[1], second[1]]), np.concatenate([first[2], second[2]])


class _Boosted:
    """Shared XGBoost training: early stopping on the validation split, then (``refit``) the
    same settings again on train+valid for the early-stopped rounds scaled by the row ratio."""

    objective: str
    metric: str

    def __init__(self, p: SurvivalParams) -> None:
        self.p = p

    def _matrix(self, X, duration, event) -> xgb.DMatrix:
        raise NotImplementedError

    def fit(self, X, duration, event, X_valid, duration_valid, event_valid) -> _Boosted:
        p = self.p
        settings = {
            "objective": self.objective,
            "eval_metric": self.metric,
            "learning_rate": p.learning_rate,
            "max_depth": p.max_depth,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "tree_method": "hist",
            "nthread": p.n_jobs,
            "seed": p.seed,
            **self.extra(),
        }
        valid = self._matrix(X_valid, duration_valid, event_valid)
        self.booster = xgb.train(
            settings,
            self._matrix(X, duration, event),
            num_boost_round=p.n_estimators,
            evals=[(valid, "valid")],
            early_stopping_rounds=50,
            verbose_eval=False,
        )
        if p.refit:
            n_train = len(duration)
            both = joined((X, duration, event), (X_valid, duration_valid, event_valid))
            X, duration, event = both
            rounds = max(1, round((self.booster.best_iteration + 1) * len(duration) / n_train))
            self.booster = xgb.train(settings, self._matrix(X, duration, event), rounds)
            self.booster.set_attr(best_iteration=str(rounds - 1))  # every round counts
        self.after_fit(X, duration, event)
        return self

    def extra(self) -> dict:
        return {}

    def after_fit(self, X, duration, event) -> None:
        """Hook for what the survival curves need from the training data."""

    def margin(self, X) -> np.ndarray:
        rounds = (0, self.booster.best_iteration + 1)
        return self.booster.predict(xgb.DMatrix(X), output_margin=True, iteration_range=rounds)


class XgbCox(_Boosted):
    """XGBoost ``survival:cox``: the margin is the log hazard ratio."""

    objective, metric = "survival:cox", "cox-nloglik"

    def _matrix(self, X, duration, event) -> xgb.DMatrix:
        return xgb.DMatrix(X, label=np.where(event, duration, -duration))  # negative: censored

    def after_fit(self, X, duration, event) -> None:
        self.baseline = Breslow(self.margin(X), duration, event)

    def risk(self, X) -> np.ndarray:
        return self.margin(X)

    def survival(self, X, days) -> np.ndarray:
        return self.baseline.survival(self.margin(X), days)


class XgbAft(_Boosted):
    """XGBoost ``survival:aft``, log-normal: the margin is the expected log duration."""

    objective, metric = "survival:aft", "aft-nloglik"

    def extra(self) -> dict:
        return {"aft_loss_distribution": "normal", "aft_loss_distribution_scale": self.p.aft_sigma}

    def _matrix(self, X, duration, event) -> xgb.DMatrix:
        matrix = xgb.DMatrix(X)
        matrix.set_float_info("label_lower_bound", duration)
        matrix.set_float_info("label_upper_bound", np.where(event, duration, np.inf))
        return matrix

    def risk(self, X) -> np.ndarray:
        return -self.margin(X)

    def survival(self, X, days) -> np.ndarray:
        z = (np.log(np.asarray(days, dtype="float64"))[None, :] - self.margin(X)[:, None]) / (
            self.p.aft_sigma
        )
        return norm.sf(z)


class CoxPH:
    """scikit-survival's Cox proportional-hazards model (ridge-penalised), Breslow curves."""

    def __init__(self, p: SurvivalParams) -> None:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sksurv.linear_model import CoxPHSurvivalAnalysis

        # Scaled inside: date parts (years, days) would overflow the partial likelihood.
        self.p = p
        cox = CoxPHSurvivalAnalysis(alpha=p.coxph_alpha, ties="breslow", n_iter=50)
        self.model = make_pipeline(StandardScaler(), cox)

    def fit(self, X, duration, event, *_valid) -> CoxPH:
        rows = sample_rows(len(X), self.p)
        X = np.asarray(X, dtype="float64")
        self.model.fit(X[rows], target(duration[rows], event[rows]))
        self.baseline = Breslow(self.risk(X), duration, event)
        return self

    def risk(self, X) -> np.ndarray:
        return self.model.predict(np.asarray(X, dtype="float64"))

    def survival(self, X, days) -> np.ndarray:
        return self.baseline.survival(self.risk(X), days)


class Forest:
    """scikit-survival's random survival forest, on a seeded sample of the training rows."""

    def __init__(self, p: SurvivalParams) -> None:
        from sksurv.ensemble import RandomSurvivalForest

        self.p = p
        self.model = RandomSurvivalForest(
            n_estimators=p.rsf_trees,
            min_samples_leaf=20,
            max_features="sqrt",
            n_jobs=p.n_jobs,
            random_state=p.seed,
        )

    def fit(self, X, duration, event, *_valid) -> Forest:
        X, rows = np.asarray(X, dtype="float32"), sample_rows(len(X), self.p)
        self.model.fit(X[rows], target(duration[rows], event[rows]))
        return self

    def risk(self, X) -> np.ndarray:
        return self.model.predict(np.asarray(X, dtype="float32"))

    def survival(self, X, days) -> np.ndarray:
        curves = self.model.predict_survival_function(np.asarray(X, "float32"), return_array=True)
        index = np.searchsorted(self.model.unique_times_, np.asarray(days), side="right") - 1
        return np.where(index >= 0, curves[:, np.clip(index, 0, None)], 1.0)


def sample_rows(n: int, p: SurvivalParams) -> np.ndarray:
    """A seeded sample of at most ``p.baseline_max_rows`` row numbers, in order."""
    return np.sort(np.random.default_rng(p.seed).permutation(n)[: p.baseline_max_rows])


def target(duration: np.ndarray, event: np.ndarray) -> np.ndarray:
    """scikit-survival's structured array (event, time)."""
    from sksurv.util import Surv

    return Surv.from_arrays(event=np.asarray(event, bool), time=np.asarray(duration, float))


MODELS: dict[str, Callable[[SurvivalParams], object]] = {
    "xgb_cox": XgbCox,
    "xgb_aft": XgbAft,
    "coxph": CoxPH,
    "rsf": Forest,
}


def fit_model(name: str, p: SurvivalParams, train: tuple, valid: tuple):
    """Fit the registry entry ``name`` on ``train = (X, duration, event)`` (valid: the same)."""
    check_target(train[1], train[2], "survival training data")
    return MODELS[name](p).fit(*train, *valid)
