"""Stage search: hyper-parameter search for ``search.model`` (see :mod:`churnlab.modeling.tuning`).

Writes ``metrics/search.json`` (budget, best value and parameters, every trial) and the
optimisation history ``plots/studies/search_history.{csv,png}``.
"""

from __future__ import annotations

import logging

from churnlab import io
from churnlab.config import paths
from churnlab.config.params import Params
from churnlab.evaluation import plots
from churnlab.modeling import tuning as search
from churnlab.modeling.inputs import study_data

log = logging.getLogger(__name__)


def main(params: Params) -> None:
    s = params.search
    study = search.run(params, study_data(params, s.model))
    result = search.summary(params, study)
    io.write_json(result, paths.SEARCH)
    frame = plots.history_frame(result["trials"])
    io.write_csv(frame, paths.STUDY_PLOTS / "search_history.csv")
    title = f"Optimisation history: {s.model}, {s.method} ({result['n_pruned']} pruned)"
    plots.history_png(frame, result["metric"], title, paths.STUDY_PLOTS / "search_history.png")
    log.info("best %s %.4f with %s", result["metric"], result["best_value"], result["best_params"])
