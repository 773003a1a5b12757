"""Benchmark the Spark engine against the local engine, side by side in one run (issue 16).

The code is copied once at start (``bench_pipeline.snapshot_repository``) and every command
runs that copy, so edits to the working tree during a long run cannot mix two versions. For each
``--sizes`` value a temporary directory (outside the repository) gets the snapshot's
``params.yaml`` with ``synthetic.n_customers`` changed; ``churnlab prepare`` runs once (prepare
is on the local engine in this version), then for each engine (the local engine, Spark
``local[2]``, Spark ``local[1]``, in that order) the stages split, featurize, train, baselines
(local on both engines) and evaluate run as ``churnlab --params params.yaml <stage>``
subprocesses in their own copy of the prepared directory. Each command runs at the niceness
this script was started with (``nice -n 15`` beside other work).

Recorded per stage (``bench_pipeline.measure``): wall time, CPU time, the 1-minute load average
before and after, the summed RSS of the whole process tree (Python driver, Spark's JVM and its
Python workers, polled) and **the Python driver's own peak RSS** (``ru_maxrss`` of
``RUSAGE_SELF``, written by the stage process itself at exit). The test ROC-AUC of each engine
is recorded so the overhead is compared on equal results. The JSON is rewritten after each
stage, so an interrupted run keeps what finished. ``--not-run SIZE=REASON`` records a size that
was not attempted and why.

From the ``local[1]`` and ``local[2]`` stage times the script derives each stage's parallel
fraction (Amdahl: ``t2 = t1 * ((1 - f) + f / 2)``) and projects the time of 100M customers on
64 cores, with the assumptions written next to the figure (``projection``).

    nice -n 15 python benchmarks/bench_spark.py --sizes 1000000

``--generate`` measures the chunked generator instead (``churnlab.engine.generate``, local and
Spark ``local[2]``, each size in a fresh process) and writes ``spark_generate.json``: its
driver's peak RSS at several sizes shows whether memory is bounded by one chunk.

    nice -n 15 python benchmarks/bench_spark.py --generate --sizes 200000 1000000
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import machine_info, measure, snapshot_repository, subprocess_env
from churnlab.data.synth import CHUNK_CUSTOMERS

log = logging.getLogger("bench_spark")
REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "benchmarks" / "results" / "spark.json"
STAGES = ("split", "featurize", "train", "baselines", "evaluate")
ENGINES = {
    "local": {"name": "local"},
    "spark_local_2": {"name": "spark", "spark": {"master": "local[2]"}},
    "spark_local_1": {"name": "spark", "spark": {"master": "local[1]"}},
}
MIB = 1024 * 1024
TIMEOUT_S = 4 * 3600
PROJECTION = {"n_customers": 100_000_000, "cores": 64}
GENERATE_OUTPUT = REPO / "benchmarks" / "results" / "spark_generate.json"
# The measured process writes its own peak RSS at exit: the Python driver alone, exactly.
PEAK_AT_EXIT = (
    "import atexit, json, resource, sys\n"
    "out = sys.argv.pop(1)\n"
    "atexit.register(lambda: open(out, 'w').write(json.dumps("
    "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))\n"
)
STAGE = "sys.argv[0] = 'churnlab'\nfrom churnlab.cli.main import main\nmain()\n"
# argv: engine, customers, destination. The chunked generator with the params' seed and dates.
GENERATE = (
    "from churnlab.config.params import load_params\n"
    "from churnlab.engine import generate\n"
    "spec = generate.SynthSpec.from_params(load_params(), n_customers=int(sys.argv[2]))\n"
    "if sys.argv[1] == 'local':\n"
    "    print(generate.write_local(spec, sys.argv[3]))\n"
    "else:\n"
    "    from churnlab.engine.session import spark_session\n"
    "    session = spark_session(load_params().engine.spark)\n"
    "    print(generate.write_spark(session, spec, sys.argv[3]))\n"
)


def run_measured(where: Path, name: str, body: str, args: list[str], env: dict) -> dict:
    """Run ``body`` (Python) in ``where`` with ``args``; its measurement and driver peak RSS."""
    driver_file = where / f".driver_rss_{name}.json"
    cmd = [sys.executable, "-c", PEAK_AT_EXIT + body, str(driver_file), *args]
    result = measure(cmd, where, env, where / "bench.log", 0.2, TIMEOUT_S)
    if not result.ok:
        raise SystemExit(f"{name} failed in {where}:\n" + "\n".join(result.output_tail))
    out = result.as_dict()
    out["driver_peak_rss_mib"] = round(json.loads(driver_file.read_text()) * 1024 / MIB, 1)
    return out


def run_stage(where: Path, stage: str, env: dict[str, str]) -> dict:
    return run_measured(where, stage, STAGE, ["--params", "params.yaml", stage], env)


def bench_generate(sizes: list[int], root: Path, snapshot: Path, env: dict, report: dict) -> None:
    """The chunked generator at each size on both engines: bounded memory means the driver's
    peak does not grow with the number of chunks."""
    for n in sizes:
        for name, engine in (
            ("local", ENGINES["local"]),
            ("spark_local_2", ENGINES["spark_local_2"]),
        ):
            where = root / f"{name}_{n}"
            where.mkdir()
            write_params(snapshot / "params.yaml", where, n, engine)
            run = run_measured(where, "generate", GENERATE, [engine["name"], str(n), "raw"], env)
            run["raw_mib"] = round(
                sum(f.stat().st_size for f in (where / "raw").rglob("*")) / MIB, 1
            )
            report["runs"].append({"n_customers": n, "engine": name, **run})
            shutil.rmtree(where)
            write_report(report)


def write_params(source: Path, where: Path, n_customers: int, engine: dict) -> None:
    params = yaml.safe_load(source.read_text())
    params["synthetic"]["n_customers"] = n_customers
    params["engine"] = {**params.get("engine", {}), **engine}
    if "spark" in engine:
        params["engine"]["spark"] = {**params["engine"].get("spark", {}), **engine["spark"]}
    (where / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def engine_summary(stages: dict, where: Path) -> dict:
    metrics = json.loads((where / "metrics" / "evaluate.json").read_text())
    return {
        "stages": stages,
        "seconds": round(sum(s["seconds"] for s in stages.values()), 2),
        "driver_peak_rss_mib": max(s["driver_peak_rss_mib"] for s in stages.values()),
        "tree_peak_rss_mib": max(s["sampled_peak_tree_rss_mib"] for s in stages.values()),
        "test_roc_auc": metrics["roc_auc"],
    }


def parallel_fraction(t1: float, t2: float) -> float:
    """Amdahl's parallel fraction from the times on one and two cores, clipped to [0, 1]."""
    return min(1.0, max(0.0, 2.0 * (1.0 - t2 / t1)))


