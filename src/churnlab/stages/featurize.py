"""Stage featurize: fit the featurizer on train only, transform every split.

Writes the fitted featurizer (``models/featurizer.skops``), the feature matrices with their
names and labels (``data/features/<split>.parquet``), ``metrics/featurize.json`` (feature
counts, dropped sparse columns and train rows) and ``reports/feature_selection.md``. Train
rows missing more than ``featurize.missing.max_row_missing_share`` of their columns are left
out of the fit and of the train matrix; valid and test rows are never dropped (every customer
gets a score). With ``engine.name: spark`` the featurizer is fitted on the driver and applied
on the executors (:mod:`churnlab.engine.featurize`).
"""

from __future__ import annotations

from churnlab import io, package
from churnlab.config import paths
from churnlab.config.params import Params
from churnlab.features.fit import featurize, read_splits
from churnlab.features.report import selection_markdown


def main(params: Params) -> None:
    if params.engine.name == "spark":
        from churnlab.engine import featurize as on_spark

        done = on_spark.run(params)
    else:
        parts, schema = read_splits()
        done = featurize(parts, params.featurize, params.data.snapshot_date, schema)
        for name, matrix in done.matrices.items():
            io.write_table(matrix, paths.FEATURES / f"{name}.parquet")
    package.save(done.featurizer, paths.FEATURIZER)
    io.write_json(done.report, paths.METRICS / "featurize.json")
    markdown = selection_markdown(done.featurizer, params.featurize)
    io.write_text(markdown, paths.REPORTS / "feature_selection.md")
