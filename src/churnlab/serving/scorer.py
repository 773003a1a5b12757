"""Scoring customers with the packaged model: probability, decision, tier, reasons.

The API, the batch scorer and drift share :class:`Scorer`. Input rows are a user's own table
for a model trained on user data (the conversions recorded in ``metadata.json`` are replayed,
:mod:`churnlab.data.conversions`) or prepared customers. The featurizer runs once per batch;
the probability comes from the model's own ``predict_proba`` (so it equals the offline
pipeline's), or from its registry entry's faster ``probability`` with the calibration map
replayed on top (the same values), and the reasons from :mod:`churnlab.evaluation.explain` on
the same transformed features, folded back to the customer's columns and worded with the
customer's values by :func:`churnlab.evaluation.reasons.top_reasons` ("Contract:
Month-to-month raises risk"), as ``churnlab predict`` words them. When the uplift and survival
stages saved their models beside the pipeline (``uplift.skops``, ``survival.skops``), every
answer also carries the uplift and the recommended action (:mod:`churnlab.uplift.artifact`),
the churn probability within each horizon, the median days to churn, the lifetime value and
the value at risk (:mod:`churnlab.survival.artifact`); without them nothing changes. With
the value at risk comes the contact decision of each row, by the one rule of
:func:`churnlab.evaluation.business.value_at_risk_contacts` without its budget
(``expected_net_gain`` = acceptance × value at risk − offer cost, ``contact`` when it is
positive, params ``business``): a request or a chunk is not a campaign, so the contact
budget applies only where a whole file is ranked (``churnlab predict``'s call list). A little
over 300 lines: the one place where every served column is computed and typed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from churnlab import io, package
from churnlab.config import paths
from churnlab.config.params import BusinessParams, ServeParams
from churnlab.data.conversions import Replayed, check_metadata, is_user_record, replay
from churnlab.evaluation import business, explain, reasons
from churnlab.features.fastpath import CompiledFeaturizer, compile_featurizer
from churnlab.modeling.calibration import calibrated_from_base
from churnlab.modeling.registry import base_estimator, spec_of
from churnlab.survival import artifact as survival_artifact
from churnlab.survival.artifact import SurvivalModel
from churnlab.uplift import artifact as uplift_artifact
from churnlab.uplift.artifact import UpliftModel


def git_revision(where: Path) -> str | None:
    """The commit being served: ``CHURNLAB_GIT_REVISION`` (set in the image), else git's HEAD."""
    if os.environ.get("CHURNLAB_GIT_REVISION"):
        return os.environ["CHURNLAB_GIT_REVISION"]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def risk_tiers(probability: np.ndarray, serve: ServeParams) -> np.ndarray:
    labels = np.asarray(serve.tier_names, dtype=object)
    return labels[np.searchsorted(np.asarray(serve.tier_bounds), probability, side="right")]


