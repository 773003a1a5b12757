"""Progress bars for work that can take more than a few seconds (prepare's steps on a large
file, the boosting rounds of one large fit, training folds, model selection, the search and
batch scoring): drawn on a terminal, silent when stderr is not one (CI, cron and DVC logs),
through tqdm's ``disable=None``."""

from __future__ import annotations

from tqdm import tqdm


def bar(iterable=None, *, desc: str, total: int | None = None, unit: str = "it") -> tqdm:
    """A tqdm bar over ``iterable`` (or updated by hand) that only a terminal shows."""
    return tqdm(iterable, desc=desc, total=total, unit=unit, disable=None, leave=False)


class Steps:
    """A bar over the named steps of one long function (prepare: read, snapshot, convert,
    write), naming the step under way: ``step("read")`` starts a step and ends the one
    before; ``step.done()`` ends the last. The steps are listed up front for the total."""

    def __init__(self, desc: str, names: list[str]) -> None:
        self.names = list(names)
        self.shown = bar(desc=desc, total=len(self.names), unit="step")
        self.current: str | None = None

    def __call__(self, name: str) -> None:
        if name not in self.names:  # a typo would make the total wrong
            raise ValueError(f"unknown step {name!r}; declared: {self.names}")
        if self.current is not None:
            self.shown.update(1)
        self.current = name
        self.shown.set_postfix_str(name)

    def done(self) -> None:
        if self.current is not None:
            self.shown.update(1)
            self.current = None
        self.shown.close()
