"""Engine: running the stages on Apache Spark instead of one machine (issue 16).

``session`` starts the one SparkSession a stage uses (``engine.spark`` params) and turns a
missing pyspark, a missing Java or an unreachable master into one clear line; ``tables`` reads
and writes Parquet tables where ``engine.spark.storage`` says. The stage logic on Spark lives
beside it: the keyed split (``split``), the featurizer fitted on the driver and applied with
``mapInPandas`` (``featurize``), scoring with a broadcast pipeline (``score``) and distributed
XGBoost (``distributed``). Each is a Spark translation of a local pure function and is proven
equal to it by the ``tests/test_spark_*.py`` parity tests. Only stages and the CLI import this
package; pyspark is imported inside functions so that the local engine never needs it.
"""
