"""Progress bars for work that can take more than a few seconds (training folds, model
selection, the search, batch scoring): drawn on a terminal, silent when stderr is not one
(CI, cron and DVC logs), through tqdm's ``disable=None``."""

from __future__ import annotations

from tqdm import tqdm


def bar(iterable=None, *, desc: str, total: int | None = None, unit: str = "it") -> tqdm:
    """A tqdm bar over ``iterable`` (or updated by hand) that only a terminal shows."""
    return tqdm(iterable, desc=desc, total=total, unit=unit, disable=None, leave=False)
