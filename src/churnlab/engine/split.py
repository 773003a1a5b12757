"""The stratified split on Spark: the Spark SQL translation of
:func:`churnlab.data.splitting.split_hash` and :func:`~churnlab.data.splitting.assign_parts`.

The rank of ``sha256("<seed>:<key>")`` (its first 60 bits) within each class decides the part;
the per-class counts are collected (two numbers) and the bounds computed by the same Python
function as locally, so both engines give the same customers in each part whatever the
partitioning (``tests/test_spark_split.py``).
"""

from __future__ import annotations

import logging

from churnlab.config import paths
from churnlab.config.columns import CUSTOMER_KEY, TARGET
from churnlab.config.params import Params, SplitParams
from churnlab.data.splitting import HASH_HEX, PARTS, check_stratifiable, class_bounds
from churnlab.engine import tables
from churnlab.engine.session import spark_session
from churnlab.errors import UserError

log = logging.getLogger(__name__)


def hash_column(seed: int):
    """The Spark column equal to ``split_hash`` of the customer key."""
    from pyspark.sql import functions as F

    text = F.concat(F.lit(f"{seed}:"), F.col(CUSTOMER_KEY).cast("string"))
    return F.conv(F.substring(F.sha2(text, 256), 1, HASH_HEX), 16, 10).cast("long")


def assign_parts(frame, p: SplitParams, target: str):
    """``frame`` with a ``_part`` column (train / valid / test)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if p.method != "stratified":
        raise UserError("split.method time runs on the local engine only (set engine.name: local)")
    if target not in frame.columns:
        raise UserError(f"the prepared table has no target column {target!r}")
    rows = frame.groupBy(target).count().collect()
    counts = {row[target]: int(row["count"]) for row in sorted(rows, key=lambda r: r[target])}
    check_stratifiable(counts, target)
    bounds = class_bounds(counts, p)
    order = Window.partitionBy(target).orderBy("_h", F.col(CUSTOMER_KEY).cast("string"))
    ranked = frame.withColumn("_h", hash_column(p.seed)).withColumn(
        "_pos", F.row_number().over(order) - 1
    )
    first = F.lit(None).cast("long")
    second = F.lit(None).cast("long")
    for label, (n_train, n_train_valid) in bounds.items():
        first = F.when(F.col(target) == label, n_train).otherwise(first)
        second = F.when(F.col(target) == label, n_train_valid).otherwise(second)
    part = (
        F.when(F.col("_pos") < first, "train")
        .when(F.col("_pos") < second, "valid")
        .otherwise("test")
    )
    return ranked.withColumn("_part", part).drop("_h", "_pos")


def split_tables(assigned) -> dict:
    """Part name → Spark DataFrame of a frame with ``_part`` (cache it first: the three parts
    filter the same ranking; unpersist it after writing, or a later read of the same path in
    this session would reuse the cached rows)."""
    return {name: assigned.filter(assigned["_part"] == name).drop("_part") for name in PARTS}


def run(params: Params) -> None:
    """The split stage on Spark."""
    sp = params.engine.spark
    spark = spark_session(sp)
    # The local prepare writes the repository; prepare on Spark, where the storage says (its
    # run removes a table an earlier run left in the repository).
    local = paths.PREPARED.exists()
    where = str(paths.PREPARED.resolve()) if local else tables.location(sp, paths.PREPARED)
    customers = tables.read(spark, where)
    assigned = assign_parts(customers, params.split, TARGET).cache()
    for name, part in split_tables(assigned).items():
        tables.write_stage_table(spark, sp, part, paths.SPLIT / f"{name}.parquet")
        log.info("%s: written with Spark", name)
    assigned.unpersist()
