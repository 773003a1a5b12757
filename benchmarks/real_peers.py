"""The methods of the real-data benchmark: churnlab's own train path and the peers.

- :func:`churnlab_scores`: the train stage's path for any params (featurize on train, then
  :func:`churnlab.modeling.training.train`, as the train stage calls it), scoring the test part;
- :func:`notebook_lr` and :func:`notebook_xgb`: the data README's protocol on the raw user
  columns, fitted on train+valid;
- :class:`AutoGluonPeer`: AutoGluon Tabular in its own virtualenv, run as a subprocess
  (``benchmarks/peer_autogluon.py``) on CSV files; its test scores are cached per table and
  seed, keyed by a hash of the split and the peer's settings, so that benchmarking another
  churnlab setting never needs AutoGluon again.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from xgboost import XGBClassifier

from churnlab import io
from churnlab.config.columns import TARGET
from churnlab.config.params import Params
from churnlab.features import feature_frame
from churnlab.features.fit import featurize
from churnlab.modeling.registry import model_for, spec_for
from churnlab.modeling.training import train

HERE = Path(__file__).resolve().parent
AUTOGLUON_SCRIPT = HERE / "peer_autogluon.py"
PEERS_PYTHON = Path(os.environ.get("CHURNLAB_PEERS_PYTHON", "/work/peers-venv/bin/python"))
CHOSEN: list[dict] = []  # metrics/train.json of each churnlab run, in run order
LABEL = "__churned__"  # the label column of the CSVs given to AutoGluon (no user column name)


def churnlab_scores(params: Params, parts: dict[str, pd.DataFrame], schema: dict) -> np.ndarray:
    """Test churn probabilities of the model the train stage would fit with ``params``."""
    done = featurize(parts, params.featurize, params.data.snapshot_date, schema)
    spec = spec_for(model_for(params.train, len(parts["train"]) + len(parts["valid"])))
    data = {}
    for name, matrix in done.matrices.items():
        X = matrix.drop(columns=[TARGET]) if spec.uses_features else feature_frame(parts[name])
        data[name] = (X, matrix[TARGET].to_numpy())
    (X, y), (Xv, yv), (Xt, _) = data["train"], data["valid"], data["test"]
    trained = train(params, X, y, Xv, yv)
    CHOSEN.append(trained.summary)  # what train chose (selection, refit), for the report
    return trained.calibrated.predict_proba(Xt)[:, 1]


def text_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]


def _with_object_text(frame: pd.DataFrame, text: list[str]) -> pd.DataFrame:
    """Text columns as object arrays with NaN for missing, as scikit-learn's imputers expect."""
    out = frame.copy()
    out[text] = frame[text].astype(object).where(frame[text].notna(), np.nan)
    return out


def notebook_lr(X: pd.DataFrame, y: np.ndarray, X_test: pd.DataFrame) -> np.ndarray:
    """The README's LR: median + StandardScaler, most-frequent + one-hot, LogisticRegression."""
    text = text_columns(X)
    numeric = [c for c in X.columns if c not in text]
    prep = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "text",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20),
                ),
                text,
            ),
        ]
    )
    model = Pipeline([("prep", prep), ("lr", LogisticRegression(max_iter=3000))])
    model.fit(_with_object_text(X, text), y)
    return model.predict_proba(_with_object_text(X_test, text))[:, 1]


def notebook_xgb(X: pd.DataFrame, y: np.ndarray, X_test: pd.DataFrame) -> np.ndarray:
    """The README's XGB; text columns as pandas ``category`` (categories of the fit rows)."""
    categories = {c: pd.CategoricalDtype(X[c].dropna().unique()) for c in text_columns(X)}
    model = XGBClassifier(
        n_estimators=300,
        learning_rate=0.05,
        max_depth=4,
        subsample=0.8,
        colsample_bytree=0.8,
        tree_method="hist",
        enable_categorical=True,
        n_jobs=1,
        random_state=0,
    )
    model.fit(X.astype(categories), y)
    return model.predict_proba(X_test.astype(categories))[:, 1]


NOTEBOOK_PEERS = {"notebook_lr": notebook_lr, "notebook_xgb": notebook_xgb}


