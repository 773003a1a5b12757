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


def class_positions(frame, target: str, seed: int):
    """``(key, target, _pos)``: each customer's rank by ``(hash, key)`` within its class,
    numbered in parallel. The two-column table is range-partitioned on (class, hash, key), each
    partition numbers its rows per class, and a row's rank is that number plus the rows of its
    class in the partitions before (a few counts collected). Ranking with a window over the
    class alone ran as one task per class, one of them holding most of the rows."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark = frame.sparkSession
    n_parts = int(spark.conf.get("spark.sql.shuffle.partitions"))
    key = F.col(CUSTOMER_KEY).cast("string")
    narrow = frame.select(CUSTOMER_KEY, target).withColumn("_h", hash_column(seed))
    ranged = narrow.repartitionByRange(n_parts, target, "_h", key)
    ranged = ranged.withColumn("_pid", F.spark_partition_id())
    within = Window.partitionBy("_pid", target).orderBy("_h", key)
    numbered = ranged.withColumn("_local", F.row_number().over(within) - 1).cache()
    rows = numbered.groupBy("_pid", target).count().collect()
    counts, offsets = {}, []
    for row in sorted(rows, key=lambda r: (r[target], r["_pid"])):
        offsets.append((row["_pid"], row[target], counts.get(row[target], 0)))
        counts[row[target]] = counts.get(row[target], 0) + int(row["count"])
    schema = f"_pid int, {target} {frame.schema[target].dataType.simpleString()}, _off long"
    table = F.broadcast(spark.createDataFrame(offsets, schema))
    ranked = numbered.join(table, on=["_pid", target]).withColumn(
        "_pos", F.col("_local") + F.col("_off")
    )
    return ranked.select(CUSTOMER_KEY, target, "_pos"), dict(sorted(counts.items())), numbered


def assign_parts(frame, p: SplitParams, target: str):
    """``frame`` with a ``_part`` column (train / valid / test)."""
    from pyspark.sql import functions as F

    if p.method != "stratified":
        raise UserError("split.method time runs on the local engine only (set engine.name: local)")
    if target not in frame.columns:
        raise UserError(f"the prepared table has no target column {target!r}")
    positions, counts, numbered = class_positions(frame, target, p.seed)
    check_stratifiable(counts, target)
    bounds = class_bounds(counts, p)
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
    parts = positions.select(CUSTOMER_KEY, part.alias("_part"))
    return frame.join(parts, on=CUSTOMER_KEY), numbered


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
    assigned, numbered = assign_parts(customers, params.split, TARGET)
    assigned = assigned.cache()
    for name, part in split_tables(assigned).items():
        tables.write_stage_table(spark, sp, part, paths.SPLIT / f"{name}.parquet")
        log.info("%s: written with Spark", name)
    assigned.unpersist()
    numbered.unpersist()
