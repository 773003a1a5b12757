"""The base classifier inside the uplift learners, with settings chosen for uplift.

``uplift.base_params`` replaces some of ``uplift.base_model``'s ``train.<name>`` settings
inside the learners only (:func:`with_params`); :data:`LIGHTGBM_LIBRARY_DEFAULTS` is the
LightGBM library's own defaults, with which an S-learner's offer flag reaches every tree.
``early_stopping_rounds`` 0 means fixed rounds: the learners then fit the base without the
validation split (:func:`churnlab.uplift.learners._fit_base`).
"""

from __future__ import annotations

from sklearn.base import clone

from churnlab.errors import UserError

LIGHTGBM_LIBRARY_DEFAULTS = {
    "n_estimators": 100, "learning_rate": 0.1, "num_leaves": 31, "min_child_samples": 20,
    "subsample": 1.0, "colsample_bytree": 1.0, "reg_lambda": 0.0, "scale_pos_weight": 1.0,
    "early_stopping_rounds": 0,
}  # fmt: skip
"""``uplift.base_params`` giving the zoo's LightGBM the library's own defaults (100 rounds,
no early stopping, every feature in every tree: an S-learner's treatment flag then reaches
every tree, where the churn settings' ``colsample_bytree`` leaves it out of half of them)."""


def with_params(base, overrides: dict, source: str = "uplift.base_params"):
    """``base`` with some hyper-parameters replaced (one clear error for an unknown name)."""
    known = base.get_params()
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise UserError(
            f"{source}: {type(base).__name__} has no parameter {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(known))}"
        )
    return clone(base).set_params(**overrides)
