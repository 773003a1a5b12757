"""Which transformer each input column goes to: params first, then the schema, then dtype.

The featurize params name synthetic columns. For user data (a schema whose source is not
synthetic) named columns the table lacks are skipped with a logged note; for the synthetic
source they stay errors, which catches typos in params.yaml. Groups are decided on the frame
``build_featurizer`` is given (the train split), so cardinality-based encoder choices and
sparse-column drops are learned from train alone.
"""

from __future__ import annotations

import logging

import pandas as pd

from churnlab.config.columns import NON_FEATURES
from churnlab.config.params import FeaturizeParams
from churnlab.errors import UserError
from churnlab.features.encode import by_cardinality
from churnlab.features.impute import sparse_columns

log = logging.getLogger(__name__)


def constructed(p: FeaturizeParams) -> dict[str, list[str]]:
    """The ratio and product columns the constructed family adds (none when it is off)."""
    if not p.constructed.enabled:
        return {}
    return {**p.ratios, **p.constructed.products, **p.constructed.group_ratios}


def _fits(values: pd.Series, order: list[str]) -> bool:
    """Every non-missing value is a level of ``order``."""
    return set(values.dropna().astype(str).unique()) <= set(order)


def _params_for(
    frame: pd.DataFrame, p: FeaturizeParams, schema: dict | None, note: bool = False
) -> FeaturizeParams:
    """Featurize params restricted to the columns a user table has (see the module doc);
    ``note`` logs the skipped ones (once per featurizer: this runs several times)."""
    if not schema or schema.get("source", "synthetic") == "synthetic":
        return p
    has = set(frame.columns)
    products, groups = p.constructed.products, p.constructed.group_ratios
    pairs = {**p.ratios, **products, **groups}
    skipped = sorted(
        (
            {*p.log_columns, *p.ordinal, *p.date_columns, *p.transforms.bins}
            | set(p.constructed.polynomial)
        )
        - has
        | {name for name, pair in pairs.items() if not set(pair) <= has}
    )
    if skipped and note:
        log.info("featurize: skipping params for columns this data lacks: %s", skipped)
    # An order declared for the synthetic data describes a user column of the same name only
    # when every value of that column is one of its levels (a user's `plan` may be gold/silver).
    misfit = [c for c, order in p.ordinal.items() if c in has and not _fits(frame[c], order)]
    if misfit and note:
        log.info("featurize: ordinal orders that do not match this data's values: %s", misfit)
    construct = p.constructed.model_copy(
        update={
            "products": {n: pair for n, pair in products.items() if set(pair) <= has},
            "group_ratios": {n: pair for n, pair in groups.items() if set(pair) <= has},
            "polynomial": [c for c in p.constructed.polynomial if c in has],
        }
    )
    transforms = p.transforms.model_copy(
        update={"bins": {c: n for c, n in p.transforms.bins.items() if c in has}}
    )
    return p.model_copy(
        update={
            "log_columns": [c for c in p.log_columns if c in has],
            "ordinal": {c: o for c, o in p.ordinal.items() if c in has and c not in misfit},
            "date_columns": [c for c in p.date_columns if c in has],
            "ratios": {n: pair for n, pair in p.ratios.items() if set(pair) <= has},
            "constructed": construct,
            "transforms": transforms,
        }
    )


def ordinal_orders(p: FeaturizeParams, schema: dict | None) -> dict[str, list[str]]:
    orders = dict(p.ordinal)
    for column, entry in ((schema or {}).get("columns") or {}).items():
        if entry.get("type") == "ordinal":
            orders.setdefault(column, list(entry["order"]))
    return orders


def _check_named(frame: pd.DataFrame, p: FeaturizeParams, orders: dict, columns: list) -> None:
    named = {*p.log_columns, *orders, *p.date_columns, *p.transforms.bins}
    named |= set(p.constructed.polynomial) - set(constructed(p))
    pairs = (*p.ratios.values(), *p.constructed.products.values())
    named |= {c for pair in (*pairs, *p.constructed.group_ratios.values()) for c in pair}
    for name in sorted(named):
        if name not in frame:
            raise UserError(
                f"params.yaml: featurize names column {name!r}, which the prepared "
                f"data lacks; available: {columns}"
            )


def column_groups(
    frame: pd.DataFrame, p: FeaturizeParams, schema: dict | None = None
) -> dict[str, list[str]]:
    """Assign each input column to one transformer group: params, then schema, then dtype.

    Besides the main groups (each column in exactly one), ``bin``, ``poly`` and ``dropped``
    list columns that also get binned, polynomial terms, or are dropped as too sparse.
    """
    p = _params_for(frame, p, schema)
    columns = [c for c in frame.columns if c not in NON_FEATURES]
    typed = {c: e["type"] for c, e in ((schema or {}).get("columns") or {}).items() if c in columns}
    orders = ordinal_orders(p, schema)
    _check_named(frame, p, orders, columns)
    text_columns = [c for c in columns if typed.get(c) == "text" and c not in orders]
    if "ticket_text" in frame and "ticket_text" not in typed:
        text_columns.append("ticket_text")
    dropped = sparse_columns(frame[columns], p.missing, keep=set(text_columns))
    columns = [c for c in columns if c not in dropped]
    orders = {c: o for c, o in orders.items() if c in columns}
    declared = set(p.log_columns) | set(orders) | set(p.date_columns)
    dates = [c for c in columns if c in p.date_columns or (typed.get(c) == "datetime")]
    declared |= set(dates)
    rest = [c for c in columns if c not in declared and c not in text_columns]
    numeric = [c for c in rest if pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [
        c
        for c in rest
        if not pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_datetime64_any_dtype(frame[c])
    ]
    encoders = by_cardinality(frame, categorical, p)
    transforms_on = p.transforms.enabled
    logged = [c for c in p.log_columns if c in columns]
    if not transforms_on:  # the named log columns stay, untransformed
        numeric, logged = numeric + logged, []
    if not p.dates.enabled:
        dates = []
    return {
        "numeric": numeric + list(constructed(p)),
        "log": logged,
        "ordinal": list(orders),
        "categorical": encoders["onehot"],
        "target": encoders["target"],
        "date": dates,
        "text": [c for c in text_columns if c in columns] if p.text.enabled else [],
        "bin": [c for c in p.transforms.bins if c in columns] if transforms_on else [],
        "poly": list(p.constructed.polynomial) if p.constructed.enabled else [],
        "dropped": sorted(dropped),
    }


def feature_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The model inputs of a prepared table: everything but the key and the label."""
    return frame.drop(columns=[c for c in NON_FEATURES if c in frame])
