"""Ablation study: retrain with each feature family switched off, and summarise.

``churnlab ablation <variant>`` (one ``studies/dvc.yaml`` matrix item each) fits the variant
(:func:`churnlab.evaluation.ablation.fit_variant`) on the current splits and writes
``studies/ablation/<variant>.json`` (test ROC-AUC and PR-AUC, feature count, fit times) and
the test scores, ``data/studies/ablation/<variant>.parquet``.
``churnlab ablation-report`` collects them into ``metrics/ablation.json``
(:func:`churnlab.evaluation.ablation.summarise`, with the ``evaluate.bootstrap_*`` params) and
``plots/ablation.png``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from churnlab import io
from churnlab.config import paths
from churnlab.config.params import Params
from churnlab.errors import UserError
from churnlab.evaluation import ablation, plots
from churnlab.features.families import VARIANTS
from churnlab.features.fit import read_splits

log = logging.getLogger(__name__)

STUDY = Path("studies/ablation")
SCORES = Path("data/studies/ablation")  # test scores per variant, for the paired comparison
REPORT = paths.METRICS / "ablation.json"
PLOT = paths.PLOTS / "ablation.png"


def main(params: Params, name: str) -> None:
    ablation.variant_setup(params, name)  # a bad variant or model fails before reading data
    parts, schema = read_splits()
    result, scores = ablation.fit_variant(params, name, parts, schema)
    io.write_table(scores, SCORES / f"{name}.parquet")
    io.write_json(result, STUDY / f"{name}.json")
    log.info(
        "%s: test ROC-AUC %.4f with %d features", name, result["roc_auc"], result["n_features"]
    )


def report(params: Params) -> None:
    missing = [
        v
        for v in VARIANTS
        if not (STUDY / f"{v}.json").exists() or not (SCORES / f"{v}.parquet").exists()
    ]
    if missing:
        raise UserError(f"ablation results missing for {missing}: run `dvc repro studies/dvc.yaml`")
    results = {v: io.read_json(STUDY / f"{v}.json") for v in VARIANTS}
    scores = {v: io.read_table(SCORES / f"{v}.parquet") for v in VARIANTS}
    summary = ablation.summarise(results, scores, params.evaluate)
    io.write_json(summary, REPORT)
    plots.ablation_png(summary, PLOT)
