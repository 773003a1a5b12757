"""Progress bars: every item passes through, and a log (stderr not a terminal) stays clean."""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd
import pytest

from churnlab import progress
from churnlab.data import privacy
from churnlab.modeling.zoo import xgboost as xgboost_zoo
from churnlab.stages import prepare
from conftest import SALT, small_params

real_bar = progress.bar


def test_a_log_gets_no_bar_and_every_item(capsys):
    assert list(progress.bar(range(5), desc="folds")) == [0, 1, 2, 3, 4]
    assert capsys.readouterr().err == ""


def test_a_terminal_gets_the_bar(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    for _ in progress.bar(range(3), desc="model selection", unit="model"):
        pass
    assert "model selection" in terminal.getvalue()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_steps_name_the_step_under_way_and_refuse_an_undeclared_one(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    step = progress.Steps("prepare", ["read", "write"])
    step("read")
    step("write")
    with pytest.raises(ValueError, match="unknown step 'convert'"):
        step("convert")
    step.done()
    shown = terminal.getvalue()
    assert "prepare" in shown and "read" in shown and "write" in shown
    assert step.shown.n == 2


def test_prepare_shows_its_steps_on_a_terminal(tmp_path, monkeypatch):
    """Inside prepare on a user file: read, convert and check, write (issue 14, item 9)."""
    rng = np.random.default_rng(0)
    n = 300
    pd.DataFrame(
        {
            "id": [f"C{i:04d}" for i in range(n)],
            "fee": rng.uniform(10, 100, n).round(2),
            "plan": rng.choice(["a", "b"], n),
            "Churn": rng.choice(["Yes", "No"], n),
        }
    ).to_csv(tmp_path / "in.csv", index=False)
    data = {"source": "csv", "path": str(tmp_path / "in.csv"), "target": "Churn"}
    params = small_params(data={**data, "positive": "Yes", "id": "id"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(privacy.SALT_ENV, SALT.decode())
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    created = []

    class Recorded(progress.Steps):  # tqdm redraws at most every 0.1 s: count, not text
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(progress, "Steps", Recorded)
    prepare.main(params)
    shown = terminal.getvalue()
    for name in ("read", "convert and check", "write"):
        assert name in shown, name
    assert [(s.shown.total, s.shown.n) for s in created] == [(3, 3)]
    assert (tmp_path / "data/prepared/customers.parquet").is_file()


def test_one_large_xgboost_fit_shows_its_rounds(monkeypatch):
    """A bar advanced by a training callback, one step per boosting round; the callback is
    not left on the model that is saved."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(600, 3)), columns=["a", "b", "c"])
    y = (X["a"] + rng.normal(size=600) > 0).astype(int).to_numpy()
    monkeypatch.setattr(xgboost_zoo, "ROUNDS_BAR_ROWS", 400)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    bars = []
    monkeypatch.setattr(progress, "bar", lambda **kw: bars.append(real_bar(**kw)) or bars[-1])
    params = small_params(train={"xgboost": {"n_estimators": 40, "n_jobs": 1}})
    model = xgboost_zoo.fit(xgboost_zoo.make(params.train, y), X[:400], y[:400], X[400:], y[400:])
    assert "xgboost rounds" in terminal.getvalue()
    assert [b.total for b in bars] == [40]
    assert bars[0].n == model.get_booster().num_boosted_rounds()
    assert model.get_params()["callbacks"] is None
    small = Terminal()
    monkeypatch.setattr(sys, "stderr", small)
    xgboost_zoo.fit(xgboost_zoo.make(params.train, y), X[:300], y[:300], X[400:], y[400:])
    assert "xgboost rounds" not in small.getvalue()  # below ROUNDS_BAR_ROWS: no bar
