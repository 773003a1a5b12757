"""Calling by value at risk against calling by churn probability, over several split seeds.

evaluate's ``business.saved_value`` compares the contact policies on one split. Here the same
comparison (:mod:`churnlab.survival.policies`: the value-at-risk rule, the whole budget by
value at risk, the whole budget by churn probability; realized saved value, the params'
``business`` cost matrix) is repeated per split seed, each seed's test customers shared by
all policies, with paired bootstrap intervals:

- ``synthetic``: the prepared customers of the default ``dvc repro`` (``data/prepared``)
  split again per seed (:func:`bench_survival.seed_data`), the classifier trained as the
  train stage trains it, the survival model ``survival.model`` fitted on the seed's train
  customers; value = its lifetime value (margin × discounted expected lifetime), value at risk
  = its churn probability within ``survival.value_horizon_days`` × value, churned = an
  observed churn within that horizon (as the survival stage measures it).
- ``telco``: the IBM Telco table of ``../shared/data`` as a user points churnlab at it
  (:data:`real_data.TABLES`), the classifier of ``train.model`` per seed
  (:func:`real_peers.churnlab_scores`); value = ``TotalCharges`` or ``MonthlyCharges`` (a
  value column, blanks at the flat business value), value at risk = churn probability × value,
  churned = the label. Survival does not apply (no timestamps).

Per seed and difference (a value policy's saved value minus the probability order's): the
value and its 95 % percentile interval; pooled: the mean over seeds with the interval of the
mean (each seed's customers resampled independently, resample by resample). Also per seed,
why the rule calls few customers: the break-even value at risk (offer cost / acceptance), how
many test customers exceed it, the largest value at risk and the rank correlation of churn
probability and value. Writes ``benchmarks/results/value_policy_<part>.json`` per part, so
the parts can run apart (``--parts telco``).

Run from the repository root with the project venv, after ``dvc repro`` (``data/prepared``)::

    python benchmarks/bench_value_policy.py --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_survival import seed_data  # a sibling module (this script's folder is on sys.path)
from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import BusinessParams, load_params
from churnlab.data.splitting import split_customers
from churnlab.evaluation import business
from churnlab.modeling import training
from churnlab.survival import curves, policies, sources
from churnlab.survival.models import fit_model
from churnlab.survival.offer import OFFER
from churnlab.survival.scoring import bootstrap_draws, interval
from real_data import BENCH_SALT, DATA_DIR, ROOT, TABLES, load_table
from real_peers import churnlab_scores

RESULTS = ROOT / "benchmarks" / "results"  # value_policy_<part>.json, one file per part
DIFFERENCES = tuple(f"{name}_minus_probability" for name in policies.POLICIES[:2])
TELCO_VALUES = ("TotalCharges", "MonthlyCharges")


def seed_comparison(value, probability, at_risk, churned, b: BusinessParams, resamples, seed):
    """One seed's campaign: each policy's calls and realized saved value, each value policy's
    paired difference to the probability order (value, interval and the bootstrap draws, for
    pooling), and the facts behind the rule's number of calls."""
    contacts = policies.policy_contacts(at_risk, probability, b)
    saving = policies.realized_saving(churned, value, b)

    def figures(weight: np.ndarray) -> dict[str, float]:
        saved = {name: float(np.sum(weight * saving * c)) for name, c in contacts.items()}
        return {key: saved[key.split("_minus_")[0]] - saved["probability"] for key in DIFFERENCES}

    draws = bootstrap_draws(figures, len(saving), resamples, seed)
    full = figures(np.ones(len(saving)))
    break_even = business.break_even_value_at_risk(b)
    out = {
        "n_test": len(saving),
        "contacted": {name: int(c.sum()) for name, c in contacts.items()},
        "saved": {name: float(np.sum(saving * c)) for name, c in contacts.items()},
        "differences": {k: {"value": full[k], "interval": interval(draws[k])} for k in full},
        "break_even_value_at_risk": break_even,
        "above_break_even": int(np.sum(at_risk > break_even)),
        "max_value_at_risk": float(np.max(at_risk)),
        "mean_value": float(np.mean(value)),
        "probability_value_spearman": float(spearmanr(probability, value).statistic),
    }
    return out, draws


def pooled(per_seed: dict[int, tuple[dict, dict]]) -> dict:
    """Per difference: the mean over seeds and the 95 % interval of that mean (the seeds'
    draws averaged resample by resample), with the smallest and largest seed."""
    out = {}
    for key in DIFFERENCES:
        values = [figures["differences"][key]["value"] for figures, _ in per_seed.values()]
        mean_draws = np.mean([draws[key] for _, draws in per_seed.values()], axis=0)
        out[key] = {
            "mean": float(np.mean(values)),
            "interval": interval(mean_draws),
            "min": float(np.min(values)),
            "max": float(np.max(values)),
            "seeds_above_zero": int(np.sum(np.array(values) > 0)),
        }
    return out


