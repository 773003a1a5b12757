"""Peak memory and CPU of the prepare stage at several sizes, on both engines (issue 16).

prepare writes the synthetic raw tables one chunk at a time (``churnlab.engine.generate``;
on Spark from the executors) and builds the snapshot from the partitioned Parquet (DuckDB
locally, Spark SQL on Spark), so its peak memory should not follow the event tables' size.
For each ``--sizes`` value and each engine (the local engine, Spark ``local[2]``), a fresh
directory outside the repository gets the code snapshot's ``params.yaml`` with
``synthetic.n_customers`` changed, and ``churnlab prepare`` runs there under
``/usr/bin/time -v``. Recorded per run: ``time_max_rss_mib`` (``/usr/bin/time``'s maximum
resident set size: the largest single process of the tree, which on Spark is usually the
JVM), user and system CPU seconds (the whole tree), the Python driver's own peak RSS
(``RUSAGE_SELF`` at exit) and the summed RSS of the tree polled every 0.2 s
(``bench_pipeline.measure``). Wall time is recorded but means little on a shared machine.

    nice -n 10 python benchmarks/bench_spark_prepare.py --sizes 200000 1000000

``--merge`` keeps the runs of earlier outputs (two invocations run side by side write two
files; the second names the first), ``--sizes 0`` only merges.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import machine_info, snapshot_repository, subprocess_env
from bench_spark import (
    ENGINES,
    MIB,
    PEAK_AT_EXIT,
    STAGE,
    git,
    run_measured,
    write_params,
    write_report,
)
from churnlab.data.synth import CHUNK_CUSTOMERS

log = logging.getLogger("bench_spark_prepare")
OUTPUT = Path(__file__).resolve().parent / "results" / "spark_prepare_memory.json"
ENGINE_NAMES = ["local", "spark_local_2"]
TIME_FIELDS = {
    "Maximum resident set size (kbytes)": "time_max_rss_mib",
    "User time (seconds)": "time_user_cpu_seconds",
    "System time (seconds)": "time_system_cpu_seconds",
}


def parse_time_v(text: str) -> dict[str, float]:
    """The fields of ``/usr/bin/time -v``'s report this benchmark keeps (RSS in MiB)."""
    out = {}
    for line in text.splitlines():
        label, _, value = line.strip().rpartition(": ")
        if label in TIME_FIELDS:
            number = float(value)
            if label.startswith("Maximum"):
                number = round(number * 1024 / MIB, 1)
            out[TIME_FIELDS[label]] = number
    return out


def prepare_once(where: Path, env: dict) -> dict:
    """``churnlab prepare`` in ``where`` under ``/usr/bin/time -v``; its measurements."""
    report, driver = where / "time_v.txt", where / "driver_rss.json"
    stage = PEAK_AT_EXIT + STAGE
    wrapper = (
        "import subprocess\n"
        f"cmd = ['/usr/bin/time', '-v', '-o', {str(report)!r}, sys.executable, '-c', "
        f"{stage!r}, {str(driver)!r}, '--params', 'params.yaml', 'prepare']\n"
        "sys.exit(subprocess.call(cmd))\n"
    )
    run = run_measured(where, "prepare", wrapper, [], env)
    # The stage process's own peak (RUSAGE_SELF at exit), not the wrapper's.
    run["driver_peak_rss_mib"] = round(json.loads(driver.read_text()) * 1024 / MIB, 1)
    run.update(parse_time_v(report.read_text()))
    raw = where / "data" / "raw"
    run["raw_mib"] = round(sum(f.stat().st_size for f in raw.rglob("*") if f.is_file()) / MIB, 1)
    run["raw_files"] = sum(1 for f in raw.rglob("*.parquet") if f.is_file())
    return run


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=["local", "spark_local_2"],
        default=["local", "spark_local_2"],
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="*",
        default=[],
        help="earlier outputs of this script whose runs are kept first (each with its commit)",
    )
    args = parser.parse_args()
    earlier = []
    for path in args.merge:
        old = json.loads(path.read_text())
        tags = {"commit": old["commit"], "niceness": old["niceness"]}
        earlier += [{**tags, **run} for run in old["runs"]]
    report = {
        "output": args.output,
        "runs": earlier,
        "chunk_customers": CHUNK_CUSTOMERS,
        "machine": machine_info(),
        "niceness": os.nice(0),
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_changes": git("status", "--porcelain", "--untracked-files=no").splitlines(),
        "started_at_unix": int(time.time()),
        "method": __doc__.split("\n\n")[1].replace("\n", " "),
    }
    with tempfile.TemporaryDirectory(prefix="bench_spark_prepare_") as tmp:
        snapshot = Path(tmp) / "snapshot"
        snapshot.mkdir()
        report["code_snapshot_sha256"] = snapshot_repository(snapshot)
        env = subprocess_env(snapshot)
        for n in [n for n in args.sizes if n > 0]:
            for name in args.engines:
                with tempfile.TemporaryDirectory(prefix=f"{name}_{n}_", dir=tmp) as work:
                    where = Path(work)
                    write_params(snapshot / "params.yaml", where, n, ENGINES[name])
                    log.info("prepare: %d customers, %s", n, name)
                    run = prepare_once(where, env)
                    info = {"n_customers": n, "engine": name, "commit": report["commit"]}
                    report["runs"].append({**info, **run})
                    write_report(report)
    write_report(report)


if __name__ == "__main__":
    main()
