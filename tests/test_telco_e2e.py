"""The README's real-data command on the Telco churn CSV, through real ``dvc exp run``.

Skips where ``../shared/data/telco_customer_churn.csv`` (beside the repository) is absent.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import REAL_DATA
from test_e2e import run, tracked_files

REPO = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not REAL_DATA.exists(), reason=f"{REAL_DATA} is absent"),
]


def test_telco_runs_end_to_end_with_only_data_keys(tmp_path):
    root = tmp_path / "repo"
    for name in tracked_files():
        if name.startswith(("metrics/", "plots/")) or name == "dvc.lock":
            continue
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    run(["git", "init", "-q", "-b", "main"], root)
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-qm", "copy"], root)
    run(
        [
            "dvc", "exp", "run",
            "-S", "data.source=csv",
            "-S", f"data.path={REAL_DATA}",
            "-S", "data.target=Churn",
            "-S", "data.positive=Yes",
            "-S", "data.id=customerID",
        ],
        root,
    )  # fmt: skip
    result = json.loads((root / "metrics/evaluate.json").read_text())
    quality = json.loads((root / "metrics/data_quality.json").read_text())
    assert quality["rows_out"] == 7043
    assert quality["class_counts"] == {"0": 5174, "1": 1869}
    assert quality["missing_share"]["TotalCharges"] == pytest.approx(11 / 7043, abs=1e-6)
    assert "oracle_roc_auc" not in result
    # The keyed split (issue 16: the rank of a seeded hash of the customer key within each class)
    # gives 0.8811 with the default seed and the public demo salt (the key includes the salt);
    # the split before it gave 0.8385. One split is one draw: over 50 split seeds the mean was
    # 0.8485 (benchmarks/bench_telco_splits.py, before the keyed split). Another figure here
    # means the pipeline's behaviour on Telco changed.
    assert result["roc_auc"] == pytest.approx(0.8811, abs=0.005)
    assert result["n"] == 1057
    raw_ids = REAL_DATA.read_text().splitlines()[1].split(",")[0]
    for folder in ("data/split", "data/features", "models", "metrics"):
        for file in (root / folder).rglob("*"):
            if file.is_file():
                assert raw_ids.encode() not in file.read_bytes(), file
