"""Distributed XGBoost vs training on the driver, over several synthetic draws (issue 16).

The issue asks the distributed model (``SparkXGBClassifier``, ``num_workers`` 2) to be within
0.01 test ROC-AUC of the driver-trained one; on the tests' 2,000-customer draw it was 0.011
below. This asks whether that is a mismatch of settings or the estimator's own randomness.
For each draw (``synthetic.seed`` = base + i, 2,000 customers, the repository's params
otherwise) the local stages prepare, split and featurize run in a temporary directory; then
on the same feature tables the early-stopped XGBoost is fitted (no refit, no calibration:
the raw model's test ROC-AUC):

- ``local``: the driver's fit (``churnlab.modeling.zoo.xgboost``), and ``local_seed+1``
  with only ``train.seed`` changed: how far the estimator's own row and column sampling
  (subsample, colsample_bytree < 1) moves the figure;
- ``spark_w2``: ``churnlab.engine.distributed.fit`` with two workers on ``local[2]``;
- with ``subsample`` and ``colsample_bytree`` at 1 (``*_nosample``): ``local``, and Spark
  with one and two workers: without sampling, a remaining gap is a real difference
  (sketch, rounds, settings), and one worker against two separates the partitioning.

Per fit: test ROC-AUC, the best round and the rounds kept. The summary gives each
variant's paired difference from ``local`` (mean, a 95 % t-interval over the draws, and the
largest absolute gap).

    nice -n 10 python benchmarks/bench_spark_distributed.py --draws 6
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from scipy import stats
from sklearn.metrics import roc_auc_score

from churnlab import io
from churnlab.config.columns import TARGET
from churnlab.config.params import parse_params

log = logging.getLogger("bench_spark_distributed")
REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "benchmarks" / "results" / "spark_distributed_gap.json"
N_CUSTOMERS = 2000
NO_SAMPLING = {"subsample": 1.0, "colsample_bytree": 1.0}


def draw_params(raw: dict, data_seed: int, xgboost: dict | None = None, workers: int = 2, **train):
    """``raw`` params for draw ``seed``, with XGBoost, worker and train overrides."""
    raw = json.loads(json.dumps(raw, default=str))
    raw["synthetic"] = {**raw["synthetic"], "n_customers": N_CUSTOMERS, "seed": data_seed}
    spark = {**raw.get("engine", {}).get("spark", {}), "num_workers": workers}
    raw["engine"] = {**raw.get("engine", {}), "spark": spark}
    raw["train"] = {**raw["train"], **train}
    raw["train"]["xgboost"] = {**raw["train"]["xgboost"], **(xgboost or {})}
    return parse_params(raw)


def featurized(params, where: Path) -> dict:
    """prepare, split and featurize (local engine) in ``where``; the feature tables."""
    from churnlab.stages import featurize, prepare, split

    cwd = os.getcwd()
    os.chdir(where)
    try:
        for stage in (prepare, split, featurize):
            stage.main(params)
    finally:
        os.chdir(cwd)
    return {n: where / f"data/features/{n}.parquet" for n in ("train", "valid", "test")}


def summary(model, X, y) -> dict:
    from churnlab.modeling.zoo import xgboost as zoo

    best = getattr(model, "best_iteration", None)
    return {
        "roc_auc": float(roc_auc_score(y, zoo.probability(model, X))),
        "best_iteration": None if best is None else int(best),
        "rounds_in_booster": int(model.get_booster().num_boosted_rounds()),
    }


def fits(spark, params, files: dict) -> dict:
    """Every variant's fit on one draw's feature tables."""
    from churnlab.engine import distributed
    from churnlab.modeling.zoo import xgboost as zoo

    frames = {n: io.read_table(f) for n, f in files.items()}
    X = {n: f.drop(columns=[TARGET]) for n, f in frames.items()}
    y = {n: f[TARGET].to_numpy() for n, f in frames.items()}
    raw = params.model_dump(mode="json")
    out = {}
    variants = (("", None, (0, 1), (2,)), ("_nosample", NO_SAMPLING, (0,), (1, 2)))
    for suffix, xgb_params, shifts, workers_list in variants:
        for shift in shifts:
            p = draw_params(raw, params.synthetic.seed, xgb_params, seed=params.train.seed + shift)
            model = zoo.make(p.train, y["train"])
            model = zoo.fit(model, X["train"], y["train"], X["valid"], y["valid"])
            name = "local" if shift == 0 else f"local_seed+{shift}"
            out[name + suffix] = summary(model, X["test"], y["test"])
        for workers in workers_list:
            p = draw_params(raw, params.synthetic.seed, xgb_params, workers)
            train, valid = (spark.read.parquet(str(files[n])) for n in ("train", "valid"))
            model = distributed.fit(p, train, valid)
            out[f"spark_w{workers}{suffix}"] = summary(model, X["test"], y["test"])
    return out


def summarize(draws: list[dict]) -> dict:
    out = {}
    for name in draws[0]["fits"]:
        base = "local_nosample" if name.endswith("_nosample") else "local"
        if name == base:
            continue
        gaps = np.array([d["fits"][name]["roc_auc"] - d["fits"][base]["roc_auc"] for d in draws])
        half = (
            stats.t.ppf(0.975, len(gaps) - 1) * gaps.std(ddof=1) / np.sqrt(len(gaps))
            if len(gaps) > 1
            else float("nan")
        )
        out[f"{name} - {base}"] = {
            "mean": round(float(gaps.mean()), 5),
            "ci95": [round(float(gaps.mean() - half), 5), round(float(gaps.mean() + half), 5)],
            "max_abs": round(float(np.abs(gaps).max()), 5),
            "draws": len(gaps),
        }
    return out


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=6)
    parser.add_argument("--first-seed", type=int, default=11)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    from churnlab.engine.session import spark_session

    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    report = {"n_customers": N_CUSTOMERS, "method": __doc__.split("\n\n")[1], "draws": []}
    report["started_at_unix"] = int(time.time())
    spark = None
    for i in range(args.draws):
        params = draw_params(raw, args.first_seed + i)
        spark = spark or spark_session(params.engine.spark)
        with tempfile.TemporaryDirectory(prefix="bench_distributed_") as tmp:
            files = featurized(params, Path(tmp))
            report["draws"].append(
                {"seed": params.synthetic.seed, "fits": fits(spark, params, files)}
            )
        report["summary"] = summarize(report["draws"])
        args.output.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        log.info("draw %d: %s", i, report["summary"])
    sys.exit(0)


if __name__ == "__main__":
    main()
