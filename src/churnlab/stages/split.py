"""Stage split: prepared customers → ``data/split/{train,valid,test}.parquet``.

With ``engine.name: spark`` the same split runs on Spark (:mod:`churnlab.engine.split`).
"""

from __future__ import annotations

import logging

from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.data.splitting import split_customers

log = logging.getLogger(__name__)


def main(params: Params) -> None:
    if params.engine.name == "spark":
        from churnlab.engine import split

        split.run(params)
        return
    customers = io.read_table(paths.PREPARED)
    parts = split_customers(customers, params.split, TARGET)
    for name, frame in parts.items():
        io.write_table(frame, paths.SPLIT / f"{name}.parquet")
        log.info("%s: %d customers, label rate %.3f", name, len(frame), frame[TARGET].mean())
