"""Stage leaderboard: gather every candidate's CV results and apply the selection rule.

Reads ``metrics/cv/<model>.json`` for each model of ``leaderboard.models`` and writes
``metrics/leaderboard.json`` (mean ± std per metric, rank, the rule and the selected model with
its reason) and ``plots/studies/leaderboard.{csv,png}``.
"""

from __future__ import annotations

import logging

from churnlab import io
from churnlab.config import paths
from churnlab.config.params import Params
from churnlab.errors import UserError
from churnlab.evaluation import plots
from churnlab.modeling import selection
from churnlab.modeling.crossval import METRICS

log = logging.getLogger(__name__)


def main(params: Params) -> None:
    lb = params.leaderboard
    summaries, schemes = {}, set()
    for model in lb.models:
        path = paths.CV_METRICS / f"{model}.json"
        if not path.exists():
            raise UserError(f"{path} is missing: run `dvc repro studies/dvc.yaml` (cv@{model})")
        result = io.read_json(path)
        summaries[model] = {metric: result[metric] for metric in METRICS}
        schemes.add(result["scheme"])
        summaries[model]["folds"] = len(result["folds"])
    if len({s["folds"] for s in summaries.values()}) > 1 or len(schemes) > 1:
        raise UserError("metrics/cv: candidates were scored on different folds; re-run them")
    meta = {"scheme": schemes.pop(), "folds": next(iter(summaries.values()))["folds"]}
    board = selection.leaderboard(
        {m: {k: v for k, v in s.items() if k != "folds"} for m, s in summaries.items()}, lb, meta
    )
    io.write_json(board, paths.LEADERBOARD)
    frame = plots.leaderboard_frame(board)
    io.write_csv(frame, paths.STUDY_PLOTS / "leaderboard.csv")
    chosen = board["selected"]["model"]
    plots.leaderboard_png(frame, lb.primary_metric, chosen, paths.STUDY_PLOTS / "leaderboard.png")
    log.info("selected %s: %s", chosen, board["selected"]["reason"])
