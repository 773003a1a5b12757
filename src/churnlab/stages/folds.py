"""Stage folds: give every train customer its cross-validation fold, once for all models.

Writes ``data/studies/folds.json``: the scheme (stratified, or time-ordered when
``split.method`` is ``time``), the fold of each train row and a digest of the customer keys,
so a candidate can check that it is reading folds of the same train split.
"""

from __future__ import annotations

import logging

import numpy as np

from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.modeling.crossval import assign_folds, keys_digest

log = logging.getLogger(__name__)


def main(params: Params) -> None:
    train = io.read_table(paths.SPLIT / "train.parquet")
    time_order = None
    if params.split.method == "time":
        column = params.split.time_column
        time_order = np.argsort(train[column].to_numpy(), kind="stable")
    scheme, fold = assign_folds(
        train[TARGET].to_numpy(), params.cv.folds, params.cv.seed, time_order
    )
    io.write_json(
        {
            "scheme": scheme,
            "folds": params.cv.folds,
            "seed": params.cv.seed,
            "customer_keys_sha256": keys_digest(train["customer_key"]),
            "fold": fold.tolist(),
        },
        paths.FOLDS,
    )
    log.info("%s folds: %s", scheme, np.bincount(fold[fold >= 0]).tolist())
