"""The model registry: name → everything churnlab knows about a model (:class:`ModelSpec`).

Each model is declared once, in its own module of :mod:`churnlab.modeling.zoo` (``SPECS``):
factory, fit, params section, complexity, explanation, cross-validation threading, importance
and the types its saved form holds. ``REGISTRY`` collects every module there, so adding a model
is a new module plus its params section, with no list to edit; the explanations
(:mod:`churnlab.evaluation.explain`), the API (:mod:`churnlab.serving.scorer`), the
cross-validation threading (:mod:`churnlab.modeling.crossval`) and the skops allow-list
(:mod:`churnlab.package`) read the entries instead of testing types.

Model names and params. ``train.model`` must be validated when params load, by
:mod:`churnlab.config`, which must not import modeling (config is the bottom layer; an
upward import would also make a cycle, as the zoo reads its params classes from config). So
config keeps the per-model params classes, and its list of valid names is derived from them:
the ``ModelSection`` fields of ``TrainParams`` (``config.models.MODEL_NAMES``), which also
give ``leaderboard.models`` and ``search.model`` their choices and the error message its list.
Each entry names the params class it reads; ``tests/test_model_registry.py`` asserts that the
registry's names and classes are exactly those sections, so the two cannot drift apart. The
alternative, zoo modules registering their params classes into config at import, would make
what ``params.yaml`` accepts depend on which modules a process happened to import.
"""

from __future__ import annotations

import importlib
import pkgutil

from churnlab.config.models import TrainParams
from churnlab.errors import UserError
from churnlab.modeling import zoo
from churnlab.modeling.calibration import LogOdds
from churnlab.modeling.spec import ModelSpec

__all__ = [
    "AUTO_MODELS",
    "REGISTRY",
    "SMALL_DATA_ROWS",
    "ModelSpec",
    "base_estimator",
    "discover",
    "model_for",
    "spec_for",
    "spec_of",
]

# train.model: auto names the first up to SMALL_DATA_ROWS train+valid rows (where selection and
# the refit on train+valid apply, modeling.training), the second above: the real-data and
# large-data benchmarks' choices (docs/model-defaults.md). Both read the feature matrix.
SMALL_DATA_ROWS = 20_000
AUTO_MODELS = ("xgboost", "blend")


def discover() -> dict[str, ModelSpec]:
    """Every entry declared by a module of :mod:`churnlab.modeling.zoo`, simplest first."""
    specs = []
    for module in pkgutil.iter_modules(zoo.__path__):
        specs += getattr(importlib.import_module(f"{zoo.__name__}.{module.name}"), "SPECS", ())
    for attribute in ("name", "complexity"):
        values = [getattr(spec, attribute) for spec in specs]
        clashes = sorted({v for v in values if values.count(v) > 1})
        if clashes:
            raise RuntimeError(f"two models in the zoo share the {attribute} {clashes}")
    return {spec.name: spec for spec in sorted(specs, key=lambda spec: spec.complexity)}


REGISTRY: dict[str, ModelSpec] = discover()


def model_for(p: TrainParams, rows: int) -> str:
    """The model ``train.model`` names for ``rows`` train+valid customers."""
    if p.model != "auto":
        return p.model
    return AUTO_MODELS[0] if rows <= SMALL_DATA_ROWS else AUTO_MODELS[1]


def spec_for(name: str, source: str = "train.model") -> ModelSpec:
    """The registry entry, or a UserError naming the key and the known models."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise UserError(f"{source}: unknown model {name!r}; known: {known}") from None


def spec_of(model) -> ModelSpec | None:
    """The entry a fitted model was made by (found by its class), or None."""
    return next((s for s in REGISTRY.values() if type(model) is s.estimator), None)


def base_estimator(model):
    """The fitted model inside a calibration wrapper (the model itself when not wrapped)."""
    calibrated = getattr(model, "calibrated_classifiers_", None)
    if calibrated:
        frozen = calibrated[0].estimator  # FrozenEstimator(LogOdds(model))
        inner = getattr(frozen, "estimator", frozen)
        return inner.estimator if isinstance(inner, LogOdds) else inner
    return model
