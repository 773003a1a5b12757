"""Issue 17's Qini target (kept learner within 10 % of the oracle): where `shift_corrected`
loses its share of the oracle, and what the untried ideas of the uplift10 brief do about it.

Per split seed of the default synthetic draw (the customers, featurizer and split of
``bench_uplift.py``; every learner fitted as the stage fits it, over ``uplift.base_model``),
each score's Qini on the seed's test customers over the oracle's (the true uplift's), and its
paired difference from ``shift_corrected`` (the default learner):

- **where the share is lost** (the true effects of ``data/prepared/truth.parquet``):
  ``learned_control_true_shift`` = the true shift of the log-odds applied to the learned
  (corrected) control log-odds; ``true_control_learned_shift`` = the learned shift applied to
  the true control log-odds; ``learned_control_true_shift_regressed_on_treated`` (``_all``):
  the true shift regressed on the features of the treated (all) train customers — the
  learned shift's target without the outcome noise, so what the feature matrix can express of
  the shift (the campaign's lost causes are drawn from a usage slope that is not a column);
- **the learning curve of the shift**: the shift booster (from the same corrected control
  log-odds, early-stopped on the validation split's treated customers) fitted on the first
  25, 50 or 75 % of the treated train customers (nested shares of a seeded permutation; the
  share of the oracle averaged over 3 permutations; 100 % is ``shift_corrected``);
- **idea (a)**, ``joint``: one LightGBM over all train customers, features plus the offer flag
  plus the features × flag, started from the control model's log-odds, with interaction
  constraints (the features in one group, the flag and features × flag in the other: the flag
  interacts only through its own trees), early-stopped on the whole validation split;
- **idea (b)**, ``average_x_sc`` and ``average_x_sc_dr``: the mean uplift of those learners (a
  fixed rule, no selection);
- **idea (c)**, ``shift_bagged_folds`` (5 shift boosters, each fitted on 4 of 5 folds of the
  treated train customers and early-stopped on the fifth) and ``shift_bagged_bootstrap`` (10
  boosters on bootstrap samples, early-stopped on valid), their shifts averaged;
- the X-learner with a linear effect regression (ridge, ``x_linear_effect``; causalml's
  reference X-learner over logistic regression regresses the effects linearly).

Intervals: paired bootstrap of each seed's test customers (every score of a seed on the same
resamples); pooled = the mean over seeds per resample. Writes
``benchmarks/results/uplift_gap.json``. Run from the repository root after ``dvc repro
prepare``::

    python benchmarks/bench_uplift_gap.py [--seeds 42 1 2 3 4] [--resamples 200] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import Ridge

from churnlab import io
from churnlab.config import paths
from churnlab.config.params import load_params
from churnlab.modeling.registry import spec_for
from churnlab.modeling.zoo.common import as_matrix
from churnlab.uplift import metrics, report
from churnlab.uplift.learners import XLearner, _arm, default_booster

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_uplift import campaigns, interval

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "uplift_gap.json"
LEARNED = ("t", "x", "dr", "shift", "shift_corrected")
SHARES = (0.25, 0.5, 0.75)
REPEATS = 3  # subsamples per share (their shares of the oracle averaged)
REP = "__rep"


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _uplift(log_odds, shift):
    return _sigmoid(log_odds) - _sigmoid(log_odds + shift)


def joint_booster(control, train, valid, test, seed: int) -> np.ndarray:
    """Idea (a): one booster, the flag interacting only through its own trees."""
    import lightgbm as lgb

    def design(X, t):
        X, t = as_matrix(X).astype("float64"), np.asarray(t, dtype="float64")[:, None]
        return np.hstack([X, t, X * t])

    def offset(X):
        return _logit(control.predict_proba(X)[:, 1])

    d = as_matrix(train.X).shape[1]
    b = default_booster(seed)
    model = lgb.LGBMClassifier(
        n_estimators=b.n_estimators, learning_rate=b.learning_rate, num_leaves=b.num_leaves,
        min_child_samples=b.min_child_samples, colsample_bytree=b.colsample_bytree,
        reg_lambda=b.reg_lambda, subsample_freq=1, deterministic=True, verbose=-1, n_jobs=1,
        random_state=seed, interaction_constraints=[list(range(d)), list(range(d, 2 * d + 1))],
    )  # fmt: skip
    model.fit(
        design(train.X, train.treatment), train.churned, init_score=offset(train.X),
        eval_X=design(valid.X, valid.treatment), eval_y=valid.churned,
        eval_init_score=[offset(valid.X)], eval_metric="binary_logloss",
        callbacks=[lgb.early_stopping(b.early_stopping_rounds, verbose=False)],
    )  # fmt: skip
    n, base = len(test.churned), offset(test.X)

    def raw(t):
        x = design(test.X, np.full(n, t))
        return model.booster_.predict(x, raw_score=True, num_iteration=model.best_iteration_)

    return _sigmoid(base + raw(0)) - _sigmoid(base + raw(1))


def true_shift_regression(X, shift, seed: int):
    """A flexible LightGBM regression of the true shift (noise-free labels: more leaves and
    smaller leaves than the shift booster's, a fixed number of rounds)."""
    import lightgbm as lgb

    model = lgb.LGBMRegressor(
        n_estimators=500, learning_rate=0.05, num_leaves=15, min_child_samples=50,
        deterministic=True, verbose=-1, n_jobs=1, random_state=seed,
    )  # fmt: skip
    return model.fit(X, shift)


def shift_variants(sc, train, valid, test, seed: int) -> dict[str, np.ndarray]:
    """The learning curve of the shift booster and idea (c), from ``sc``'s corrected control
    log-odds (the control side unchanged)."""
    X1, y1 = _arm(train.X, train.churned, train.treatment, 1)
    Xv, yv = _arm(valid.X, valid.churned, valid.treatment, 1)
    o1, ov, ot = sc._log_odds(X1), sc._log_odds(Xv), sc._log_odds(test.X)
    rng = np.random.default_rng(seed)

    def fit(rows, valid_rows=None):
        X_v, y_v, o_v = (Xv, yv, ov) if valid_rows is None else valid_rows
        return clone(default_booster(seed)).fit(X1.iloc[rows], y1[rows], o1[rows], X_v, y_v, o_v)

    out = {}
    for rep in range(REPEATS):  # the learning curve: nested shares of one permutation per rep
        order = rng.permutation(len(y1))
        for share in SHARES:
            rows = np.sort(order[: int(share * len(y1))])
            name = f"shift_on_{round(100 * share)}pct_treated{REP}{rep}"
            out[name] = _uplift(ot, fit(rows).shift(test.X))
    fold = rng.permutation(len(y1)) % 5
    folds = [
        fit(np.flatnonzero(fold != f), (X1.iloc[fold == f], y1[fold == f], o1[fold == f]))
        for f in range(5)
    ]
    out["shift_bagged_folds"] = _uplift(ot, np.mean([m.shift(test.X) for m in folds], axis=0))
    boot = [fit(rng.integers(0, len(y1), len(y1))) for _ in range(10)]
    out["shift_bagged_bootstrap"] = _uplift(ot, np.mean([m.shift(test.X) for m in boot], axis=0))
    return out


def one_seed(params, seed: int, data, true_p0, resamples: int) -> tuple[dict, dict]:
    parts = campaigns(params, seed, *data)
    train, valid, test = (parts[n] for n in ("train", "valid", "test"))
    base = spec_for(params.uplift.base_model).make(params.train, train.churned)
    cpu = {}
    start = time.process_time()
    fitted = report.fit_learners(LEARNED, base, train, valid, params.uplift.seed)
    cpu["learners"] = time.process_time() - start
    scores = report.predict_all(fitted, test.X)
    sc = fitted["shift_corrected"]
    # Where the share is lost: swap in the true control log-odds or the true shift.
    p0 = true_p0.loc[test.keys].to_numpy()
    true_shift = _logit(p0 - test.true_uplift) - _logit(p0)
    learned_control, learned_shift = sc._log_odds(test.X), sc.shift_.shift(test.X)
    scores["learned_control_true_shift"] = _uplift(learned_control, true_shift)
    scores["true_control_learned_shift"] = _uplift(_logit(p0), learned_shift)
    # What the features can express of the shift: the true shift, without outcome noise,
    # regressed on the features (treated train customers, or all train customers).
    train_p0 = true_p0.loc[train.keys].to_numpy()
    train_shift = _logit(train_p0 - train.true_uplift) - _logit(train_p0)
    for rows, name in ((train.treatment == 1, "treated"), (np.ones(len(train_p0), bool), "all")):
        regressed = true_shift_regression(as_matrix(train.X)[rows], train_shift[rows], seed)
        shift = regressed.predict(as_matrix(test.X))
        scores[f"learned_control_true_shift_regressed_on_{name}"] = _uplift(learned_control, shift)
    start = time.process_time()
    scores |= shift_variants(sc, train, valid, test, seed)
    cpu["shift_variants"] = time.process_time() - start
    start = time.process_time()
    scores["joint"] = joint_booster(sc.control_, train, valid, test, seed)
    cpu["joint"] = time.process_time() - start
    scores["average_x_sc"] = (scores["x"] + scores["shift_corrected"]) / 2
    scores["average_x_sc_dr"] = (scores["x"] + scores["shift_corrected"] + scores["dr"]) / 3
    arms = (fitted["t"].control_, fitted["t"].treated_)
    linear = XLearner(base=base, regressor=Ridge(alpha=1.0))
    linear.fit(train.X, train.churned, train.treatment, train.propensity, arms=arms)
    scores["x_linear_effect"] = linear.predict(test.X)
    y, t, tau = test.stayed, test.treatment, test.true_uplift
    rng = np.random.default_rng(seed)
    draws = {k: [] for k in scores}
    for rows in [np.arange(len(y))] + [rng.integers(0, len(y), len(y)) for _ in range(resamples)]:
        oracle = metrics.qini_coefficient(y[rows], tau[rows], t[rows])
        for k, s in scores.items():
            draws[k].append(metrics.qini_coefficient(y[rows], s[rows], t[rows]) / oracle)
    draws = {k: np.array(v) for k, v in draws.items()}
    for name in {k.split(REP)[0] for k in draws if REP in k}:  # the learning curve's mean
        reps = [k for k in list(draws) if k.startswith(name + REP)]
        draws[name] = np.mean([draws.pop(k) for k in reps], axis=0)
    result = {
        "split_seed": seed,
        "treated_train_customers": int(train.treatment.sum()),
        "shift_corrected_rounds": {
            "correction": int(sc.correction_.best_iteration),
            "shift": int(sc.shift_.best_iteration),
        },
        "cpu_seconds": {k: round(v, 1) for k, v in cpu.items()},
        "share_of_oracle": {k: round(float(v[0]), 4) for k, v in draws.items()},
    }
    return result, draws


def figures(draws: dict, confidence: float) -> dict:
    sc = draws["shift_corrected"]
    return {
        "share_of_oracle": {k: interval(v, confidence) for k, v in draws.items()},
        "minus_shift_corrected": {
            k: interval(v - sc, confidence) for k, v in draws.items() if k != "shift_corrected"
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3, 4])
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    params = load_params(ROOT / "params.yaml")
    customers = io.read_table(ROOT / paths.PREPARED)
    truth = io.read_table(ROOT / paths.TRUTH).set_index("customer_key")
    schema = io.read_json(ROOT / paths.SCHEMA)
    # The control arm's true churn probability of every customer (treated: arm's + uplift).
    true_p0 = truth["churn_probability"] + truth["treated"] * truth["true_uplift"]
    per_seed, pooled = [], {}
    for seed in args.seeds:
        result, draws = one_seed(params, seed, (customers, truth, schema), true_p0, args.resamples)
        print(json.dumps(result, sort_keys=True), flush=True)
        per_seed.append(result | figures(draws, params.evaluate.confidence))
        for k, v in draws.items():
            pooled.setdefault(k, []).append(v)
    mean = {k: np.mean(v, axis=0) for k, v in pooled.items()}
    out = {
        "what": "share of the oracle's Qini on each split seed's test customers (default "
        "synthetic draw); intervals: paired bootstrap of test customers, pooled = mean over "
        "seeds per resample",
        "base_model": params.uplift.base_model,
        "seeds": per_seed,
        "resamples": args.resamples,
        "pooled": figures(mean, params.evaluate.confidence),
    }
    io.write_json(out, args.out)
    print(json.dumps(out["pooled"], indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
