"""Data-quality gate and report for user tables.

``gate`` raises a UserError naming the broken threshold before prepare writes anything;
``report`` gathers the figures for ``metrics/data_quality.json`` and ``markdown`` renders
them as ``reports/data_quality.md``.
"""

from __future__ import annotations

import pandas as pd

from churnlab.config.columns import TARGET
from churnlab.config.params import QualityParams
from churnlab.errors import UserError

# A validation ROC-AUC this high on churn data means a leak far more often than a great model.
SUSPICIOUS_AUC = 0.99
AFTER_TRAINING = (
    f"After training, a validation ROC-AUC of {SUSPICIOUS_AUC} or more is announced as a "
    "warning in the train log, `reports/model_card.md` and the data-quality section of "
    "`reports/index.html` and of each `churnlab predict` report."
)


def gate(n_rows: int, y: pd.Series, target: str, q: QualityParams) -> None:
    missing = float(y.isna().mean())
    if missing > q.max_target_missing_share:
        raise UserError(
            f"data-quality gate: {missing:.1%} of target {target!r} is missing, more than "
            f"data.quality.max_target_missing_share {q.max_target_missing_share}"
        )
    labelled = int(y.notna().sum())
    if labelled < q.min_rows:
        raise UserError(
            f"data-quality gate: {labelled} labelled rows, fewer than data.quality.min_rows "
            f"{q.min_rows}"
        )
    counts = {int(k): int(v) for k, v in y.dropna().value_counts().items()}
    if len(counts) < 2 or min(counts.values()) < q.min_class_count:
        raise UserError(
            f"data-quality gate: class counts of {target!r} are {counts} (1 = churn); each "
            f"class needs data.quality.min_class_count {q.min_class_count}"
        )


def too_good_warning(auc: float, split: str = "validation") -> str | None:
    """The loud warning for a ROC-AUC of at least :data:`SUSPICIOUS_AUC`, else None."""
    if not auc >= SUSPICIOUS_AUC:
        return None
    return (
        f"{split} ROC-AUC {auc:.4f} reaches {SUSPICIOUS_AUC}: churn is rarely this predictable, "
        "so a column most likely encodes the label (recorded at or after churn, or a code "
        "whose values each belong to one class); check the columns in reports/data_quality.md "
        "and drop the leak with data.columns.<name>.type: drop before using this model"
    )


def _summary(values: pd.Series, kind: str) -> dict:
    out: dict = {"type": kind, "missing_share": round(float(values.isna().mean()), 6)}
    if kind == "numeric":
        # Not describe(): its quartiles sort every column, and the report does not show them.
        for key in ("mean", "std", "min", "max"):
            value = getattr(values, key)()
            out[key] = None if pd.isna(value) else round(float(value), 6)
    elif kind in ("categorical", "ordinal"):
        counts = values.value_counts()
        out["distinct"] = len(counts)
        out["top"] = {str(k): int(v) for k, v in counts.head(5).items()}
    return out


def category_variants(values: pd.Series) -> list[list[str]]:
    """Groups of values that differ only in case or spacing ("Yes", "yes ")."""
    seen: dict[str, set[str]] = {}
    for value in values.dropna().unique():
        seen.setdefault(" ".join(str(value).split()).lower(), set()).add(str(value))
    return [sorted(v) for v in seen.values() if len(v) > 1]


def report(
    raw: pd.DataFrame, features: pd.DataFrame, y: pd.Series, schema: dict, privacy: dict
) -> dict:
    columns = {}
    variants = {}
    for column, entry in schema.items():
        if entry["type"] == "drop":
            continue
        columns[column] = _summary(features[column], entry["type"])
        if entry["type"] in ("categorical", "ordinal"):
            found = category_variants(features[column])
            if found:
                variants[column] = found
    labelled = y.notna()
    return {
        "rows_in": len(raw),
        "rows_out": int(labelled.sum()),
        "target_missing": int((~labelled).sum()),
        # Rows compared by a 64-bit hash of all their values: three times faster than
        # comparing values on a million rows, and a false match has odds of about 1e-8.
        "duplicate_rows": int(pd.util.hash_pandas_object(raw, index=False).duplicated().sum()),
        "completeness": round(float(1 - features.isna().mean().mean()), 6) if len(features) else 0,
        "missing_share": {c: s["missing_share"] for c, s in columns.items()},
        "label_rate": round(float(y[labelled].mean()), 6),
        "class_counts": {str(int(k)): int(v) for k, v in y[labelled].value_counts().items()},
        "n_columns": features.shape[1] + 2,
        "columns": columns,
        "category_variants": variants,
        "dropped": {c: e["reason"] for c, e in schema.items() if e["type"] == "drop"},
        "leakage": {
            c: e["reason"] for c, e in schema.items() if e.get("reason", "").startswith("leak")
        },
        "privacy": privacy,
        "warnings": {c: e["warning"] for c, e in schema.items() if e.get("warning")},
    }


