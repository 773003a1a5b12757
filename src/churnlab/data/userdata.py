"""Preparing a user table (CSV, Parquet, SQL): label, key, privacy, schema, quality gate.

A pure function of the raw frame and params, so prepare can run the gate before it writes
anything: a failed gate leaves every earlier output in place. The schema it returns is also
the record of conversions (:mod:`churnlab.data.conversions`), and the prepared columns are
built by replaying that record, as scoring does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from churnlab.config.columns import CUSTOMER_KEY, TARGET
from churnlab.config.params import DataParams
from churnlab.data import conversions, privacy, quality
from churnlab.data import schema_inference as schema
from churnlab.errors import UserError

log = logging.getLogger(__name__)
RESERVED = "the name is reserved for a column prepare writes; rename it to use it as a feature"


@dataclass
class Prepared:
    table: pd.DataFrame  # customer_key, features..., churned
    schema: dict
    quality: dict


def prepare_user_table(
    raw: pd.DataFrame, p: DataParams, salt: bytes, date_formats: list[str] | None = None
) -> Prepared:
    """The prepared table, schema (with the conversions) and quality figures; ``date_formats``
    are those the CSV reader found in the file (:func:`churnlab.data.sources.csv_date_formats`),
    recorded for date columns the reader typed."""
    raw = raw.rename(columns=lambda c: str(c).strip())
    for key, column in (("target", p.target), ("id", p.id)):
        if column and column not in raw:
            raise UserError(
                f"data.{key} {column!r} is not a column of {p.path}; available: {list(raw.columns)}"
            )
    y_all = schema.label(raw[p.target], p.target, p.positive)
    quality.gate(len(raw), y_all, p.target, p.quality)
    labelled = y_all.notna()
    # Filtering copies every column: skip it when nothing is unlabelled (the usual case).
    rows = raw.reset_index(drop=True) if labelled.all() else raw[labelled].reset_index(drop=True)
    y = y_all[labelled].reset_index(drop=True).astype("int8")
    if p.id:
        ids = rows[p.id].astype("string").str.strip()
        duplicated = int(ids.duplicated().sum())
        if duplicated:
            raise UserError(
                f"data.id {p.id!r} is not unique: {duplicated} repeated value(s); the table "
                "must have one row per customer"
            )
    else:  # no id: the row number stands in, hashed like an id
        ids = pd.Series(range(len(rows)), dtype="int64").astype("string")
    candidates = rows.drop(columns=[c for c in (p.target, p.id) if c])
    identifiers = privacy.find_direct_identifiers(
        candidates.drop(columns=[c for c in p.columns if c in candidates])
    )
    actions = {c: f"dropped ({why})" for c, why in identifiers.items()}
    if p.id:
        actions[p.id] = "pseudonymised into customer_key (salted hash), raw id dropped"
    # A feature named like a column prepare writes would collide with it: it is left out.
    reserved = {c: RESERVED for c in (CUSTOMER_KEY, TARGET) if c in candidates}
    for column in reserved:
        log.warning("column %r left out: %s", column, RESERVED)
    candidates = candidates.drop(columns=list(identifiers) + list(reserved))
    inferred, rules = schema.infer(
        candidates, y, p.target, p.columns, p.quality.leakage_auc, p.positive
    )
    for column, why in identifiers.items():
        inferred[column] = {"type": "drop", "reason": f"privacy: {why}"}
    for column, why in reserved.items():
        inferred[column] = {"type": "drop", "reason": why}
    for rule in rules.values():
        if rule["as"] == "datetime" and "format" not in rule and date_formats:
            rule["formats"] = list(date_formats)
    for column, entry in inferred.items():
        if entry["type"] == "drop":
            log.info("dropping column %r: %s", column, entry["reason"])
    doc = {
        "source": p.source,
        "target": TARGET,
        "columns": {c: e for c, e in inferred.items()},
        # What scoring needs to read a user's file as this one was read.
        "id": p.id,
        "label": {"column": p.target, "positive": p.positive},
        "parse": rules,
    }
    # The table is built by the replay that scoring uses, so the two cannot disagree.
    replayed = conversions.replay(rows, doc)
    if not replayed.ok.all():  # the rules were learned from these rows: a bug
        raise RuntimeError(f"replaying the conversions rejected training rows: {replayed.rejects}")
    # Emails, phones and the table's own person names inside free text (privacy).
    names = privacy.name_words({c: rows[c] for c in identifiers})
    features, masked = privacy.mask_free_text(replayed.features, names)
    actions.update({c: privacy.masked_summary(n) for c, n in masked.items()})
    table = features.copy()
    table.insert(0, "customer_key", privacy.pseudonymise(ids, salt).to_numpy())
    table[TARGET] = y.to_numpy()
    report = quality.report(raw, features, y_all, inferred, actions)
    # Rows in raw-id order (source order without an id), never in hashed-key order: the split
    # draws rows by position, so ordering by the key would make it depend on the secret salt.
    order = ids.sort_values(kind="stable").index if p.id else ids.index
    return Prepared(table.iloc[order].reset_index(drop=True), doc, report)
