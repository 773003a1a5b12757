"""The leaderboard's selection rule, and applying its choice to ``params.yaml``.

Rule (declared in params ``leaderboard``): the candidate with the best mean cross-validated
``primary_metric`` wins; every candidate within ``tie_tolerance`` of that mean is tied with it,
and a tie goes to the simplest model (the registry's ``complexity`` order: rules, logreg,
svm_linear, tree, svm_rbf, mlp, forest, lightgbm, xgboost, catboost). The reason is written
down with the numbers that decided it.
``primary_metric: empc`` chooses by the profit-based EMPC (:mod:`churnlab.evaluation.profit`).

``churnlab select --apply`` writes the choice into ``params.yaml`` the way ``dvc exp apply``
would (``train.model`` and, when a search ran on that model, its best hyper-parameters), by
editing only those lines so comments and order stay; ``--check`` fails when ``params.yaml``
disagrees with the committed leaderboard.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from churnlab import io
from churnlab.config.params import LeaderboardParams, parse_params
from churnlab.errors import UserError
from churnlab.modeling.registry import REGISTRY


def select(summaries: dict[str, dict], lb: LeaderboardParams) -> dict:
    """The selected model and why, from each model's CV summary (``cv.summarize``)."""
    metric = lb.primary_metric
    stale = sorted(name for name, s in summaries.items() if metric not in s)
    if stale:  # e.g. `empc`, scored by cv runs since issue 18 only
        raise UserError(
            f"leaderboard.primary_metric is {metric} but metrics/cv/{stale[0]}.json has no "
            f"{metric}; re-run `dvc repro studies/dvc.yaml`"
        )
    means = {name: s[metric]["mean"] for name, s in summaries.items()}
    best = max(means, key=lambda name: (means[name], -REGISTRY[name].complexity))
    tied = [name for name, value in means.items() if means[best] - value <= lb.tie_tolerance]
    chosen = min(tied, key=lambda name: REGISTRY[name].complexity)
    s = summaries[chosen][metric]
    if chosen == best:
        reason = f"{chosen} has the best mean CV {metric} ({s['mean']:.4f} ± {s['std']:.4f})" + (
            f"; tied within {lb.tie_tolerance} with no simpler model"
            if len(tied) > 1
            else f", more than {lb.tie_tolerance} ahead of every other candidate"
        )
    else:
        reason = (
            f"{chosen} ({s['mean']:.4f} ± {s['std']:.4f}) is within {lb.tie_tolerance} of the "
            f"best mean CV {metric}, {best} ({means[best]:.4f}), and simpler, so the tie goes "
            "to it"
        )
    return {
        "model": chosen,
        "best_by_metric": best,
        "tied": sorted(tied, key=lambda name: REGISTRY[name].complexity),
        "reason": reason,
    }


def leaderboard(summaries: dict[str, dict], lb: LeaderboardParams, meta: dict) -> dict:
    """``metrics/leaderboard.json``: every candidate's mean ± std, the rule and the choice."""
    ranked = sorted(summaries, key=lambda n: -summaries[n][lb.primary_metric]["mean"])
    return {
        "models": {name: {**summaries[name], "rank": i + 1} for i, name in enumerate(ranked)},
        "rule": {
            "primary_metric": lb.primary_metric,
            "tie_tolerance": lb.tie_tolerance,
            "simplicity_order": sorted(REGISTRY, key=lambda n: REGISTRY[n].complexity),
        },
        "selected": select(summaries, lb),
        **meta,
    }


# --- applying the choice to params.yaml -----------------------------------------------------


def _scalar(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("\n...").strip()


def set_yaml_value(text: str, path: list[str], value) -> str:
    """Set one scalar in block-style YAML text, keeping every other line as it is."""
    lines = text.splitlines(keepends=True)

    def content(line: str) -> bool:
        return bool(line.strip()) and not line.lstrip().startswith("#")

    start, end = 0, len(lines)
    for depth, key in enumerate(path):
        pattern = re.compile(rf"^( *){re.escape(key)}:(\s|$)")
        first = next((lines[i] for i in range(start, end) if content(lines[i])), "")
        level = len(first) - len(first.lstrip(" "))  # keys of this mapping sit exactly here
        for i in range(start, end):
            match = pattern.match(lines[i])
            if match and len(match.group(1)) == level:
                if depth == len(path) - 1:
                    comment = re.search(r"\s+#.*$", lines[i].rstrip("\n"))
                    tail = comment.group(0) if comment else ""
                    lines[i] = f"{match.group(1)}{key}: {_scalar(value)}{tail}\n"
                    return "".join(lines)
                indent = len(match.group(1))
                start = i + 1
                end = next(
                    (
                        j
                        for j in range(start, end)
                        if content(lines[j]) and len(lines[j]) - len(lines[j].lstrip(" ")) <= indent
                    ),
                    end,
                )
                break
        else:
            raise UserError(f"params.yaml: cannot find {'.'.join(path[: depth + 1])} to set")
    raise AssertionError("unreachable")


def applied_changes(board: dict, search: dict | None) -> dict[str, object]:
    """The params the choice sets: ``train.model``, plus searched values for that model."""
    model = board["selected"]["model"]
    changes: dict[str, object] = {"train.model": model}
    if search and search.get("model") == model:
        for key, value in sorted(search.get("best_params", {}).items()):
            changes[f"train.{model}.{key}"] = value
    return changes


def apply(params_path: Path, board_path: Path, search_path: Path) -> dict[str, object]:
    board = io.read_json(board_path)
    search = io.read_json(search_path) if search_path.exists() else None
    changes = applied_changes(board, search)
    text = params_path.read_text(encoding="utf-8")
    for dotted, value in changes.items():
        text = set_yaml_value(text, dotted.split("."), value)
    parse_params(yaml.safe_load(text), str(params_path))  # never write an invalid file
    io.write_text(text, params_path)
    return changes


def check(params_path: Path, board_path: Path) -> str | None:
    """None when params.yaml's ``train.model`` is the leaderboard's choice, else why not."""
    chosen = io.read_json(board_path)["selected"]["model"]
    raw = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    current = parse_params(raw, str(params_path)).train.model
    if current != chosen:
        return (
            f"{params_path}: train.model is {current!r} but {board_path} selected {chosen!r}; "
            "run `churnlab select --apply` (or re-run the leaderboard)"
        )
    return None
