"""The past campaign's offer flag as a covariate of the survival models.

A customer who got a retention offer before the snapshot churns on another clock than one who
did not, and the campaign log is an observed fact at the snapshot: the survival models read
it as their last column, ``past_offer`` (:func:`churnlab.survival.sources.offer_flags` reads
it for training). Customers scored later without the offer column count as not offered. The
churn classifier never reads it. Kept apart from ``sources`` so the scorer imports no reader.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OFFER = "past_offer"  # the covariate: 1 = the customer got the past campaign's offer


def with_offer(X: pd.DataFrame, flags: np.ndarray | None) -> pd.DataFrame:
    """The feature matrix with the offer covariate as its last column (unchanged for None)."""
    return X if flags is None else X.assign(**{OFFER: np.asarray(flags, dtype="float32")})


def offered(customers, column: str, treated_value, n: int) -> np.ndarray:
    """The offer flag of customers being scored: ``column`` equal to ``treated_value``, and
    0 ("no offer") for every customer when the rows do not carry the column."""
    if not column or column not in customers:
        return np.zeros(n, dtype="int8")
    values = pd.Series(np.asarray(customers[column])).astype(str)
    return (values == str(treated_value)).to_numpy().astype("int8")