def project(run: dict) -> dict:
    """100M customers on 64 cores from the local[1]/local[2] stage times (assumptions below)."""
    one, two = run["engines"]["spark_local_1"], run["engines"]["spark_local_2"]
    scale = PROJECTION["n_customers"] / run["n_customers"]
    stages, total = {}, 0.0
    for stage in STAGES:
        t1, t2 = one["stages"][stage]["seconds"], two["stages"][stage]["seconds"]
        f = parallel_fraction(t1, t2)
        seconds = t1 * scale * ((1.0 - f) + f / PROJECTION["cores"])
        stages[stage] = {"parallel_fraction": round(f, 3), "projected_seconds": round(seconds, 1)}
        total += seconds
    prepare = run["prepare"]["seconds"] * scale  # local engine: no parallel speed-up assumed
    return {
        **PROJECTION,
        "from_n_customers": run["n_customers"],
        "stages": stages,
        "spark_stages_seconds": round(total, 1),
        "prepare_local_seconds": round(prepare, 1),
        "assumptions": [
            "each stage's time is linear in the number of customers (measured at one size)",
            "each stage's parallel fraction f comes from Amdahl's law fitted to local[1] vs "
            "local[2] at that size, t2 = t1 * ((1 - f) + f / 2), and holds at 64 cores",
            "64 cores as fast as this machine's, no network or object-store cost, enough memory",
            "the serial part (driver fits, collects) grows linearly too: an upper bound, since "
            "featurize fits on at most engine.spark.fit_rows rows and train on the driver "
            "on at most engine.spark.driver_rows",
            "prepare stays on the local engine (not parallel) in this version",
        ],
    }


