"""Stage split: prepared customers → ``data/split/{train,valid,test}.parquet``."""

from __future__ import annotations

import logging

from churnlab import io, paths
from churnlab.params import Params
from churnlab.snapshot import TARGET
from churnlab.splitting import split_customers

log = logging.getLogger(__name__)


def main(params: Params) -> None:
    customers = io.read_table(paths.PREPARED)
    parts = split_customers(customers, params.split, TARGET)
    for name, frame in parts.items():
        io.write_table(frame, paths.SPLIT / f"{name}.parquet")
        log.info("%s: %d customers, label rate %.3f", name, len(frame), frame[TARGET].mean())
