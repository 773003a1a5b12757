"""Feature families as switches: the params of a featurizer with one family off (ablation).

``FAMILIES`` are the switchable families; ``variant`` returns the featurize params of an
ablation variant: ``full`` (params.yaml as it is), ``raw_only`` (every family off: the
prepared columns median-imputed, categories as integer codes, no text or dates),
``no_<family>`` (that family off, the rest as params.yaml says) and ``selection``
(feature selection on).
"""

from __future__ import annotations

from churnlab.config.params import FeaturizeParams
from churnlab.errors import UserError

FAMILIES = ("missing", "outliers", "transforms", "encoding", "dates", "text", "constructed")
VARIANTS = ("full", "raw_only", *(f"no_{f}" for f in FAMILIES), "selection")


def _off(p: FeaturizeParams, family: str) -> FeaturizeParams:
    section = getattr(p, family)
    return p.model_copy(update={family: section.model_copy(update={"enabled": False})})


def variant(p: FeaturizeParams, name: str) -> FeaturizeParams:
    """Featurize params of ablation variant ``name``; an unknown name fails naming it."""
    if name not in VARIANTS:
        raise UserError(f"unknown feature family variant {name!r}; expected one of {VARIANTS}")
    if name == "full":
        return p
    if name == "selection":
        return p.model_copy(update={"selection": p.selection.model_copy(update={"enabled": True})})
    if name != "raw_only":
        return _off(p, name.removeprefix("no_"))
    for family in FAMILIES:
        p = _off(p, family)
    return p.model_copy(update={"selection": p.selection.model_copy(update={"enabled": False})})
