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
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
from pathlib import Path

from bench_featurize import timed

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "benchmarks" / "results" / "quality" / "repro_cpu.json"
# The churn stages of the default pipeline (survival and uplift are measured elsewhere).
STAGES = ("prepare", "split", "featurize", "train", "baselines", "evaluate")
TARGET_CPU_SECONDS = 60.0


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=REPO, help="an up-to-date checkout")
    parser.add_argument("--label", default="after", help="name of this run in the results")
    parser.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--commit", help="the checkout's commit, for a copy without git")
    args = parser.parse_args(argv)
    run = measure(args.checkout.resolve(), args.stages, args.commit)
    # Read after measuring: a run of another checkout may have written its label meanwhile.
    results = json.loads(args.output.read_text()) if args.output.exists() else {}
    results.setdefault("runs", {})[args.label] = run
    results |= {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "method": "user + sys CPU seconds of each `churnlab <stage>` subprocess (os.wait4)",
        "note": "wall seconds depend on the load of the shared machine; CPU seconds much less",
        "target_total_s": TARGET_CPU_SECONDS,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(results["runs"][args.label], indent=2))


if __name__ == "__main__":
    main()
