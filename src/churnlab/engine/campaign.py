"""A past campaign's balance on Spark: :func:`churnlab.uplift.campaign_data.balance_report` by
Spark aggregates.

Per numeric column the treated and control groups' means and population variances (nulls
left out, as ``nanmean``/``nanvar``) are one grouped aggregate; only two rows per column reach
the driver, where the one formula :func:`churnlab.uplift.campaign_data.smd` turns them into
standardised mean differences. The synthetic source reads who was treated from its truth
table (:func:`campaign_balance`); a user's table from its ``uplift.treatment`` column, checked
by the local :func:`~churnlab.uplift.campaign_data.treatment_flags` on its distinct values
(:func:`user_campaign_balance`).
"""

from __future__ import annotations

import pandas as pd

from churnlab.config.columns import CUSTOMER_KEY, TARGET
from churnlab.config.uplift import UpliftParams
from churnlab.errors import UserError
from churnlab.uplift import campaign_data

FLAG = "_treated"


def balance_by_flag(frame, flag: str, excluded) -> dict:
    """The balance report of ``frame``'s numeric columns (but ``excluded`` and ``flag``)
    between the rows whose ``flag`` is 1 (treated) and 0 (control)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import BooleanType, NumericType

    numeric = [
        f.name
        for f in frame.schema.fields
        if isinstance(f.dataType, NumericType)
        and not isinstance(f.dataType, BooleanType)
        and f.name not in {*excluded, flag}
    ]
    stats = [F.avg(c).alias(f"m{i}") for i, c in enumerate(numeric)]
    stats += [F.var_pop(c).alias(f"v{i}") for i, c in enumerate(numeric)]
    stats.append(F.count("*").alias("n"))
    groups = {int(r[flag]): r for r in frame.groupBy(flag).agg(*stats).collect()}
    smd = {}
    for i, column in enumerate(numeric):
        a, b = groups.get(1), groups.get(0)
        if a is None or b is None or None in (a[f"v{i}"], b[f"v{i}"], a[f"m{i}"], b[f"m{i}"]):
            continue
        value = campaign_data.smd(a[f"m{i}"], a[f"v{i}"], b[f"m{i}"], b[f"v{i}"])
        if value is not None:
            smd[column] = value
    return {
        "treated": int(groups[1]["n"]) if 1 in groups else 0,
        "control": int(groups[0]["n"]) if 0 in groups else 0,
        "smd": smd,
        "smd_limit": campaign_data.SMD_WARNING,
        "imbalanced": campaign_data.imbalanced(smd),
    }


def campaign_balance(prepared, truth) -> dict:
    """The synthetic source: who was treated is the truth table's ``treated``."""
    joined = prepared.join(truth.select(CUSTOMER_KEY, "treated"), on=CUSTOMER_KEY)
    return balance_by_flag(joined, "treated", (TARGET, CUSTOMER_KEY))


def user_campaign_balance(table, u: UpliftParams, where: str, excluded=()) -> dict:
    """A user's prepared table with its ``uplift.treatment`` column: the column's distinct
    values (the only ones collected) checked and flagged by the local ``treatment_flags``,
    then the balance of every numeric column but the campaign's, the label and ``excluded``."""
    from pyspark.sql import functions as F

    column = u.treatment
    counts = table.groupBy(column).count().collect()
    empty = sum(r["count"] for r in counts if r[column] is None)
    if empty:  # the local check's message, with the whole table's count
        raise UserError(f"{where}: column {column!r} has {empty} empty rows")
    values = pd.DataFrame({column: [r[column] for r in counts]})
    flags = campaign_data.treatment_flags(values, column, u.treated_value, where)
    treated = values[column][flags == 1].tolist()
    flagged = table.withColumn(FLAG, F.col(column).isin(treated).cast("int"))
    campaign = {u.treatment, u.propensity, TARGET, CUSTOMER_KEY, *excluded} - {""}
    return balance_by_flag(flagged, FLAG, campaign)
