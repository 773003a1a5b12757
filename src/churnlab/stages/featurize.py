"""Stage featurize: fit the featurizer on train only, transform every split.

Writes the fitted featurizer (``models/featurizer.skops``), the feature matrices with their
names and labels (``data/features/<split>.parquet``), ``metrics/featurize.json`` (feature
counts, dropped sparse columns and train rows) and ``reports/feature_selection.md``. Train
rows missing more than ``featurize.missing.max_row_missing_share`` of their columns are left
out of the fit and of the train matrix; valid and test rows are never dropped (every customer
gets a score).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import pandas as pd
from sklearn.pipeline import Pipeline

from churnlab import io, package, paths
from churnlab.features import build_featurizer, column_groups, feature_frame
from churnlab.features.impute import sparse_rows
from churnlab.features.report import selection_markdown, summary
from churnlab.params import FeaturizeParams, Params
from churnlab.snapshot import TARGET

log = logging.getLogger(__name__)


@dataclass
class Featurized:
    featurizer: Pipeline
    matrices: dict[str, pd.DataFrame]  # split name → features (float32) + label column
    report: dict


def read_splits() -> tuple[dict[str, pd.DataFrame], dict | None]:
    parts = {name: io.read_table(paths.SPLIT / f"{name}.parquet") for name in paths.SPLIT_NAMES}
    # The schema prepare inferred (absent in repositories prepared before it existed).
    schema = io.read_json(paths.SCHEMA) if paths.SCHEMA.exists() else None
    return parts, schema


def featurize(
    parts: dict[str, pd.DataFrame], p: FeaturizeParams, snapshot: dt.date, schema: dict | None
) -> Featurized:
    """Fit on the train split (sparse rows left out), transform every split."""
    sparse = sparse_rows(feature_frame(parts["train"]), p.missing)
    if sparse.any():
        log.info("train: leaving out %d rows with too many missing values", int(sparse.sum()))
        parts = {**parts, "train": parts["train"][~sparse.to_numpy()].reset_index(drop=True)}
    train = feature_frame(parts["train"])
    featurizer = build_featurizer(train, p, snapshot, schema)
    # fit_transform, not fit + transform: target encoding is cross-fitted on the train rows.
    matrices = {"train": featurizer.fit_transform(train, parts["train"][TARGET])}
    for name, frame in parts.items():
        matrix = matrices.get(name)
        if matrix is None:
            matrix = featurizer.transform(feature_frame(frame))
        matrix = matrix.astype("float32")
        matrix[TARGET] = frame[TARGET].to_numpy()
        matrices[name] = matrix
        log.info("%s: %d rows x %d features", name, len(matrix), matrix.shape[1] - 1)
    dropped = column_groups(train, p, schema)["dropped"]
    shares = train[dropped].isna().mean().round(6).to_dict() if dropped else {}
    report = summary(featurizer, p, shares, int(sparse.sum()), len(train))
    return Featurized(featurizer, matrices, report)


def main(params: Params) -> None:
    parts, schema = read_splits()
    done = featurize(parts, params.featurize, params.data.snapshot_date, schema)
    for name, matrix in done.matrices.items():
        io.write_table(matrix, paths.FEATURES / f"{name}.parquet")
    package.save(done.featurizer, paths.FEATURIZER)
    io.write_json(done.report, paths.METRICS / "featurize.json")
    markdown = selection_markdown(done.featurizer, params.featurize)
    io.write_text(markdown, paths.REPORTS / "feature_selection.md")
