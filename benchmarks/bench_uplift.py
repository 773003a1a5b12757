"""Issue 17's uplift targets over several split seeds: the learners' Qini against the oracle's,
and the uplift policy's net gain against contacting by churn risk.

Reads the prepared synthetic customers and the hidden truth of a finished default ``dvc repro``
(``data/prepared/``: the default draw, 50,000 customers with the past campaign), then for each
split seed: splits the customers with the project's keyed split, fits the featurizer on train
(:func:`churnlab.features.fit.featurize`), fits the churn model ``train.model`` (today's risk
policy, early-stopped on valid) and every uplift learner of ``uplift.candidates`` over
``uplift.base_model`` exactly as the stage does (:func:`churnlab.uplift.report.fit_learners`),
keeps the best validation Qini (rule ``valid``), ``uplift.prefer`` unless another learner beats
it on validation beyond the noise (``valid_prefer``, the stage's default) and the best
cross-validated Qini (``cv<k>``), and scores everything on the seed's test customers.

Per seed and pooled over seeds, with paired bootstrap intervals (every figure of a seed is
computed on the same resamples of its test customers; pooled = mean over seeds per resample):

- ``qini_share_of_oracle``: the kept learner's Qini over the true effect's Qini (target ≥ 0.9);
- ``shift_minus_t``: share of the oracle of the shift learner minus the T-learner's, and
  ``shift_corrected_minus_shift`` the same for the corrected shift learner minus the shift one
  (``shift_corrected_share_of_oracle``: its own share, whichever learner the rule keeps);
- ``uplift_over_risk``: the uplift policy's exact net gain over the risk policy's, minus 1
  (target ≥ 0.2), and ``uplift_minus_risk`` in money.

Also the CPU seconds of the uplift fits per seed. Writes ``benchmarks/results/uplift.json``.
Run from the repository root with the project venv, after ``dvc repro prepare``::

    python benchmarks/bench_uplift.py [--seeds 42 1 2 3 4] [--resamples 200] [--folds 2 3]
        [--average-top 3] [--cv-folds 3]   # the kept learner's rule, else params.yaml's
        [--candidates shift_corrected ...] [--prefer NAME]  # else params.yaml's
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
from churnlab.modeling.registry import model_for, spec_for
from churnlab.uplift import metrics, policy, report, selection
from churnlab.uplift.learners import LEARNERS

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
            frame["customer_key"].to_numpy(),
        )
    return out


def risk_scores(params, train: report.Campaign, valid, test) -> np.ndarray:
    """Today's policy: the churn model ``train.model`` on the same features."""
    spec = spec_for(model_for(params.train, len(train.churned) + len(valid.churned)))
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
    for better, worse in (("shift", "t"), ("shift_corrected", "shift")):
        if f"share_{better}" in draws and f"share_{worse}" in draws:
            difference = draws[f"share_{better}"] - draws[f"share_{worse}"]
            out[f"{better}_minus_{worse}"] = interval(difference, confidence)
    if "share_shift_corrected" in draws:  # the learner itself, whatever the rule keeps
        out["shift_corrected_share_of_oracle"] = interval(
            draws["share_shift_corrected"], confidence
        )
        out["learners_minus_shift_corrected"] = {  # every other learner, paired
            k.removeprefix("share_"): interval(v - draws["share_shift_corrected"], confidence)
            for k, v in draws.items()
            if k.removeprefix("share_") in LEARNERS and k != "share_shift_corrected"
        }
    rules = [k.removeprefix("share_rule_") for k in draws if k.startswith("share_rule_")]
    out["rules_share_of_oracle"] = {
        r: interval(draws[f"share_rule_{r}"], confidence) for r in rules
    }
    out["rules_minus_valid"] = {
        r: interval(draws[f"share_rule_{r}"] - draws["share_rule_valid"], confidence)
        for r in rules
        if r != "valid"
    }
    out["learners_share_of_oracle"] = {
        k.removeprefix("share_"): round(float(v[0]), 4)
        for k, v in draws.items()
        if k.startswith("share_") and k != "share_chosen" and not k.startswith("share_rule_")
    }
    return out


