"""Where the Spark stages spend their time: the driver or the executors (issue 16).

At 1M customers ``local[1]`` and ``local[2]`` ran each Spark stage in about the same time:
the second core sat idle. This runs prepare (local engine), then split, featurize, train (on
the driver) and evaluate with ``engine.name: spark`` on ``local[2]``, in this process and one
SparkSession with Spark's event log on, in a temporary directory. Each churnlab stage's
start and end are recorded; after the run Spark's event log (every task's launch, finish,
run and CPU time, every Spark stage's task count) is read and each Spark stage is given to
the churnlab stage it was submitted in:

- ``spark_stages``, ``tasks``, ``max_tasks_in_a_stage`` and ``one_task_stages``: how far the
  work was split;
- ``executor_run_seconds`` and ``executor_cpu_seconds``: the tasks' summed run and CPU time;
- ``tasks_running_seconds``: time in which at least one task ran, and
  ``two_tasks_running_seconds``: time in which two ran at once (both cores of ``local[2]``);
- ``driver_only_seconds`` = wall - tasks running: no task ran (pandas and XGBoost fits on the
  driver, Arrow conversions of collected rows, job planning, Python work);
- ``driver_python_cpu_seconds``: the Python driver's own CPU time (``RUSAGE_SELF``).

The figures are the stage as a whole on a shared, loaded machine: compare their shares,
not their seconds across runs.

    nice -n 10 python benchmarks/bench_spark_stages.py --customers 200000
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import tempfile
import time
from pathlib import Path

import yaml

from churnlab.config.params import parse_params

log = logging.getLogger("bench_spark_stages")
REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "benchmarks" / "results" / "spark_stage_profile.json"
SPARK_STAGES = ("split", "featurize", "train", "evaluate")


def read_event_log(directory: Path) -> tuple[list[dict], list[dict]]:
    """Spark's finished stages and tasks from the one event log in ``directory``."""
    stages, tasks = [], []
    logs = [f for f in directory.rglob("*") if f.is_file() and f.name.startswith(("local-", "app"))]
    for path in [f for f in logs if not f.name.startswith("appstatus")]:
        for line in path.read_text().splitlines():
            event = json.loads(line)
            if event["Event"] == "SparkListenerStageCompleted":
                info = event["Stage Info"]
                stages.append(
                    {
                        "id": info["Stage ID"],
                        "name": info["Stage Name"],
                        "tasks": info["Number of Tasks"],
                        "submitted": info.get("Submission Time", 0) / 1000,
                    }
                )
            elif event["Event"] == "SparkListenerTaskEnd":
                info, metrics = event["Task Info"], event.get("Task Metrics") or {}
                tasks.append(
                    {
                        "stage": event["Stage ID"],
                        "start": info["Launch Time"] / 1000,
                        "end": info["Finish Time"] / 1000,
                        "run": metrics.get("Executor Run Time", 0) / 1000,
                        "cpu": metrics.get("Executor CPU Time", 0) / 1e9,
                    }
                )
    return stages, tasks


def running_seconds(tasks: list[dict], at_least: int) -> float:
    """Time during which at least ``at_least`` of ``tasks`` ran at once."""
    edges = sorted([(t["start"], 1) for t in tasks] + [(t["end"], -1) for t in tasks])
    total, running, since = 0.0, 0, 0.0
    for moment, step in edges:
        if running >= at_least:
            total += moment - since
        running, since = running + step, moment
    return total


def profile(stages: list[dict], tasks: list[dict], wall: float, cpu: float) -> dict:
    busy = running_seconds(tasks, 1)
    run = {s["id"]: 0.0 for s in stages}
    for t in tasks:
        run[t["stage"]] = run.get(t["stage"], 0.0) + t["run"]
    longest = sorted(stages, key=lambda s: -run[s["id"]])[:3]
    return {
        "wall_seconds": round(wall, 1),
        "driver_python_cpu_seconds": round(cpu, 1),
        "spark_stages": len(stages),
        "tasks": len(tasks),
        "max_tasks_in_a_stage": max((s["tasks"] for s in stages), default=0),
        "one_task_stages": sum(s["tasks"] == 1 for s in stages),
        "executor_run_seconds": round(sum(t["run"] for t in tasks), 1),
        "executor_cpu_seconds": round(sum(t["cpu"] for t in tasks), 1),
        "tasks_running_seconds": round(busy, 1),
        "two_tasks_running_seconds": round(running_seconds(tasks, 2), 1),
        "driver_only_seconds": round(max(wall - busy, 0.0), 1),
        "driver_only_share": round(max(wall - busy, 0.0) / wall, 3),
        "longest_spark_stages": [
            {
                "name": s["name"].split(" at ")[0],
                "tasks": s["tasks"],
                "run_s": round(run[s["id"]], 1),
            }
            for s in longest
        ],
    }


def run(n_customers: int, output: Path) -> None:
    from churnlab.engine.session import spark_session
    from churnlab.stages import evaluate, featurize, prepare, split, train

    events = Path(tempfile.mkdtemp(prefix="bench_spark_events_"))
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["synthetic"]["n_customers"] = n_customers
    local = parse_params(raw)
    spark_conf = {
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": events.as_uri(),
        # One plain JSON-lines file (Spark 4 defaults to rolling, zstd-compressed logs).
        "spark.eventLog.rolling.enabled": "false",
        "spark.eventLog.compress": "false",
    }
    engine = raw.get("engine", {})
    spark = {
        **engine.get("spark", {}),
        "conf": {**engine.get("spark", {}).get("conf", {}), **spark_conf},
    }
    raw["engine"] = {**engine, "name": "spark", "spark": spark}
    params = parse_params(raw)
    report = {"n_customers": n_customers, "master": params.engine.spark.master, "stages": {}}
    report["method"] = __doc__.split("\n\n")[1].replace("\n", " ")
    modules = {"split": split, "featurize": featurize, "train": train, "evaluate": evaluate}
    windows = {}
    with tempfile.TemporaryDirectory(prefix="bench_spark_stages_") as tmp:
        os.chdir(tmp)
        prepare.main(local)
        session = spark_session(params.engine.spark)
        for name in SPARK_STAGES:
            start, cpu = time.time(), resource.getrusage(resource.RUSAGE_SELF).ru_utime
            modules[name].main(params)
            cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu
            windows[name] = (start, time.time(), cpu)
            log.info("%s: %.0f s", name, windows[name][1] - start)
        session.stop()
    report["windows"], report["event_log"] = windows, str(events)
    output.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    summarize(output)


def summarize(output: Path) -> None:
    """Each churnlab stage's figures from the event log and the stage windows in ``output``."""
    report = json.loads(output.read_text())
    stages, tasks = read_event_log(Path(report["event_log"]))
    for name, (start, end, cpu) in report["windows"].items():
        mine = [s for s in stages if start <= s["submitted"] < end]
        ids = {s["id"] for s in mine}
        mine_tasks = [t for t in tasks if t["stage"] in ids]
        report["stages"][name] = profile(mine, mine_tasks, end - start, cpu)
    output.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    log.info("%s", json.dumps(report["stages"], indent=1))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--summarize-only", action="store_true", help="recompute the figures of --output"
    )
    args = parser.parse_args()
    if args.summarize_only:
        summarize(args.output.resolve())
    else:
        run(args.customers, args.output.resolve())


if __name__ == "__main__":
    main()
