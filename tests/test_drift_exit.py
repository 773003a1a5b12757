"""`churnlab drift` on a broken reference file exits 2 (a user error), never 1 (the alert):
issue 15, item 13 (test_monitor.py covers broken current files, 0 and 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab.cli.main import main
from test_monitor import months  # noqa: F401  (the module-scoped fixture)


@pytest.mark.e2e
def test_a_broken_reference_exits_2_without_a_traceback(trained_run, months, capsys):  # noqa: F811
    root, paths = months
    reference = pd.read_parquet(paths["reference"])
    reference.head(0).to_parquet(root / "empty_ref.parquet")
    reference.assign(monthly_fee=np.nan).to_parquet(root / "null_ref.parquet")
    for name, message in [
        ("empty_ref.parquet", "has no data rows"),
        ("null_ref.parquet", "column 'monthly_fee' has no values"),
    ]:
        with pytest.raises(SystemExit) as done:
            main(
                [
                    *("--params", str(root / "params.yaml"), "drift"),
                    *("--reference", str(root / name), "--current", paths["same"]),
                    *("--models", str(trained_run / "models")),
                    *("--output", str(root / "drift-ref")),
                ]
            )
        err = capsys.readouterr().err
        assert done.value.code == 2, err
        assert message in err and name in err and "Traceback" not in err
