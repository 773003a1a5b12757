"""The base class of every ``params.yaml`` section (:mod:`churnlab.config.params` and the modules
it imports: ``features``, ``models``, ``events``), with the rules every section shares: finite
numbers only, and seeds every library of the pipeline accepts."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

# The largest seed every consumer accepts. XGBoost takes any int64, scikit-learn's
# ``check_random_state`` (and NumPy's legacy ``RandomState``) stop at 2**32 - 1, and
# LightGBM's C++ ``seed`` is a 32-bit signed int: 2**31 - 1 is the range all of them share.
MAX_SEED = 2**31 - 1


def is_seed(name: str) -> bool:
    """Fields named ``seed`` or ``*_seed`` are seeds (``train.seed``, ``evaluate.explain_seed``)."""
    return name == "seed" or name.endswith("_seed")


class Strict(BaseModel):
    """Unknown keys are errors, values are not coerced, a loaded section is immutable; every
    float (also inside lists and mappings) must be finite (``.inf`` and ``.nan`` are refused);
    every seed lies in ``0..MAX_SEED``.

    The docstring below a field is its description: the params reference in the documentation
    is generated from it.
    """

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        use_attribute_docstrings=True,
        allow_inf_nan=False,
    )

    @field_validator("*", mode="after")
    @classmethod
    def _seed_in_range(cls, value: Any, info: ValidationInfo) -> Any:
        name = info.field_name or ""
        if is_seed(name) and isinstance(value, int) and not 0 <= value <= MAX_SEED:
            raise ValueError(f"a seed must lie in 0..{MAX_SEED} (2**31 - 1)")
        return value
