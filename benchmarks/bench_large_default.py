"""Issue 13 above 20 000 train+valid rows: which model should the default fit there?

Above ``REFIT_MAX_ROWS`` neither selection nor the refit on train+valid runs, so the default
is ``train.model`` fitted on train and early-stopped on valid. This benchmark scores, on the
same test customers of several split seeds, today's default (XGBoost) against cheap
alternatives, each through churnlab's own :func:`churnlab.modeling.training.train` (featurize
on train, fit, calibrate on valid, exactly as the train stage):

- ``xgboost``: today's default; ``lightgbm``: LightGBM at params.yaml's settings;
- ``select_valid``: XGBoost unless LightGBM's validation ROC-AUC beats it by
  ``autoselect.MIN_GAIN`` (the order rule of the small-data selection; no test row is read to
  choose); its CPU seconds are both fits';
- ``mean_xgb_lgb``: the mean of the two calibrated probabilities (both fits);
- ``<model>_tv``: the early-stopped model refitted once on train+valid with its rounds scaled
  by the row ratio (``refit.final_fit``; two fits, no out-of-fold scores);
- optionally ``catboost`` (``--models``).

Seeds: the synthetic table is split (after ``dvc repro prepare`` in this checkout) with the
choice seeds 42, 1, 2, 3, 4 and the check seeds 5, 6, 7, named before any of them was looked
at; a real table (``--table cell2cell``) with ``bench_real.py``'s seeds 0..4 and its salt, so
its ``xgboost`` figures are ``results/real.json``'s churnlab figures. ROC-AUC and PR-AUC are
rank measures, so the calibration does not change them. CPU seconds are this process's
(``time.process_time``, all threads) for the fit and calibration of ``train()``: the machine
is shared, wall time is not a measure here. Writes ``results/quality/<name>.json`` with
per-seed figures and, per seed set, every method minus ``xgboost`` (Student-t interval over the
seeds, wins)::

    python benchmarks/bench_large_default.py --table synthetic --seeds 42,1,2,3,4 --name ...
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as bench_real.py: passive waits

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_report as report
from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params, load_params
from churnlab.data.splitting import split_customers
from churnlab.features.fit import featurize
from churnlab.modeling import autoselect, refit, training
from real_compare import paired_table
from real_data import BENCH_SALT, DATA_DIR, ROOT, TABLES, load_table

RESULTS = Path(__file__).resolve().parent / "results" / "quality"
CHOOSE_SEEDS = (42, 1, 2, 3, 4)
CHECK_SEEDS = (5, 6, 7)  # named before any of them was looked at
BASE, OTHER = "xgboost", "lightgbm"


def load(table: str) -> tuple[Params, object, dict | None]:
    """(params, prepared customers, schema) of the synthetic demo or of a real table."""
    if table == "synthetic":
        schema_path = ROOT / paths.SCHEMA
        schema = io.read_json(schema_path) if schema_path.exists() else None
        return load_params(ROOT / "params.yaml"), io.read_table(ROOT / paths.PREPARED), schema
    loaded = load_table(table, TABLES[table], DATA_DIR, [], BENCH_SALT.encode())
    return loaded.params, loaded.prepared.table, loaded.prepared.schema


def matrices(params: Params, prepared, schema, seed: int) -> dict:
    split = params.split.model_copy(update={"seed": seed})
    parts = split_customers(prepared, split, TARGET)
    done = featurize(parts, params.featurize, params.data.snapshot_date, schema)
    return {n: (m.drop(columns=[TARGET]), m[TARGET].to_numpy()) for n, m in done.matrices.items()}


def with_model(params: Params, name: str) -> Params:
    return params.model_copy(update={"train": params.train.model_copy(update={"model": name})})


def fit_model(params: Params, name: str, data: dict) -> dict:
    """One model through ``training.train``, then refitted once on train+valid."""
    (X, y), (Xv, yv), (Xt, _) = data["train"], data["valid"], data["test"]
    p = with_model(params, name)
    cpu = time.process_time()
    trained = training.train(p, X, y, Xv, yv)
    fit_cpu = time.process_time() - cpu
    if trained.summary["refit"]["method"] != "train":
        raise SystemExit(f"{name}: the table is not above the refit row limit")
    rounds = refit.best_rounds(name, trained.model)
    cpu = time.process_time()
    final = refit.final_fit(name, p.train, X, y, Xv, yv, rounds)
    tv_cpu = time.process_time() - cpu
    return {
        "test": trained.calibrated.predict_proba(Xt)[:, 1],
        "test_tv": final.predict_proba(Xt)[:, 1],
        "valid_roc_auc": trained.summary["valid"]["roc_auc"],
        "rounds": rounds,
        "cpu": fit_cpu,
        "cpu_tv": fit_cpu + tv_cpu,
    }


def run_seed(params: Params, prepared, schema, seed: int, models: list[str]) -> dict:
    """Test scores and CPU seconds of every method on split seed ``seed``."""
    data = matrices(params, prepared, schema, seed)
    fits = {name: fit_model(params, name, data) for name in models}
    base, other = fits[BASE], fits[OTHER]
    switch = other["valid_roc_auc"] > base["valid_roc_auc"] + autoselect.MIN_GAIN
    scores = {n: f["test"] for n, f in fits.items()}
    seconds = {n: f["cpu"] for n, f in fits.items()}
    for n, f in fits.items():
        scores[f"{n}_tv"], seconds[f"{n}_tv"] = f["test_tv"], f["cpu_tv"]
    scores["select_valid"] = other["test"] if switch else base["test"]
    scores["mean_xgb_lgb"] = (base["test"] + other["test"]) / 2
    seconds["select_valid"] = seconds["mean_xgb_lgb"] = base["cpu"] + other["cpu"]
    for size in range(2, len(fits) + 1):  # plain means of the calibrated probabilities
        for combo in itertools.combinations(fits, size):
            if combo == (BASE, OTHER):
                continue  # mean_xgb_lgb above
            for tag, key, cpu in (("", "test", "cpu"), ("_tv", "test_tv", "cpu_tv")):
                name = "mean_" + "_".join(combo) + tag
                scores[name] = np.mean([fits[n][key] for n in combo], axis=0)
                seconds[name] = sum(fits[n][cpu] for n in combo)
    return {
        "y": data["test"][1],
        "scores": scores,
        "seconds": seconds,
        "chosen": OTHER if switch else BASE,
        "valid_roc_auc": {n: f["valid_roc_auc"] for n, f in fits.items()},
        "rounds": {n: f["rounds"] for n, f in fits.items()},
        "train_valid_rows": len(data["train"][1]) + len(data["valid"][1]),
    }


def figures(runs: list[dict]) -> dict:
    """Per method: per-seed ROC-AUC / PR-AUC, means, CPU seconds per seed."""
    ys = [r["y"] for r in runs]
    out = {}
    for method in runs[0]["scores"]:
        out[method] = report.method_figures(ys, [r["scores"][method] for r in runs])
        out[method]["seconds"] = [round(r["seconds"][method], 2) for r in runs]
        out[method]["mean_cpu_seconds"] = round(float(np.mean(out[method]["seconds"])), 2)
    return out


def compare(methods: dict) -> dict:
    """Every method minus today's default (``xgboost``), paired seed by seed."""
    return {m: paired_table(methods[BASE], f, 0.95) for m, f in methods.items() if m != BASE}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default="synthetic", choices=["synthetic", *TABLES])
    parser.add_argument("--seeds", default="", help="comma-separated split seeds")
    parser.add_argument("--models", default=f"{BASE},{OTHER}", help="xgboost,lightgbm[,...]")
    parser.add_argument("--name", required=True, help="output stem under results/quality/")
    args = parser.parse_args(argv)
    default_seeds = CHOOSE_SEEDS if args.table == "synthetic" else range(5)
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else list(default_seeds)
    models = list(dict.fromkeys([BASE, OTHER, *args.models.split(",")]))
    params, prepared, schema = load(args.table)
    runs = []
    for seed in seeds:
        runs.append(run_seed(params, prepared, schema, seed, models))
        print(f"seed {seed}: chosen {runs[-1]['chosen']}", flush=True)
    methods = figures(runs)
    result = {
        "table": args.table,
        "seeds": seeds,
        "train_valid_rows": [r["train_valid_rows"] for r in runs],
        "test_customers": [len(r["y"]) for r in runs],
        "chosen_by_select_valid": [r["chosen"] for r in runs],
        "valid_roc_auc": [r["valid_roc_auc"] for r in runs],
        "rounds": [r["rounds"] for r in runs],
        "methods": methods,
        "minus_xgboost": compare(methods),
        "seconds": "CPU seconds of this process (all threads) per split: fit + calibration",
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    io.write_json(result, RESULTS / f"{args.name}.json")
    summary = {
        method: (d["roc_auc"]["mean_difference"], d["roc_auc"]["low"], d["roc_auc"]["high"])
        for method, d in result["minus_xgboost"].items()
    }
    print("method - xgboost ROC-AUC (mean, low, high):", summary)
    return result


if __name__ == "__main__":
    main()