@dataclass
class Scorer:
    pipeline: Pipeline
    metadata: dict[str, Any]
    serve: ServeParams
    fast: CompiledFeaturizer | None = field(default=None, repr=False)
    units: dict[str, str] = field(default_factory=dict)  # params report.units, for reasons
    uplift: UpliftModel | None = field(default=None, repr=False)
    survival: SurvivalModel | None = field(default=None, repr=False)
    business: BusinessParams = field(default_factory=BusinessParams)  # the contact rule

    def __post_init__(self) -> None:
        steps = self.pipeline.named_steps
        if self.fast is None and "features" in steps:
            self.fast = compile_featurizer(steps["features"])

    @cached_property
    def feature_names(self) -> list[str]:
        steps = self.pipeline.named_steps
        return list(steps["features"].get_feature_names_out()) if "features" in steps else []

    @cached_property
    def _column_index(self) -> pd.Index:
        # Built once: making an Index from the names costs more than scoring one customer.
        return pd.Index(self.feature_names, dtype=object)

    @cached_property
    def _fold_map(self) -> reasons.FoldMap:
        return reasons.fold_map(self.pipeline, self.feature_names)

    @classmethod
    def load(
        cls,
        model_dir: Path | str,
        serve: ServeParams,
        units: dict[str, str] | None = None,
        business_params: BusinessParams | None = None,
    ) -> Scorer:
        model_dir = Path(model_dir)
        metadata = io.read_json(model_dir / paths.MODEL_META.name)
        check_metadata(metadata, model_dir / paths.MODEL_META.name)
        pipeline_path = model_dir / paths.PIPELINE.name
        pipeline = package.load(pipeline_path)
        digest = hashlib.sha256(pipeline_path.read_bytes()).hexdigest()
        metadata = {**metadata, "model_sha256": digest, "git_revision": git_revision(model_dir)}
        scorer = cls(pipeline, metadata, serve, units=dict(units or {}))
        if business_params is not None:
            scorer.business = business_params
        names = scorer.feature_names
        scorer.uplift = uplift_artifact.load(model_dir / paths.UPLIFT_MODEL.name, names)
        scorer.survival = survival_artifact.load(model_dir / paths.SURVIVAL_MODEL.name, names)
        return scorer

    @property
    def version(self) -> str:
        """Content-addressed: the same package file always has the same version."""
        return "sha256:" + self.metadata["model_sha256"][:12]

    @property
    def schema(self) -> dict[str, dict[str, Any]]:
        return self.metadata["input_schema"]

    @property
    def threshold(self) -> float:
        return float(self.metadata["threshold"])

    @property
    def conversions(self) -> dict | None:
        """How prepare read the training table (None for models packaged before they were
        recorded: those score prepared rows only)."""
        return self.metadata.get("conversions")

    @property
    def raw_inputs(self) -> bool:
        """Whether the model was trained on a user table, whose own rows it scores."""
        return is_user_record(self.conversions)

    def inputs(self, frame: pd.DataFrame, partial: bool = False) -> Replayed:
        """Model inputs and rejected rows of a user's rows (or of prepared rows)."""
        return replay(frame, self.conversions, self.schema, partial=partial)

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model's input matrix for validated prepared rows (the fitted featurizer)."""
        steps = self.pipeline.named_steps
        if "features" not in steps:
            return frame
        # The column transformer selects by position as fitted: restore the train order
        # (the schema in metadata.json is stored with sorted keys).
        return steps["features"].transform(frame[list(steps["features"].feature_names_in_)])

    def _probability(self, model, X: pd.DataFrame) -> np.ndarray:
        base = base_estimator(model)
        spec = spec_of(base)
        probability = None
        if spec is not None and spec.probability is not None:
            probability = spec.probability(base, X)
            if model is not base:  # the calibration map on top, replayed without sklearn
                probability = calibrated_from_base(model, probability)
        if probability is None:
            probability = model.predict_proba(X)[:, 1]
        return np.asarray(probability, dtype="float64")

    def predict(self, X, values: pd.DataFrame | dict | None = None) -> tuple:
        """(probability, :class:`~churnlab.evaluation.reasons.Reasons` or None) for model
        inputs ``X``; the reasons are worded with the customers' ``values`` (of every source
        column, :func:`~churnlab.evaluation.reasons.values_frame`, in the order of ``X``)."""
        model = self.pipeline.named_steps["model"]
        X = self._named(X)
        probability = self._probability(model, X)
        k = self.serve.top_reasons
        if not k:
            return probability, None
        approx = self.serve.contributions == "approx"
        try:  # a calibrated model is explained through what it wraps
            contribs, _ = explain.model_contributions(model, X, approx=approx)
        except NotImplementedError:  # a model without exact explanations: no reasons
            return probability, None
        if contribs.columns.equals(self._column_index):
            fmap = self._fold_map
        else:
            fmap = reasons.fold_map(self.pipeline, list(contribs.columns))
        return probability, reasons.top_reasons(
            contribs, fmap, {} if values is None else values, k, self.units
        )

    def _named(self, X) -> pd.DataFrame:
        """The fast path's matrix with the feature names (a frame is returned as it is)."""
        return X if hasattr(X, "columns") else pd.DataFrame(X, columns=self._column_index)

    def outlook(self, X, customers) -> dict[str, np.ndarray]:
        """Uplift and action, horizon probabilities, median days, value and value at risk of
        the models saved beside the pipeline (empty without them). ``customers``: the rows
        (a frame, or column arrays) for the margin column of the value."""
        out: dict[str, np.ndarray] = {}
        if self.uplift is not None:
            uplift = self.uplift.uplift(self._named(X))
            # One request is not a campaign: its budget is applied over a whole file
            # (``churnlab predict``); here, contact whenever the expected net gain is positive.
            out["uplift"] = np.round(uplift, 6)
            out["recommended_action"] = self.uplift.actions(uplift, budget_share=1.0)
        if self.survival is not None:
            table = self.survival.table(self._named(X), customers)
            table = table.rename(columns={"value": "customer_lifetime_value"})
            for column in self.outlook_dtypes():
                if column in table:
                    out[column] = table[column].to_numpy()
            out |= self.decision(out["value_at_risk"])
        return out

    def decision(self, value_at_risk) -> dict[str, np.ndarray]:
        """``expected_net_gain`` and ``contact`` of each row by the value-at-risk rule, with
        no budget (every row is its own decision: the budget ranks whole files)."""
        gain = business.expected_net_gain(value_at_risk, self.business)
        return {"expected_net_gain": np.round(gain, 2), "contact": gain > 0}  # NaN: no call

    def outlook_dtypes(self) -> dict[str, str]:
        dtypes = {}
        if self.uplift is not None:
            dtypes |= {"uplift": "float64", "recommended_action": "str"}
        if self.survival is not None:
            dtypes |= {f"p_churn_{h}d": "float64" for h in self.survival.horizons}
            for column in (
                "median_days_to_churn",
                "value_horizon_churn_probability",
                "customer_lifetime_value",
                "value_at_risk",
                "expected_net_gain",
            ):
                dtypes[column] = "float64"
            dtypes["contact"] = "boolean"
        return dtypes

    def score_valid(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Score rows already validated by :func:`churnlab.data.input_contract.validate_frame`."""
        values = reasons.values_frame(self.pipeline, frame) if self.serve.top_reasons else None
        X = self.features(frame)
        scored = self._frame(self.predict(X, values), frame.index)
        for name, column in self.outlook(X, frame).items():
            scored[name] = column
        return scored

    def score_columns(self, columns: dict[str, np.ndarray], n: int) -> dict | None:
        """Score ``n`` rows given as column arrays whose types are already checked (the API's
        pydantic model): the output columns as arrays (building a DataFrame would cost more
        than scoring one customer), or None when this featurizer has no fast path."""
        if self.fast is None:
            return None
        values = None
        if self.serve.top_reasons:
            values = reasons.values_of_columns(self.pipeline, columns)
        X = self._named(self.fast.transform(columns))
        return self._columns(self.predict(X, values)) | self.outlook(X, columns)

    def _columns(self, predicted) -> dict[str, np.ndarray]:
        probability, found = predicted
        out = {
            "churn_probability": probability,
            "churn": probability >= self.threshold,
            "risk_tier": risk_tiers(probability, self.serve),
        }
        if found is not None:
            for i in range(found.texts.shape[1]):
                out[f"reason_{i + 1}"] = found.texts[:, i]
                out[f"reason_{i + 1}_column"] = found.columns[:, i]
                out[f"reason_{i + 1}_contribution"] = np.round(found.contributions[:, i], 6)
        return out

    def _frame(self, predicted, index) -> pd.DataFrame:
        return pd.DataFrame(self._columns(predicted), index=index)

    def output_dtypes(self) -> dict[str, str]:
        dtypes = {"churn_probability": "float64", "churn": "boolean", "risk_tier": "str"}
        for i in range(1, self.serve.top_reasons + 1):
            dtypes[f"reason_{i}"] = "str"
            dtypes[f"reason_{i}_column"] = "str"
            dtypes[f"reason_{i}_contribution"] = "float64"
        return {**dtypes, **self.outlook_dtypes(), "error": "str"}

    def score(self, frame: pd.DataFrame, partial: bool = False) -> pd.DataFrame:
        """Convert, validate and score; bad rows get an ``error`` message and no score.

        The columns and dtypes are the same for every call, so chunks of a batch stack.
        """
        return self.score_replayed(self.inputs(frame, partial))

    def score_replayed(self, replayed: Replayed) -> pd.DataFrame:
        """:meth:`score` of rows already through :meth:`inputs`."""
        ok = replayed.ok
        out = pd.DataFrame(index=replayed.features.index)
        if ok.any():
            out = out.join(self.score_valid(replayed.features[ok]))
        out["error"] = replayed.errors
        dtypes = self.output_dtypes()
        out = out.reindex(columns=list(dtypes))
        return out.astype(dtypes)


def reasons_of(row: dict[str, Any], k: int) -> list[dict[str, Any]]:
    """The API's reasons of one scored row: source column, summed contribution, sentence."""
    found = []
    for i in range(1, k + 1):
        text = row.get(f"reason_{i}")
        if isinstance(text, str) and text:
            found.append(
                {
                    "feature": row[f"reason_{i}_column"],
                    "contribution": float(row[f"reason_{i}_contribution"]),
                    "text": text,
                }
            )
    return found
