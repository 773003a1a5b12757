"""A seeded, stratified sample of a Spark table that does not depend on its partitioning.

Used where the driver reads at most so many rows of a large table: the train rows of training
on the driver (:mod:`churnlab.engine.driver`) and the rows a user table's schema is inferred
from (:mod:`churnlab.engine.user_prepare`).
"""

from __future__ import annotations

from churnlab.config.columns import TARGET


def stratified_rows(frame, n_rows: int, seed: int, target: str = TARGET):
    """At most ``n_rows`` rows of ``frame``, the share of each class kept, ranked by a seeded
    64-bit hash of every value of the row (ties by the row's values)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    columns = list(frame.columns)
    total = frame.count()
    share = n_rows / total
    counts = frame.groupBy(target).count().withColumn("_take", F.floor(F.col("count") * share))
    order = Window.partitionBy(target).orderBy("_h", *columns)
    ranked = frame.withColumn("_h", F.xxhash64(F.lit(seed), *columns))
    ranked = ranked.withColumn("_pos", F.row_number().over(order))
    taken = ranked.join(counts.select(target, "_take"), on=target)
    return taken.filter(F.col("_pos") <= F.col("_take")).orderBy("_h", *columns).select(*columns)
