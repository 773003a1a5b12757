"""CPU seconds of each stage of the default (synthetic) ``dvc repro``, for the 60 s target.

On a machine shared with other jobs wall time says little, so each stage command
(``churnlab <stage>``) is run as a subprocess in a checkout whose pipeline is already up to date
(``dvc repro`` there first) and its user and system CPU seconds are read from ``os.wait4``; wall
seconds and the load average before and after are recorded beside them. The stages rewrite the
same outputs, so the checkout stays as it was. Each run is stored under a label (``before``,
``after``...) in ``benchmarks/results/quality/repro_cpu.json``; other labels in the file are kept,
so a change is recorded as two runs of this script on two checkouts:

    python benchmarks/bench_repro_cpu.py --checkout /path/to/old --label before
    python benchmarks/bench_repro_cpu.py --label after

``--telco`` measures the same stages on the Telco CSV of ``../shared/data`` (7,043 customers)
through the documented ``data.*`` keys, in a temporary copy of the checkout's tracked files,
for the "Telco-sized user table within about 2 minutes" target; it is stored under ``telco``
(by label). Without the CSV the Telco run is skipped with a message.

``--dvc`` measures what a user waits for: ``dvc repro -f -s`` of the six churn stages in one
DVC process (DVC's own work per stage included: hashing, the lock file), then a full
``dvc repro -f`` (uplift and survival too), then ``dvc repro -f -s uplift`` alone (what the
uplift stage adds: issue 17's 60 s). Wall and CPU seconds (DVC and its stage
subprocesses) and the load average are stored under ``dvc`` (by label). Only an idle machine
gives a wall figure worth comparing with the target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

from bench_featurize import set_key, timed

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "benchmarks" / "results" / "quality" / "repro_cpu.json"
# The churn stages of the default pipeline (survival and uplift are measured elsewhere).
STAGES = ("prepare", "split", "featurize", "train", "baselines", "evaluate")
UPLIFT_TARGET_S = 60.0
TARGET_CPU_SECONDS = 60.0
TELCO = REPO.parent / "shared" / "data" / "telco_customer_churn.csv"
# The documented data contract for a user CSV (docs/data.md), as tests/test_telco_e2e.py runs it.
TELCO_KEYS = {"source": "csv", "target": "Churn", "positive": "Yes", "id": "customerID"}
TELCO_TARGET_S = 120.0


def run_stage(checkout: Path, stage: str) -> dict:
    """One stage in ``checkout`` with its own sources first on the path: CPU and wall seconds."""
    os.environ["PYTHONPATH"] = str(checkout / "src")
    run = timed([stage], checkout)
    return {
        "wall_s": run["seconds"],
        "user_s": run["user_cpu_seconds"],
        "sys_s": run["system_cpu_seconds"],
        "cpu_s": round(run["user_cpu_seconds"] + run["system_cpu_seconds"], 2),
        "load_before": run["load_average_before"],
        "load_after": run["load_average_after"],
    }


def git_commit(checkout: Path) -> str | None:
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True, text=True
    )
    return found.stdout.strip() or None


def measure(checkout: Path, stages: tuple[str, ...], commit: str | None) -> dict:
    per_stage = {stage: run_stage(checkout, stage) for stage in stages}
    return {
        "commit": commit or git_commit(checkout),
        "stages": per_stage,
        "total_cpu_s": round(sum(s["cpu_s"] for s in per_stage.values()), 2),
        "total_wall_s": round(sum(s["wall_s"] for s in per_stage.values()), 2),
    }


def telco_copy(checkout: Path, work: Path, csv: Path) -> Path:
    """The checkout's tracked files (no outputs) in ``work``, with params.yaml reading ``csv``."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=checkout, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name in listed:
        if name.startswith(("metrics/", "plots/", "reports/")) or name == "dvc.lock":
            continue
        if (checkout / name).is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(checkout / name, work / name)
    params = yaml.safe_load((work / "params.yaml").read_text())
    for key, value in {**TELCO_KEYS, "path": str(csv)}.items():
        set_key(params, f"data.{key}", value)
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return work


