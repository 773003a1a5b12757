"""The Spark side of the stages: what ``churnlab split|featurize|evaluate`` do with
``engine.name: spark`` (the stage modules dispatch here and stay thin).

Each function opens the stage's one session, reads its input tables where
``engine.spark.storage`` says, and writes its outputs sorted by customer key, so that the local
stages that follow read the same rows in the same order as on the local engine.
"""

from __future__ import annotations

import logging

from churnlab.config import paths
from churnlab.config.columns import CUSTOMER_KEY, TARGET
from churnlab.config.params import Params
from churnlab.engine import tables
from churnlab.engine.session import spark_session

log = logging.getLogger(__name__)


def split(params: Params) -> None:
    from churnlab.engine.split import split_tables

    sp = params.engine.spark
    spark = spark_session(sp)
    customers = tables.read(spark, tables.location(sp, paths.PREPARED))
    for name, part in split_tables(customers, params.split, TARGET).items():
        tables.write_sorted(part, tables.location(sp, paths.SPLIT / f"{name}.parquet"), CUSTOMER_KEY)
        log.info("%s: written with Spark", name)
