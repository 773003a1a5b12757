"""Time the whole leaderboard (folds + every candidate's cross-validation + the aggregate
stage) on the default data with the real ``dvc repro``.

The default pipeline up to featurize is brought up to date first (not timed); then the study
outputs (``data/studies``, ``metrics/cv``) are removed so DVC re-runs exactly the leaderboard
stages, and ``dvc repro studies/dvc.yaml:leaderboard`` is timed. Per-model fit and predict
seconds (summed over folds) come from ``metrics/cv/<model>.json``.

By default this runs in a throw-away git + DVC copy of the repository (tracked files only);
``--in-place`` runs it in the working tree, which also leaves the leaderboard outputs there.
The machine is shared: the load average before and after is recorded beside the figures, and
they are only comparable with that load in mind. Writes ``benchmarks/results/leaderboard.json``.
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

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 300


def sh(cmd: list[str], cwd: Path) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["DVC_NO_ANALYTICS"] = "1"
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def copy_repo(target: Path) -> Path:
    files = sh(["git", "ls-files"], ROOT).splitlines()
    for name in files:
        if (ROOT / name).exists():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    sh(["git", "init", "-q"], target)
    sh(["git", "add", "-A"], target)
    sh(["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "copy"], target)
    return target


def measure(repo: Path) -> dict:
    sh(["dvc", "repro", "featurize"], repo)  # setup, not timed
    for stale in ("data/studies", "metrics/cv"):
        shutil.rmtree(repo / stale, ignore_errors=True)
    load_before = os.getloadavg()
    start = time.perf_counter()
    out = sh(["dvc", "repro", "studies/dvc.yaml:leaderboard"], repo)
    seconds = time.perf_counter() - start
    load_after = os.getloadavg()
    board = json.loads((repo / "metrics/leaderboard.json").read_text())
    per_model = {}
    for name in board["models"]:
        cv = json.loads((repo / f"metrics/cv/{name}.json").read_text())
        per_model[name] = {
            "fit_seconds_all_folds": round(sum(f["fit_s"] for f in cv["folds"]), 3),
            "predict_seconds_all_folds": round(sum(f["predict_s"] for f in cv["folds"]), 3),
            "roc_auc_mean": cv["roc_auc"]["mean"],
        }
    return {
        "wall_seconds": round(seconds, 3),
        "target_seconds": TARGET_SECONDS,
        "met": seconds <= TARGET_SECONDS,
        "stages_run": sum(line.startswith("Running stage") for line in out.splitlines()),
        "per_model": per_model,
        "selected": board["selected"],
        "folds": board["folds"],
        "load_average_1_5_15_before": [round(x, 2) for x in load_before],
        "load_average_1_5_15_after": [round(x, 2) for x in load_after],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-place", action="store_true", help="run in the working tree")
    args = parser.parse_args()
    if args.in_place:
        result = measure(ROOT)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = measure(copy_repo(Path(tmp) / "repo"))
    result |= {
        "command": "dvc repro studies/dvc.yaml:leaderboard (folds + cv@* + leaderboard)",
        "in_place": args.in_place,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "note": "shared 2-core machine: compare with the load average recorded here",
    }
    target = ROOT / "benchmarks/results/leaderboard.json"
    target.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
