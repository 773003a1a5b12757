"""Fitting the featurizer on the train split and transforming every split.

Train rows missing more than ``featurize.missing.max_row_missing_share`` of their columns are
left out of the fit and of the train matrix; valid and test rows are never dropped (every
customer gets a score). Used by the featurize stage, the ablation study and benchmarks.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import pandas as pd
from sklearn.pipeline import Pipeline

from churnlab import io
from churnlab.config import paths
from churnlab.config.columns import TARGET
from churnlab.config.params import FeaturizeParams
from churnlab.features.build import build_featurizer
from churnlab.features.groups import column_groups, feature_frame
from churnlab.features.impute import sparse_rows
from churnlab.features.report import summary

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


def featurized_rows(split: pd.DataFrame, name: str, p: FeaturizeParams) -> pd.DataFrame:
    """The rows of split ``name`` that featurize turns into matrix rows, in the matrix's order:
    train leaves its sparse rows out (:func:`featurize`), the other splits keep every row. For
    stages that pair the feature matrix with other columns of the split (keys, labels)."""
    if name != "train":
        return split
    return split[~sparse_rows(feature_frame(split), p.missing).to_numpy()].reset_index(drop=True)


def featurize(
    parts: dict[str, pd.DataFrame], p: FeaturizeParams, snapshot: dt.date, schema: dict | None
) -> Featurized:
    """Fit on the train split (sparse rows left out), transform every split."""
    kept = featurized_rows(parts["train"], "train", p)
    sparse = len(parts["train"]) - len(kept)
    if sparse:
        log.info("train: leaving out %d rows with too many missing values", sparse)
        parts = {**parts, "train": kept}
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
    report = summary(featurizer, p, shares, sparse, len(train))
    return Featurized(featurizer, matrices, report)
