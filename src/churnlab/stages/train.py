"""Stage train: fit ``train.model`` (or the model selected on user data), calibrate it and
choose the threshold on held-out scores.

The work is :func:`churnlab.modeling.training.train`: by default (``train.refit:
train_valid``) the final model is refitted on train+valid and calibrated, and its threshold
chosen, on out-of-fold scores; ``train.refit: train`` fits on train and uses validation. This
stage writes what it returns: the inference pipeline (featurizer + calibrated model, one skops
file), its metadata (threshold, held-out metrics, best iteration, provenance, the input schema
and the conversions prepare recorded in ``data/prepared/schema.json``), the training curves of
the model early-stopped on validation (as dvclive), ``metrics/train.json`` (with Brier/ECE before
and after calibration, what the threshold does to a campaign, the refit and the selection) and
the reliability diagram ``plots/calibration/``. With ``engine.name: spark`` the features Spark
wrote are read here (training on the driver, as locally), or with
``engine.spark.distributed: true`` XGBoost is fitted on the executors
(:mod:`churnlab.engine.distributed`; refitted on train+valid there when ``train.refit`` says
so) and calibrated here. On Spark the input schema comes from Spark aggregates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

from sklearn.pipeline import Pipeline

from churnlab import io, package
from churnlab.config import paths
from churnlab.config.params import Params
from churnlab.data import quality
from churnlab.data.input_contract import input_schema
from churnlab.evaluation import plots
from churnlab.features import feature_frame
from churnlab.modeling import training
from churnlab.modeling.inputs import inputs
from churnlab.modeling.registry import model_for, spec_for

log = logging.getLogger(__name__)


# XGBoost's names of its eval sets (fit's eval_set order: the train-curve sample, validation).
CURVE_SOURCES = {"validation_0": "train", "validation_1": "valid"}


def has_history(model) -> bool:
    """Whether the model logged its metrics per boosting round (XGBoost)."""
    return bool(model.evals_result()) if hasattr(model, "evals_result") else False


def curves(
    model, final: dict[str, float], on_train: dict[str, float] | None = None
) -> dict[str, list[float]]:
    """``"train/logloss"``... → the per-round values (6 decimals) of a boosted model, or for a
    model without such a history (anything but XGBoost: the blend, LightGBM...) its ``final``
    validation figures and, when given, its ``on_train`` figures as a single step, so the
    curves ``dvc.yaml`` declares exist for every model."""
    if not has_history(model):
        steps = {"train": on_train or {}, "valid": final}
        return {
            f"{source}/{metric}": [round(float(value), 6)]
            for source, figures in steps.items()
            for metric, value in figures.items()
        }
    return {
        f"{CURVE_SOURCES[source]}/{metric}": [round(value, 6) for value in values]
        for source, by_metric in model.evals_result().items()
        for metric, values in by_metric.items()
    }


def log_curves(model, final: dict[str, float], on_train: dict[str, float] | None = None) -> None:
    """The training curves (:func:`curves`) in dvclive's layout, which ``dvc plots`` and the
    top-level ``plots:`` of dvc.yaml read: one ``step<TAB>metric`` TSV per curve under
    ``plots/train/plots/metrics/`` and the last values in ``plots/train/metrics.json``.

    Written here, not by ``dvclive.Live``: the files are the same bytes
    (``tests/test_repro_speed.py`` compares them), but Live opened the DVC repository and git
    at start (about 1 s of the stage, profiled) and appended each of the 1,160 values by
    reopening its file.
    """
    series = curves(model, final, on_train)
    out = paths.TRAIN_LIVE
    shutil.rmtree(out / "plots", ignore_errors=True)  # no curve of an earlier run stays
    summary: dict = {}
    for name, values in series.items():
        source, metric = name.split("/")
        rows = "".join(f"{step}\t{value}\n" for step, value in enumerate(values))
        io.write_text(f"step\t{metric}\n{rows}", out / "plots" / "metrics" / f"{name}.tsv")
        summary.setdefault(source, {})[metric] = values[-1]
    summary["step"] = len(values) - 1
    io.write_text(json.dumps(summary, indent=4) + "\n", out / "metrics.json")


def train_figures(model, X, y) -> dict[str, float]:
    """Log loss and ROC-AUC of the served (calibrated) model on the train split's rows."""
    from sklearn.metrics import log_loss, roc_auc_score

    p = model.predict_proba(X)[:, 1]
    return {"logloss": float(log_loss(y, p, labels=[0, 1])), "auc": float(roc_auc_score(y, p))}


