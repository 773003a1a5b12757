"""Time ``churnlab report --base <rev>`` on the repository as it is (default pipeline outputs).

Runs the real command (a fresh process each time, so imports are included) a few times and
writes ``benchmarks/results/report.json`` with the median and the machine load beside it:
other sessions share the cores, so the figures are only comparable with that load in mind.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    churnlab = Path(sys.executable).parent / "churnlab"
    load_before = os.getloadavg()
    seconds = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.md"
        for _ in range(args.repeats):
            start = time.perf_counter()
            cmd = [str(churnlab), "report", "--base", args.base, "--output", str(out)]
            subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
            seconds.append(time.perf_counter() - start)
        lines = len(out.read_text().splitlines())
    result = {
        "command": f"churnlab report --base {args.base}",
        "seconds": [round(s, 3) for s in seconds],
        "median_seconds": round(statistics.median(seconds), 3),
        "target_seconds": 15,
        "report_lines": lines,
        "load_average_1_5_15_before": [round(x, 2) for x in load_before],
        "load_average_1_5_15_after": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(),
    }
    target = ROOT / "benchmarks/results/report.json"
    target.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