def markdown(q: dict, source: str) -> str:
    lines = [
        "# Data-quality report",
        "",
        f"Source: {source}",
        "",
        "| figure | value |",
        "|---|---|",
        f"| rows read | {q['rows_in']} |",
        f"| rows kept (labelled) | {q['rows_out']} |",
        f"| target missing | {q['target_missing']} |",
        f"| duplicate rows | {q['duplicate_rows']} |",
        f"| completeness (share of filled feature cells) | {q['completeness']:.4f} |",
        f"| churn rate | {q['label_rate']:.4f} |",
        f"| class counts (1 = churn) | {q['class_counts']} |",
        "",
        "## Columns (inferred schema)",
        "",
        "| column | type | missing | summary |",
        "|---|---|---|---|",
    ]
    for column, s in q["columns"].items():
        extra = {k: v for k, v in s.items() if k not in ("type", "missing_share")}
        lines.append(f"| {column} | {s['type']} | {s['missing_share']:.4f} | {extra} |")
    if q.get("warnings"):  # what inference could not settle: the user should look
        lines += ["", "## Warnings", ""]
        lines += [f"- **`{c}`: {w}**" for c, w in q["warnings"].items()]
    lines += ["", "## Dropped columns", ""]
    lines += [f"- `{c}`: {r}" for c, r in q["dropped"].items()] or ["- none"]
    lines += ["", "## Leakage flags", ""]
    lines += [f"- `{c}`: {r}" for c, r in q["leakage"].items()] or ["- none"]
    # This report is written before any model exists: say where the model's check appears.
    lines += ["", AFTER_TRAINING]
    lines += ["", "## Privacy actions", ""]
    lines += [f"- `{c}`: {r}" for c, r in q["privacy"].items()] or ["- none"]
    lines += ["", "## Category consistency (values differing only in case/spacing)", ""]
    lines += [f"- `{c}`: {v}" for c, v in q["category_variants"].items()] or ["- none"]
    return "\n".join(lines + balance_lines(q.get("campaign_balance"))) + "\n"


def balance_lines(section: dict | None) -> list[str]:
    """The past campaign's balance (``churnlab.uplift.campaign_data.balance_report``): a
    warning per column whose standardised mean difference exceeds the limit."""
    if not section:
        return []
    lines = [
        "",
        "## Past campaign: balance of treated and control",
        "",
        f"{section['treated']} treated, {section['control']} control; standardised mean "
        f"difference (SMD) on {len(section['smd'])} numeric columns.",
        "",
    ]
    limit = section["smd_limit"]
    for column in section["imbalanced"]:
        lines.append(
            f"- **warning: `{column}` differs between the groups, SMD "
            f"{section['smd'][column]:+.3f} (|SMD| > {limit}): the offer was not given at "
            "random, so name its propensity column in uplift.propensity**"
        )
    return lines if section["imbalanced"] else [*lines, f"- balanced: every |SMD| <= {limit}"]


def snapshot_figures(
    rows_in: int,
    active: int,
    prepared: pd.DataFrame,
    cleaning_report: dict,
    event_duplicates: dict[str, int],
) -> dict:
    features = prepared.drop(columns=[TARGET])
    missing = features.isna().mean().round(6).to_dict()
    return {
        "rows_in": rows_in,
        "rows_out": len(prepared),
        "not_active_at_snapshot": active,
        "duplicates_removed": {**cleaning_report["duplicates_removed"], **event_duplicates},
        "spelling_fixed": cleaning_report["spelling_fixed"],
        "invalid_to_missing": cleaning_report["invalid_to_missing"],
        "missing_share": missing,
        "label_rate": round(float(prepared[TARGET].mean()), 6),
        "n_columns": prepared.shape[1],
    }


def synthetic_markdown(q: dict) -> str:
    lines = [
        "# Data-quality report",
        "",
        "Source: synthetic",
        "",
        "| figure | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {q[k]} |" for k in sorted(q) if k != "campaign_balance"]
    return "\n".join(lines + balance_lines(q.get("campaign_balance"))) + "\n"
