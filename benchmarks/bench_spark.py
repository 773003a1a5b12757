"""Benchmark the Spark engine against the local engine, side by side in one run (issue 16).

For each ``--sizes`` value a temporary directory (outside the repository) gets a copy of
``params.yaml`` with ``synthetic.n_customers`` changed; ``churnlab prepare`` runs once (prepare
is local-only), then for each engine (``local``, Spark ``local[1]``, Spark ``local[2]``) the
stages split, featurize, train and evaluate run as ``churnlab --params params.yaml <stage>``
subprocesses in their own copy. Recorded per stage: wall time and the peak RSS of the stage's
process tree as the kernel reports it to ``os.wait4`` (the Python driver and any child it
waited for; Spark's JVM is started by the driver). The test ROC-AUC of each engine is recorded
so the overhead is compared on equal results.

Results go to ``benchmarks/results/spark.json``:

    python benchmarks/bench_spark.py --sizes 1000000

The issue's 10M-customer scale run needs the chunked generator (not built yet) and is not
measured by this script.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "benchmarks" / "results" / "spark.json"
STAGES = ("split", "featurize", "train", "evaluate")
ENGINES = {
    "local": {"name": "local"},
    "spark_local_1": {"name": "spark", "spark": {"master": "local[1]"}},
    "spark_local_2": {"name": "spark", "spark": {"master": "local[2]"}},
}
MIB = 1024 * 1024


def run_stage(where: Path, stage: str) -> dict:
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "churnlab", "--params", "params.yaml", stage], cwd=where
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{stage} failed in {where} (status {status})")
    return {"seconds": round(seconds, 2), "peak_rss_mib": round(usage.ru_maxrss * 1024 / MIB, 1)}


def write_params(where: Path, n_customers: int, engine: dict) -> None:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["synthetic"]["n_customers"] = n_customers
    params["engine"] = {**params.get("engine", {}), **engine}
    if "spark" in engine:
        params["engine"]["spark"] = {**params["engine"].get("spark", {}), **engine["spark"]}
    (where / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def bench_size(n_customers: int, root: Path) -> dict:
    prepared = root / "prepared"
    prepared.mkdir()
    write_params(prepared, n_customers, ENGINES["local"])
    result = {"n_customers": n_customers, "prepare": run_stage(prepared, "prepare"), "engines": {}}
    for name, engine in ENGINES.items():
        where = root / name
        shutil.copytree(prepared, where)
        write_params(where, n_customers, engine)
        stages = {stage: run_stage(where, stage) for stage in STAGES}
        metrics = json.loads((where / "metrics" / "evaluate.json").read_text())
        result["engines"][name] = {
            "stages": stages,
            "seconds": round(sum(s["seconds"] for s in stages.values()), 2),
            "peak_rss_mib": max(s["peak_rss_mib"] for s in stages.values()),
            "test_roc_auc": metrics["roc_auc"],
        }
    local = result["engines"]["local"]["seconds"]
    result["spark_local_2_over_local"] = round(
        result["engines"]["spark_local_2"]["seconds"] / local, 3
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    runs = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench_spark_") as tmp:
            runs.append(bench_size(n, Path(tmp)))
    report = {
        "runs": runs,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "method": "wall time per stage subprocess; peak RSS from os.wait4 (kernel ru_maxrss)",
        "targets": {"spark_local_2_over_local_at_1m": 2.0},
    }
    args.output.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
