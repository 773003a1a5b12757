"""Issue 17's uplift targets over several split seeds: the learners' Qini against the oracle's,
and the uplift policy's net gain against contacting by churn risk.

Reads the prepared synthetic customers and the hidden truth of a finished default ``dvc repro``
(``data/prepared/``: the default draw, 50,000 customers with the past campaign), then for each
split seed: splits the customers with the project's keyed split, fits the featurizer on train
(:func:`churnlab.features.fit.featurize`), fits the churn model ``train.model`` (today's risk
policy, early-stopped on valid) and every uplift learner of ``uplift.candidates`` over
``uplift.base_model`` exactly as the stage does (:func:`churnlab.uplift.report.fit_learners`),
keeps the best validation Qini, and scores everything on the seed's test customers.

Per seed and pooled over seeds, with paired bootstrap intervals (every figure of a seed is
computed on the same resamples of its test customers; pooled = mean over seeds per resample):

- ``qini_share_of_oracle``: the kept learner's Qini over the true effect's Qini (target ≥ 0.9);
- ``shift_minus_t``: share of the oracle of the shift learner minus the T-learner's;
- ``uplift_over_risk``: the uplift policy's exact net gain over the risk policy's, minus 1
  (target ≥ 0.2), and ``uplift_minus_risk`` in money.

Also the CPU seconds of the uplift fits per seed. Writes ``benchmarks/results/uplift.json``.
Run from the repository root with the project venv, after ``dvc repro prepare``::

    python benchmarks/bench_uplift.py [--seeds 42 1 2 3 4] [--resamples 200]
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from pathlib import Path

import numpy as np

from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import load_params
from churnlab.data.splitting import split_customers
from churnlab.features.fit import featurize
from churnlab.modeling.registry import spec_for
from churnlab.uplift import metrics, policy, report

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "uplift.json"


def campaigns(params, seed: int, customers, truth, schema) -> dict[str, report.Campaign]:
    """The seed's train/valid/test campaigns on freshly fitted features."""
    parts = split_customers(customers, params.split.model_copy(update={"seed": seed}), TARGET)
    done = featurize(parts, params.featurize, params.data.snapshot_date, schema)
    out = {}
    for name, frame in parts.items():
        matrix = done.matrices[name]
        assert len(matrix) == len(frame), "sparse train rows were dropped; not handled here"
        rows = truth.loc[frame["customer_key"]]
        out[name] = report.Campaign(
            matrix.drop(columns=[TARGET]).reset_index(drop=True),
            frame[TARGET].to_numpy().astype(int),
            rows["treated"].to_numpy().astype(int),
            rows["propensity"].to_numpy(),
            rows["true_uplift"].to_numpy(),
        )
    return out


def risk_scores(params, train: report.Campaign, valid, test) -> np.ndarray:
    """Today's policy: the churn model ``train.model`` on the same features."""
    spec = spec_for(params.train.model)
    model = spec.fit(
        spec.make(params.train, train.churned), train.X, train.churned, valid.X, valid.churned
    )
    return model.predict_proba(test.X)[:, 1]


def resampled(test: report.Campaign, scores, risk, params, resamples: int, seed: int) -> dict:
    """Per resample of test customers: each learner's share of the oracle Qini, and the uplift
    and risk policies' exact net gains (the chosen learner's score)."""
    y, t, tau = test.stayed, test.treatment, test.true_uplift
    b = params.business
    contacts = policy.policies(
        scores["chosen"], risk, b.retained_customer_value, b.offer_cost, b.contact_budget_share
    )
    gains = {
        k: policy.customer_gains(c, tau, b.retained_customer_value, b.offer_cost)
        for k, c in contacts.items()
        if k in ("uplift", "risk")
    }
    rng = np.random.default_rng(seed)
    draws = {f"share_{k}": [] for k in scores} | {"uplift_gain": [], "risk_gain": []}
    for rows in [np.arange(len(y))] + [rng.integers(0, len(y), len(y)) for _ in range(resamples)]:
        oracle = metrics.qini_coefficient(y[rows], tau[rows], t[rows])
        for k, s in scores.items():
            draws[f"share_{k}"].append(metrics.qini_coefficient(y[rows], s[rows], t[rows]) / oracle)
        draws["uplift_gain"].append(gains["uplift"][rows].sum())
        draws["risk_gain"].append(gains["risk"][rows].sum())
    return {k: np.array(v) for k, v in draws.items()}


