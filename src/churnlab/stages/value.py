"""Stage value (``studies/dvc.yaml``): the BTYD check of the customer-value models.

Simulates purchase logs from the known parameters of ``value.simulation``, fits BG/NBD and
Gamma-Gamma (:mod:`churnlab.value.check`) and writes ``metrics/value.json``. It reads no other
stage's output, and is kept off the default ``dvc repro`` because its MCMC takes minutes:
run it with ``dvc repro studies/dvc.yaml:value``.
"""

from __future__ import annotations

import logging

from churnlab import io
from churnlab.config import paths
from churnlab.config.params import Params
from churnlab.value.check import run_check

log = logging.getLogger(__name__)


def main(params: Params) -> None:
    result = run_check(params.value)
    io.write_json(result, paths.METRICS / "value.json")
    purchases = result["holdout_purchases"]
    log.info(
        "BTYD check: parameters recovered %s; holdout purchases %.0f predicted vs %.0f (%+.1f %%)",
        result["all_parameters_recovered"],
        purchases["predicted"],
        purchases["actual"],
        100 * purchases["relative_error"],
    )
