"""The docs' screenshot of the HTML report, from a real run of ``churnlab predict`` on Telco.

A new user's path on the real Telco table (``../shared/data/telco_customer_churn.csv``): the
committed ``params.yaml`` with the README's data keys, the stages prepare → split → featurize
→ train run in a temporary directory (the data is never copied into the repository), then
``churnlab predict`` on the very file. Headless Chromium (Debian's ``chromium``) renders the
report it wrote to ``docs/img/report.png``, and the figures of the run (counts, the first
customer of the call list, the commonest strongest reasons) go to
``benchmarks/results/telco_report.json``, which ``docs/report.md`` quotes.

    python benchmarks/telco_report.py            # about a minute on two cores
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from bench_telco_scoring import REAL_DATA, cli, trained_on_telco

ROOT = Path(__file__).resolve().parents[1]
SHOT = ROOT / "docs" / "img" / "report.png"
OUT = ROOT / "benchmarks" / "results" / "telco_report.json"
WINDOW = "1100,1400"  # desktop width; the top of the page: headline, call list


def screenshot(page: Path, target: Path, profile: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--disable-background-networking",
        "--no-first-run",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW}",
        f"--screenshot={target}",
        page.as_uri(),
    ]
    subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)


def figures(counts: dict, folder: Path) -> dict:
    """What the docs quote of the run: counts and the call list in words."""
    calls = pd.read_csv(folder / "call_list.csv", dtype={"customerID": str})
    strongest = calls["reason_1"].str.split(": ").str[0].value_counts()
    first = calls.iloc[0]
    return {
        "data": REAL_DATA.name,
        "predict": counts,
        "first_call": {
            "reasons": "; ".join(first[f"reason_{i}"] for i in (1, 2, 3) if first[f"reason_{i}"]),
            "suggested_action": first["suggested_action"],
        },
        "strongest_reason_columns": {k: int(v) for k, v in strongest.head(3).items()},
        "expected_churners_called": round(float(calls["churn_probability"].sum()), 1),
        "params": "params.yaml as committed, with the README's data keys",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUT)
    parser.add_argument("--screenshot", type=Path, default=SHOT)
    args = parser.parse_args()
    with trained_on_telco("telco-report-screenshot") as root:
        code, printed = cli("predict", str(REAL_DATA), "--output", "week")
        if code != 0:
            raise SystemExit(f"churnlab predict exited with {code}")
        result = figures(json.loads(printed), root / "week")
        screenshot(root / "week" / "report.html", args.screenshot, root / "profile")
    args.output.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