def file_sha256(path) -> str:
    """The SHA-256 of a file, or of a Parquet directory's part files (the Spark engine's
    tables: the parts' bytes in name order; the names hold a random id of the write)."""
    digest = hashlib.sha256()
    path = Path(path)
    parts = sorted(path.glob("part-*")) if path.is_dir() else [path]
    for part in parts:
        with open(part, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def provenance(params: Params) -> dict:
    """What the model was trained on, as content hashes (the git revision is stamped at
    registration: a DVC output that changed with every commit could never be up to date)."""
    sections = {k: params.model_dump(mode="json")[k] for k in ("data", "featurize", "train")}
    canonical = json.dumps(sections, sort_keys=True).encode("utf-8")
    return {
        "data_sha256": {
            name: file_sha256(paths.SPLIT / f"{name}.parquet") for name in ("train", "valid")
        },
        "params_sha256": hashlib.sha256(canonical).hexdigest(),
        "training_date": str(params.data.snapshot_date),
    }


def write_reliability(frames: dict, method: str) -> None:
    """Reliability diagram of held-out scores before and after calibration (CSV + PNG)."""
    out = paths.PLOTS / "calibration"
    io.write_csv(frames["before"], out / "reliability_before.csv")
    io.write_csv(frames["after"], out / "reliability_after.csv")
    plots.overlay_png(
        {"before": frames["before"], f"after ({method})": frames["after"]},
        "mean_predicted",
        "observed_rate",
        "Reliability (held-out)",
        out / "reliability.png",
        diagonal="perfect calibration",
    )


def model_input_schema(params: Params) -> dict:
    """The input schema of the train split; on Spark from its Parquet schema and aggregates."""
    if params.engine.name == "spark":
        from churnlab.engine import input_schema as on_spark
        from churnlab.engine import tables
        from churnlab.engine.session import spark_session

        sp = params.engine.spark
        where = tables.location(sp, paths.SPLIT / "train.parquet")
        return on_spark.input_schema(tables.read(spark_session(sp), where))
    return input_schema(feature_frame(io.read_table(paths.SPLIT / "train.parquet")))


def main(params: Params) -> None:
    p = params.train
    spec = spec_for(model_for(p, 0))  # what it reads: every `auto` model reads features
    X_valid, y_valid = inputs(params, "valid", spec.uses_features)
    if params.engine.name == "spark" and params.engine.spark.distributed:
        from churnlab.engine import distributed

        log.info("training %s on Spark, calibrated on %d rows", p.model, len(y_valid))
        fitted = distributed.fit_from_tables(params)
        trained = training.train(params, None, None, X_valid, y_valid, fitted)
        X = y = None
    else:  # on one machine, or on the Spark driver from the features Spark wrote
        if params.engine.name == "spark":  # at most engine.spark.driver_rows of them
            from churnlab.engine.driver import train_inputs

            X, y = train_inputs(params, spec.uses_features)
        else:
            X, y = inputs(params, "train", spec.uses_features)
        log.info(
            "training %s on %d + %d rows x %d columns", p.model, len(y), len(y_valid), X.shape[1]
        )
        trained = training.train(params, X, y, X_valid, y_valid)
    write_reliability(trained.reliability, p.calibration)
    steps = [("model", trained.calibrated)]
    if spec.uses_features:
        steps.insert(0, ("features", package.load(paths.FEATURIZER)))
    package.save(Pipeline(steps), paths.PIPELINE)
    summary = trained.summary
    too_good = quality.too_good_warning(summary["valid"]["roc_auc"])
    if too_good:  # in the log, metrics/train.json, the metadata and so the model card
        log.warning("%s", too_good)
        summary = {**summary, "warnings": [too_good]}
    metadata = {
        **summary,
        **provenance(params),
        "snapshot_date": str(params.data.snapshot_date),
        "input_schema": model_input_schema(params),
        # How prepare read the user's table, replayed when the model scores such a table.
        "conversions": io.read_json(paths.SCHEMA),
    }
    io.write_json(metadata, paths.MODEL_META)
    io.write_json(summary, paths.METRICS / "train.json")
    valid, calibration = summary["valid"], summary["calibration"]
    on_train = None  # a model without a per-round history: its final figures on train
    if X is not None and not has_history(trained.model):
        on_train = train_figures(trained.calibrated, X, y)
    log_curves(trained.model, {"logloss": valid["log_loss"], "auc": valid["roc_auc"]}, on_train)
    log.info(
        "%s: held-out ROC-AUC %.4f, Brier %.4f -> %.4f (%s), threshold %.4f (%s)",
        summary["model"],
        valid["roc_auc"],
        calibration["brier_before"],
        calibration["brier_after"],
        p.calibration,
        summary["threshold"],
        p.threshold.method,
    )