@dataclass
class AutoGluonPeer:
    """AutoGluon Tabular through ``python`` (its own venv) running ``script``."""

    cache_dir: Path
    python: Path = PEERS_PYTHON
    script: Path = AUTOGLUON_SCRIPT
    presets: str = "medium_quality"
    time_limit: int = 120
    num_cpus: int = 2
    run: str = ""  # "": cached scores only; "all": recompute every split; "missing": fill gaps
    _absent: str | None = None

    def settings(self) -> dict:
        return {"presets": self.presets, "time_limit": self.time_limit, "eval_metric": "roc_auc"}

    def absent(self) -> str | None:
        """Why AutoGluon cannot run here (None when it can); asked once per run."""
        if self._absent is None:
            if not self.python.exists():
                self._absent = f"no peers venv python at {self.python}"
            else:
                check = subprocess.run(
                    [str(self.python), str(self.script), "--check"],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                self._absent = "" if check.returncode == 0 else check.stderr.strip()[-300:]
        return self._absent or None

    def split_key(self, table: str, file_sha256: str, fit_rows, test_rows) -> str:
        doc = {
            "table": table,
            "file_sha256": file_sha256,
            "fit_rows": sorted(int(r) for r in fit_rows),
            "test_rows": sorted(int(r) for r in test_rows),
            "peer": self.settings(),
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    def cache_path(self, table: str, seed: int) -> Path:
        return self.cache_dir / f"{table}_seed{seed}.parquet"

    def cached(self, path: Path, key: str, test_rows: np.ndarray) -> tuple[tuple | None, str]:
        """((scores in ``test_rows`` order, run record), "") from the cache when it was made
        for this split: the same file, train+valid rows and test rows (the key) and exactly
        these test rows (checked again on the rows themselves); (None, why) otherwise."""
        if not path.exists():
            return None, f"no cache file {path}"
        table = pq.read_table(path)
        record = json.loads(table.schema.metadata[b"bench_real"])
        scores = table.to_pandas().set_index("row")["score"]
        same_rows = len(scores) == len(test_rows) and set(scores.index) == set(test_rows)
        if record.get("split_sha256") != key or not same_rows:
            return None, f"{path.name} was made for other customers"
        return (scores.loc[test_rows].to_numpy(), record | {"cached": True}), ""

    def scores(self, table: str, seed: int, split: dict) -> tuple[np.ndarray | None, dict]:
        """Test scores and the run record; (None, {"skipped": why}) when it cannot be had."""
        key = self.split_key(table, split["file_sha256"], split["fit_rows"], split["test_rows"])
        path = self.cache_path(table, seed)
        hit, why = (
            (None, "recomputed")
            if self.run == "all"
            else self.cached(path, key, split["test_rows"])
        )
        if hit is not None:
            return hit
        if not self.run:
            return None, {
                "skipped": f"no cached scores for this split ({why}): run with --peers autogluon"
            }
        why = self.absent()
        if why:
            return None, {"skipped": f"AutoGluon not available and no cache for this split: {why}"}
        return self._run(path, key, split)

    def _run(self, path: Path, key: str, split: dict) -> tuple[np.ndarray | None, dict]:
        with tempfile.TemporaryDirectory(prefix="bench_real_ag_") as tmp:
            work = Path(tmp)
            split["fit"].assign(**{LABEL: split["fit_y"]}).to_csv(work / "fit.csv", index=False)
            split["test"].to_csv(work / "test.csv", index=False)
            command = [str(self.python), str(self.script), "--fit", str(work / "fit.csv")]
            command += ["--test", str(work / "test.csv"), "--label", LABEL]
            command += ["--out", str(work / "scores.csv"), "--info", str(work / "info.json")]
            command += ["--presets", self.presets, "--time-limit", str(self.time_limit)]
            command += ["--num-cpus", str(self.num_cpus)]
            load_before, start = os.getloadavg(), time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            record = {
                "split_sha256": key,
                "seconds": round(time.perf_counter() - start, 1),
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "cpu_count": os.cpu_count(),
                "num_cpus": self.num_cpus,
                **self.settings(),
            }
            if done.returncode != 0:
                return None, {"skipped": f"AutoGluon failed: {done.stderr.strip()[-500:]}"}
            scores = pd.read_csv(work / "scores.csv")["score"].to_numpy(dtype="float64")
            record |= json.loads((work / "info.json").read_text())
        frame = pa.table({"row": np.asarray(split["test_rows"], dtype="int64"), "score": scores})
        frame = frame.replace_schema_metadata({"bench_real": json.dumps(record, sort_keys=True)})
        with io.atomic_path(path) as partial:
            pq.write_table(frame, partial)
        return scores, record | {"cached": False}
