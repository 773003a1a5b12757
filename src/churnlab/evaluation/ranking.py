"""Choosing between runs: the selection metric and the ranking that uses it.

Runs (a pull request's head against its base, the experiments of a sweep) are ranked by a
validation metric, ``metrics/train.json:valid.roc_auc``: the ROC-AUC of the calibrated model on
the validation split. The test split is scored once per run and shown beside it, never used
to choose: picking the run with the best test score makes that score an optimistic estimate
of the chosen model (the test set has become a selection set). Boosted models stop early on
the validation split, which makes their validation score slightly optimistic too, equally for
every run of one model; to choose between model families use the cross-validated leaderboard
(``studies/dvc.yaml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SELECTION_FILE = "metrics/train.json"
SELECTION_KEY = "valid.roc_auc"
# How `dvc exp show --sort-by` spells it.
SELECTION_METRIC = f"{SELECTION_FILE}:{SELECTION_KEY}"
SELECTION_LABEL = "validation ROC-AUC"
TEST_FILE = "metrics/evaluate.json"
TEST_KEY = "roc_auc"


@dataclass(frozen=True)
class RankedRun:
    """One run in selection order; ``test`` is shown, never used to order."""

    name: str
    selection: float | None
    test: float | None
    rank: int | None  # None: the run has no selection metric and cannot be chosen


def number(value) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok else None


def rank_runs(runs: Mapping[str, Mapping[str, object]]) -> list[RankedRun]:
    """Runs (name → flattened ``{"file:key": value}``) best first by the selection metric.

    Ties keep the input order; runs without the selection metric come last, unranked.
    """
    scored = [
        (
            name,
            number(values.get(SELECTION_METRIC)),
            number(values.get(f"{TEST_FILE}:{TEST_KEY}")),
        )
        for name, values in runs.items()
    ]
    ranked = sorted((row for row in scored if row[1] is not None), key=lambda row: -row[1])
    out = [RankedRun(name, sel, test, i) for i, (name, sel, test) in enumerate(ranked, start=1)]
    return out + [RankedRun(name, None, test, None) for name, sel, test in scored if sel is None]


def verdict(old: float | None, new: float | None) -> str:
    """Which side the selection metric prefers, in words."""
    if old is None or new is None:
        missing = "base" if old is None else "head"
        return f"not comparable: the {missing} has no `{SELECTION_METRIC}`"
    if new > old:
        return f"head is better on {SELECTION_LABEL} ({old:.4f} → {new:.4f}, {new - old:+.4f})"
    if new < old:
        return f"head is worse on {SELECTION_LABEL} ({old:.4f} → {new:.4f}, {new - old:+.4f})"
    return f"no change in {SELECTION_LABEL} ({new:.4f})"
