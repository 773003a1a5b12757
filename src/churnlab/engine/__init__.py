"""Engine: running the stages on Apache Spark instead of one machine (issue 16).

``session`` starts the one SparkSession a stage uses (``engine.spark`` params) and turns a
missing pyspark, a missing Java or an unreachable master into one clear line; ``tables`` reads
and writes Parquet tables where ``engine.spark.storage`` says (with a ``manifest`` in the
repository when that is outside it). One module per stage's Spark side, each with a ``run`` the
stage calls: the synthetic snapshot (``prepare``, from the DuckDB SQL translated by
``dialect``), a user's own data (``user_run``: the readers in ``user_sources``, the
event-log snapshot in ``user_events``, the per-customer table in ``user_prepare`` and its
quality figures in ``user_quality``), the keyed split (``split``), the featurizer fitted on
the driver and applied with ``mapInPandas`` (``featurize``), distributed XGBoost and its refit
on train+valid (``distributed``), the train rows of training on the driver (``driver``, with
the seeded stratified ``sample``), the model's input schema by Spark aggregates
(``input_schema``), scoring of the test split and of ``churnlab score --engine spark``
(``score``), the few columns of the test split the evaluate stage collects (``holdout``) and a
past campaign's balance (``campaign``). Each is a Spark translation of a local
pure function and is proven equal to it by the ``tests/test_spark_*.py`` parity tests. Only the
stages and batch scoring import this package, and pyspark is imported inside functions, so the
local engine never needs it.
"""
