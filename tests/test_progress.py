"""Progress bars: every item passes through, and a log (stderr not a terminal) stays clean."""

from __future__ import annotations

import io
import sys

from churnlab import progress


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
