"""The base class of every ``params.yaml`` section (:mod:`churnlab.config.params` and the modules
it imports: ``features``, ``models``, ``events``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown keys are errors, values are not coerced, a loaded section is immutable.

    The docstring below a field is its description: the params reference in the documentation
    is generated from it.
    """

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, use_attribute_docstrings=True
    )
