"""Whether the study outputs in ``metrics/`` were built from the data the pipeline uses now.

The studies (``studies/dvc.yaml``: ablation, cross-validated leaderboard, search) are run by
hand and their outputs are committed; after the main pipeline is run on other data (a user's
table instead of the synthetic demo) they still show the old results. DVC records the hash of
the data every stage read: ``studies/dvc.lock`` holds the ``data/split`` the studies trained
and tested on, ``dvc.lock`` the ``data/split`` the pipeline produced last. A study whose
recorded hash differs is *stale*; one that never ran is *not run*.
"""

from __future__ import annotations

from pathlib import Path

import yaml

# The data every study reads, and the lock-file stages whose record of it decides.
DATA = "data/split"
STUDIES = {
    "metrics/ablation.json": "ablation@",
    "metrics/leaderboard.json": "cv@",
    "metrics/search.json": "search",
}
STALE, CURRENT, NOT_RUN = "stale", "current", "not run"


def _stages(lock: Path) -> dict:
    try:
        return (yaml.safe_load(lock.read_text(encoding="utf-8")) or {}).get("stages", {})
    except (OSError, yaml.YAMLError):
        return {}


def _hashes(entries: list[dict]) -> set[str]:
    return {e.get("md5", "") for e in entries or [] if e.get("path") == DATA}


def current_data(root: Path = Path(".")) -> str | None:
    """The hash of the data the pipeline produced last (``split``'s output in ``dvc.lock``)."""
    found = _hashes(_stages(root / "dvc.lock").get("split", {}).get("outs"))
    return next(iter(found), None)


def study_status(root: Path = Path(".")) -> dict[str, str]:
    """``{study output: "current" | "stale" | "not run"}`` for each study output."""
    now = current_data(root)
    stages = _stages(root / "studies/dvc.lock")
    status = {}
    for output, prefix in STUDIES.items():
        recorded = set().union(
            *(_hashes(s.get("deps")) for name, s in stages.items() if name.startswith(prefix))
        )
        if not recorded:
            status[output] = NOT_RUN
        elif now is None or recorded != {now}:
            status[output] = STALE
        else:
            status[output] = CURRENT
    return status


def is_stale(path: str, status: dict[str, str]) -> bool:
    """Whether a metrics file belongs to a stale study (``metrics/cv/*`` to the leaderboard)."""
    key = "metrics/leaderboard.json" if path.startswith("metrics/cv/") else path
    return status.get(key) == STALE


def stale_note(status: dict[str, str]) -> list[str]:
    """Markdown lines warning about stale study outputs (none when every study is current)."""
    stale = [output for output, state in status.items() if state == STALE]
    if not stale:
        return []
    names = ", ".join(f"`{s}`" for s in stale)
    return [
        f"> **Stale studies:** {names} were built from other data than the current pipeline "
        f"(`{DATA}` in `studies/dvc.lock` differs from `dvc.lock`); their figures do not "
        "describe this data. Re-run them with `dvc repro studies/dvc.yaml`.",
        "",
    ]