def one_seed(params, seed: int, data, resamples: int, folds, average_top) -> tuple[dict, dict]:
    """The seed's figures; ``chosen`` is the rule of ``uplift.cv_folds``/``cv_average_top``."""
    parts = campaigns(params, seed, *data)
    train, valid, test = (parts[n] for n in paths.SPLIT_NAMES)
    u = params.uplift
    start = time.process_time()
    base = spec_for(u.base_model).make(params.train, train.churned)
    fitted = report.fit_learners(u.candidates, base, train, valid, u.seed)
    on_valid = report.predict_all(fitted, valid.X)
    valid_choice, valid_qini = report.choose(on_valid, valid, "auto")
    cpu = {"fit_and_valid_choice": time.process_time() - start}
    scores = report.predict_all(fitted, test.X)
    rules, cv_qini = {"valid": valid_choice}, {}
    if u.prefer in u.candidates:  # the stage's default: the preferred unless beaten on valid
        start = time.process_time()
        rules["valid_prefer"], _ = selection.preferred(
            valid.stayed, valid.treatment, on_valid, u.prefer, u.bootstrap_resamples, u.seed,
            params.evaluate.confidence,
        )  # fmt: skip
        cpu["prefer"] = time.process_time() - start
    for k in folds:
        start = time.process_time()
        cv = selection.cross_validate(
            lambda names, part: report.fit_learners(names, base, part, valid, u.seed),
            u.candidates, train, k, u.seed, average_top,
        )  # fmt: skip
        cpu[f"cv{k}"] = time.process_time() - start
        cv_qini[f"cv{k}"] = {n: round(c["mean"], 5) for n, c in cv.items()}
        singles = {n: c for n, c in cv.items() if n != selection.AVERAGE}
        rules[f"cv{k}"] = selection.best(singles)
        if selection.AVERAGE in cv:
            members = cv[selection.AVERAGE]["members"]
            scores[f"average_cv{k}"] = np.mean([scores[n] for n in members], axis=0)
            best = selection.best(cv)
            rules[f"cv{k}_with_average"] = best if best != selection.AVERAGE else f"average_cv{k}"
    for rule, name in rules.items():
        scores[f"rule_{rule}"] = scores[name]
    default = f"cv{u.cv_folds}" + ("_with_average" if u.cv_average_top > 1 else "")
    default = default if u.cv_folds else ("valid_prefer" if "valid_prefer" in rules else "valid")
    scores["chosen"] = scores[f"rule_{default}"]
    draws = resampled(
        test, scores, risk_scores(params, train, valid, test), params, resamples, seed
    )
    result = {
        "split_seed": seed,
        "chosen": rules[default],
        "rules": rules,
        "valid_qini": {k: round(v, 5) for k, v in valid_qini.items()},
        "cv_qini": cv_qini,
        "oracle_qini": round(
            metrics.qini_coefficient(test.stayed, test.true_uplift, test.treatment), 5
        ),
        "uplift_cpu_seconds": {k: round(v, 1) for k, v in cpu.items()},
        **figures(draws, params.evaluate.confidence),
    }
    return result, draws


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3, 4])
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--cache", type=Path, help="keep each seed's figures here (resumable)")
    parser.add_argument("--folds", type=int, nargs="*", default=[3, 5], help="CV folds to try")
    parser.add_argument("--candidates", nargs="+", help="uplift.candidates (else params.yaml's)")
    parser.add_argument("--prefer", help="uplift.prefer (else params.yaml's)")
    parser.add_argument("--average-top", type=int, default=3, help="members of `average`")
    parser.add_argument("--cv-folds", type=int, help="the kept learner's rule (uplift.cv_folds)")
    args = parser.parse_args(argv)
    params = load_params(ROOT / "params.yaml")
    update = {}
    if args.cv_folds is not None:  # the kept learner by another rule than params.yaml's
        update |= {"cv_folds": args.cv_folds, "cv_average_top": args.average_top}
    if args.candidates:
        update["candidates"] = args.candidates
    if args.prefer is not None:
        update["prefer"] = args.prefer
    if update:
        u = params.uplift.model_validate(params.uplift.model_dump() | update)
        params = params.model_copy(update={"uplift": u})
    customers = io.read_table(ROOT / paths.PREPARED)
    truth = io.read_table(ROOT / paths.TRUTH).set_index("customer_key")
    schema = io.read_json(ROOT / paths.SCHEMA)
    per_seed, pooled = [], {}
    for seed in args.seeds:
        u = params.uplift
        tag = f"{seed}_{args.resamples}_{'-'.join(map(str, args.folds))}_{args.average_top}"
        tag += f"_kept{u.cv_folds}-{u.cv_average_top}-{u.prefer or 'none'}_{'-'.join(u.candidates)}"
        cached = args.cache / f"seed_{tag}.pkl" if args.cache else None
        if cached is not None and cached.exists():
            result, draws = pickle.loads(cached.read_bytes())
        else:
            data = (customers, truth, schema)
            result, draws = one_seed(
                params, seed, data, args.resamples, args.folds, args.average_top
            )
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
        "cv_folds": params.uplift.cv_folds,
        "cv_average_top": params.uplift.cv_average_top,
        "prefer": params.uplift.prefer,
        "folds_tried": args.folds,
        "average_top_tried": args.average_top,
        "resamples": args.resamples,
        "seeds": per_seed,
        "pooled": figures(mean, params.evaluate.confidence),
        "targets": {"qini_share_of_oracle": 0.9, "uplift_over_risk": 0.2},
    }
    io.write_json(out, args.out)
    print(json.dumps(out["pooled"], indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