def measure_telco(checkout: Path, csv: Path, commit: str | None) -> dict | None:
    if not csv.exists():
        print(f"{csv} is absent: the Telco run is skipped")
        return None
    with tempfile.TemporaryDirectory(prefix="bench_repro_telco_") as tmp:
        work = telco_copy(checkout, Path(tmp), csv)
        per_stage = {}
        for stage in STAGES:
            os.environ["PYTHONPATH"] = str(checkout / "src")
            run = timed([stage], work)
            per_stage[stage] = {
                "wall_s": run["seconds"],
                "cpu_s": round(run["user_cpu_seconds"] + run["system_cpu_seconds"], 2),
                "load_before": run["load_average_before"],
            }
    return {
        "commit": commit or git_commit(checkout),
        "csv": csv.name,
        "stages": per_stage,
        "total_cpu_s": round(sum(s["cpu_s"] for s in per_stage.values()), 2),
        "total_wall_s": round(sum(s["wall_s"] for s in per_stage.values()), 2),
        "target_s": TELCO_TARGET_S,
    }


def dvc_repro(checkout: Path, targets: list[str]) -> dict:
    """``dvc repro -f`` (``-s`` with targets) in ``checkout``: wall and CPU seconds, load."""
    os.environ["PYTHONPATH"] = str(checkout / "src")
    command = ["dvc", "repro", "-f", *(["-s", *targets] if targets else [])]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=checkout, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed in {checkout}")
    return {
        "command": " ".join(command),
        "wall_s": round(time.perf_counter() - started, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),  # DVC and its stage subprocesses
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def measure_dvc(checkout: Path, commit: str | None) -> dict:
    churn = dvc_repro(checkout, list(STAGES))
    return {
        "commit": commit or git_commit(checkout),
        "churn_stages": churn,
        "churn_target_wall_s": TARGET_CPU_SECONDS,
        "all_stages": dvc_repro(checkout, []),
        # What the uplift stage adds to the default `dvc repro` (issue 17: at most 60 s).
        "uplift_stage": dvc_repro(checkout, ["uplift"]),
        "uplift_target_wall_s": UPLIFT_TARGET_S,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=REPO, help="an up-to-date checkout")
    parser.add_argument("--label", default="after", help="name of this run in the results")
    parser.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--commit", help="the checkout's commit, for a copy without git")
    parser.add_argument("--telco", action="store_true", help="also run the Telco CSV")
    parser.add_argument("--telco-only", action="store_true", help="only the Telco CSV run")
    parser.add_argument("--telco-csv", type=Path, default=TELCO)
    parser.add_argument("--dvc", action="store_true", help="also time `dvc repro -f` itself")
    args = parser.parse_args(argv)
    checkout = args.checkout.resolve()
    run = None if args.telco_only else measure(checkout, args.stages, args.commit)
    repro = measure_dvc(checkout, args.commit) if args.dvc else None
    telco = None
    if args.telco or args.telco_only:
        telco = measure_telco(checkout, args.telco_csv, args.commit)
    # Read after measuring: a run of another checkout may have written its label meanwhile.
    results = json.loads(args.output.read_text()) if args.output.exists() else {}
    if run is not None:
        results.setdefault("runs", {})[args.label] = run
    if telco is not None:
        results.setdefault("telco", {})[args.label] = telco
    if repro is not None:
        results.setdefault("dvc", {})[args.label] = repro
    results |= {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "method": "user + sys CPU seconds of each `churnlab <stage>` subprocess (os.wait4)",
        "note": "wall seconds depend on the load of the shared machine; CPU seconds much less",
        "target_total_s": TARGET_CPU_SECONDS,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps({"run": run, "telco": telco, "dvc": repro}, indent=2))


if __name__ == "__main__":
    main()