def bench_size(n_customers: int, root: Path, snapshot: Path, env: dict, report: dict) -> None:
    """Prepare once (or reuse ``report["reuse"]``, a prepared directory of the same size), then
    the stages on each engine of ``report["engines"]``."""
    load = os.getloadavg()
    run = {"n_customers": n_customers, "load_avg_at_start": [round(x, 2) for x in load]}
    report["runs"].append(run)
    prepared = report["reuse"] or root / "prepared"
    if report["reuse"]:
        run["prepare"] = {"reused": str(prepared)}
    else:
        prepared.mkdir()
        write_params(snapshot / "params.yaml", prepared, n_customers, ENGINES["local"])
        run["prepare"] = run_stage(prepared, "prepare", env)
    run["engines"] = {}
    for name in report["engines"]:
        engine = ENGINES[name]
        where = root / name
        shutil.copytree(prepared, where)
        write_params(snapshot / "params.yaml", where, n_customers, engine)
        stages: dict = {}
        run["engines"][name] = {"stages": stages, "complete": False}
        for stage in STAGES:  # written after each stage: an interrupted run keeps it
            stages[stage] = run_stage(where, stage, env)
            write_report(report)
        run["engines"][name] = {**engine_summary(stages, where), "complete": True}
        log.info("n=%d %s: %.1f s", n_customers, name, run["engines"][name]["seconds"])
        shutil.rmtree(where)
        write_report(report)
    run["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    if "seconds" in run["prepare"]:
        summarize(run)
    write_report(report)


def summarize(run: dict) -> None:
    """The engines' ratios and the projection, from the engines that completed in this run:
    Spark ``local[2]`` over local when both did; ``local[1]`` over ``local[2]`` per stage and
    the projection when both Spark runs did."""
    done = {name for name, engine in run["engines"].items() if engine.get("complete")}
    if {"local", "spark_local_2"} <= done:
        local = run["engines"]["local"]["seconds"]
        spark = run["engines"]["spark_local_2"]["seconds"]
        run["spark_local_2_over_local"] = round(spark / local, 3)
    if not {"spark_local_1", "spark_local_2"} <= done:
        return
    run["local_1_over_local_2"] = {
        stage: round(
            run["engines"]["spark_local_1"]["stages"][stage]["seconds"]
            / run["engines"]["spark_local_2"]["stages"][stage]["seconds"],
            3,
        )
        for stage in STAGES
    }
    run["projection"] = project(run)


def write_report(report: dict) -> None:
    report["output"].write_text(
        json.dumps(
            {k: v for k, v in report.items() if k != "output"},
            indent=2,
            sort_keys=True,
            default=str,
        )
        + "\n"
    )


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--not-run", nargs="*", default=[], metavar="SIZE=REASON")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--engines", nargs="+", choices=list(ENGINES), default=list(ENGINES))
    parser.add_argument(
        "--reuse-prepared", type=Path, help="a prepared directory of this size (no prepare run)"
    )
    parser.add_argument(
        "--generate", action="store_true", help="measure the chunked generator only"
    )
    args = parser.parse_args()
    default = GENERATE_OUTPUT if args.generate else OUTPUT
    report = {
        "output": args.output or default,
        "engines": args.engines,
        "reuse": args.reuse_prepared,
        "runs": [],
        "not_run": dict(item.split("=", 1) for item in args.not_run),
        "machine": machine_info(),
        "niceness": os.nice(0),
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_changes": git("status", "--porcelain", "--untracked-files=no").splitlines(),
        "started_at_unix": int(time.time()),
        "method": "wall time and CPU per stage subprocess; driver_peak_rss_mib: the Python "
        "driver's ru_maxrss (RUSAGE_SELF at exit); sampled_peak_tree_rss_mib: summed RSS of "
        "the driver, Spark's JVM and Python workers, polled every 0.2 s; load averages "
        "before/after each stage",
        "targets": {"spark_local_2_over_local_at_1m": 2.0},
    }
    with tempfile.TemporaryDirectory(prefix="bench_spark_") as tmp:
        snapshot = Path(tmp) / "snapshot"
        snapshot.mkdir()
        report["code_snapshot_sha256"] = snapshot_repository(snapshot)
        env = subprocess_env(snapshot)
        if args.generate:
            report["chunk_customers"] = CHUNK_CUSTOMERS
            report.pop("targets")
            bench_generate(args.sizes, Path(tmp), snapshot, env, report)
        for n in [] if args.generate else args.sizes:
            with tempfile.TemporaryDirectory(prefix=f"bench_spark_{n}_") as work:
                bench_size(n, Path(work), snapshot, env, report)
    write_report(report)


if __name__ == "__main__":
    main()