def synthetic_seed(params, prepared, known, truth, seed: int, resamples: int):
    """One split seed of the synthetic data (see the module docstring)."""
    p, b = params.survival, params.business
    data = seed_data(params, prepared, known, truth, seed)
    train, valid, test = data["train"], data["valid"], data["test"]
    bare = [m[0].drop(columns=[OFFER], errors="ignore") for m in (train, valid, test)]
    trained = training.train(params, bare[0], data["train_label"], bare[1], data["valid_label"])
    classifier = trained.calibrated.predict_proba(bare[2])[:, 1]
    rows = prepared.set_index("customer_key").loc[data["test_keys"]]
    table = curves.customer_table(
        fit_model(p.model, p, train, valid),
        test[0],
        p.follow_up_days,
        p.horizons_days,
        p.value_horizon_days,
        curves.margins(rows, p.value),
        p.value,
    )
    churned = test[2] & (test[1] <= min(p.value_horizon_days, p.follow_up_days))
    value, at_risk = table["value"].to_numpy(), table["value_at_risk"].to_numpy()
    return seed_comparison(value, classifier, at_risk, churned, b, resamples, p.seed + seed)


def synthetic(seeds: list[int], resamples: int, save) -> None:
    params = load_params()
    if params.data.source != "synthetic":
        raise SystemExit("the synthetic part needs the default synthetic data (dvc repro)")
    prepared = io.read_table(paths.PREPARED)
    table, truth = sources.synthetic_durations(params)
    known, truth = sources.keyed(table), sources.keyed(truth)
    per_seed = {}
    for seed in seeds:
        per_seed[seed] = synthetic_seed(params, prepared, known, truth, seed, resamples)
        print(f"synthetic seed {seed}: {per_seed[seed][0]['differences']}", flush=True)
        save(summary(per_seed, "survival lifetime value", params.survival.value_horizon_days))


def telco(seeds: list[int], resamples: int, save) -> None:
    """Both Telco value columns on the same classifier scores and test customers per seed."""
    table = load_table("telco", TABLES["telco"], DATA_DIR, [], BENCH_SALT.encode())
    params, prepared = table.params, table.prepared
    b = params.business
    per_column: dict[str, dict] = {name: {} for name in TELCO_VALUES}
    for seed in seeds:
        split = params.split.model_copy(update={"seed": seed})
        parts = split_customers(prepared.table, split, TARGET)
        scores = churnlab_scores(params, parts, prepared.schema)
        test = parts["test"]
        churned = test[TARGET].to_numpy().astype(bool)
        for name in TELCO_VALUES:
            cells = business.checked_value_column(test[name], name, "telco test split")
            value = business.customer_value(b, len(test), cells, name).values
            per_column[name][seed] = seed_comparison(
                value, scores, scores * value, churned, b, resamples, seed
            )
            print(f"telco {name} seed {seed}: {per_column[name][seed][0]['differences']}")
        window = params.data.churn_window_days
        save(
            {name: summary(per_column[name], f"value column {name}", window) for name in per_column}
        )


def summary(per_seed: dict, value_from: str, churned_within_days: int) -> dict:
    """The seeds run so far (a run stopped early keeps them), pooled and one by one."""
    return {
        "n_seeds": len(per_seed),
        "first_seed": min(per_seed),
        "last_seed": max(per_seed),
        "value_from": value_from,
        "churned_within_days": churned_within_days,
        "pooled": pooled(per_seed),
        "seeds": {str(seed): figures for seed, (figures, _) in per_seed.items()},
    }


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--resamples", type=int, default=500)
    parser.add_argument(
        "--parts", nargs="+", choices=["synthetic", "telco"], default=["synthetic", "telco"]
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    b = load_params().business
    runs = {"synthetic": synthetic, "telco": telco}
    if "telco" in args.parts and not (DATA_DIR / TABLES["telco"]["path"]).exists():
        raise SystemExit(f"{DATA_DIR} has no Telco table: run with --parts synthetic")
    for part in args.parts:
        load_before = [round(x, 2) for x in os.getloadavg()]

        def save(found: dict, part: str = part, load_before: list = load_before) -> None:
            """Written after each seed: a run stopped early keeps the seeds it finished."""
            result = {
                "bootstrap_resamples": args.resamples,
                "business": b.model_dump(),
                part: found,
                "cpu_seconds": round(cpu_seconds(), 1),  # this process so far, imports included
                "load_average_before": load_before,
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
            }
            io.write_json(result, args.results / f"value_policy_{part}.json")

        runs[part](args.seeds, args.resamples, save)


if __name__ == "__main__":
    main()
