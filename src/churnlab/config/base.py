"""The base class of every ``params.yaml`` section (:mod:`churnlab.config.params` and the modules it
re-exports: ``feature_params``, ``model_params``, ``params_events``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown keys are errors, values are not coerced, a loaded section is immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