def interval(values: np.ndarray, confidence: float) -> dict:
    """The full-sample figure (first entry) and the percentile interval of the resamples."""
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values[1:], [alpha, 1 - alpha])
    return {
        "value": round(float(values[0]), 4),
        "low": round(float(low), 4),
        "high": round(float(high), 4),
    }


def figures(draws: dict, confidence: float) -> dict:
    out = {
        "qini_share_of_oracle": interval(draws["share_chosen"], confidence),
        "uplift_over_risk": interval(draws["uplift_gain"] / draws["risk_gain"] - 1, confidence),
        "uplift_minus_risk": interval(draws["uplift_gain"] - draws["risk_gain"], confidence),
    }
    if "share_shift" in draws and "share_t" in draws:
        out["shift_minus_t"] = interval(draws["share_shift"] - draws["share_t"], confidence)
    out["learners_share_of_oracle"] = {
        k.removeprefix("share_"): round(float(v[0]), 4)
        for k, v in draws.items()
        if k.startswith("share_") and k != "share_chosen"
    }
    return out


def one_seed(params, seed: int, data, resamples: int) -> tuple[dict, dict]:
    parts = campaigns(params, seed, *data)
    train, valid, test = (parts[n] for n in paths.SPLIT_NAMES)
    u = params.uplift
    start = time.process_time()
    base = spec_for(u.base_model).make(params.train, train.churned)
    fitted = report.fit_learners(u.candidates, base, train, valid, u.seed)
    chosen, valid_qini = report.choose(fitted, valid, u.learner)
    cpu = time.process_time() - start
    scores = {name: model.predict(test.X) for name, model in fitted.items()}
    scores["chosen"] = scores[chosen]
    draws = resampled(
        test, scores, risk_scores(params, train, valid, test), params, resamples, seed
    )
    result = {
        "split_seed": seed,
        "chosen": chosen,
        "valid_qini": {k: round(v, 5) for k, v in valid_qini.items()},
        "oracle_qini": round(
            metrics.qini_coefficient(test.stayed, test.true_uplift, test.treatment), 5
        ),
        "uplift_fit_cpu_seconds": round(cpu, 1),
        **figures(draws, params.evaluate.confidence),
    }
    return result, draws


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3, 4])
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--cache", type=Path, help="keep each seed's figures here (resumable)")
    args = parser.parse_args(argv)
    params = load_params(ROOT / "params.yaml")
    customers = io.read_table(ROOT / paths.PREPARED)
    truth = io.read_table(ROOT / paths.TRUTH).set_index("customer_key")
    schema = io.read_json(ROOT / paths.SCHEMA)
    per_seed, pooled = [], {}
    for seed in args.seeds:
        cached = args.cache / f"seed_{seed}_{args.resamples}.pkl" if args.cache else None
        if cached is not None and cached.exists():
            result, draws = pickle.loads(cached.read_bytes())
        else:
            result, draws = one_seed(params, seed, (customers, truth, schema), args.resamples)
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_bytes(pickle.dumps((result, draws)))
        print(json.dumps(result, sort_keys=True), flush=True)
        per_seed.append(result)
        for k, v in draws.items():
            pooled.setdefault(k, []).append(v)
    mean = {k: np.mean(v, axis=0) for k, v in pooled.items()}
    # Pooled money: sums over seeds (the mean over seeds of a ratio of sums would weight
    # seeds by their risk gain's noise).
    mean["uplift_gain"], mean["risk_gain"] = (
        np.sum(pooled[k], axis=0) for k in ("uplift_gain", "risk_gain")
    )
    out = {
        "what": "default params; split seeds on the default synthetic draw; intervals: paired "
        "bootstrap of test customers, pooled = mean over seeds per resample",
        "base_model": params.uplift.base_model,
        "candidates": list(params.uplift.candidates),
        "resamples": args.resamples,
        "seeds": per_seed,
        "pooled": figures(mean, params.evaluate.confidence),
        "targets": {"qini_share_of_oracle": 0.9, "uplift_over_risk": 0.2},
    }
    io.write_json(out, args.out)
    print(json.dumps(out["pooled"], indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
