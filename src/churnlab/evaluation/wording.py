"""Numbers and data-quality figures in words: shared by the model card and the HTML reports.

Numbers are printed as numbers (thousands separators, fixed digits) and lists as lists, never
as Python dicts; a figure the data does not have is left out rather than shown empty.
"""

from __future__ import annotations


def number(value, digits: int = 4) -> str:
    """Integers with thousands separators, floats with ``digits`` decimals, None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def amount(value: float) -> str:
    """Money without decimals."""
    return f"{value:,.0f}"


def _counts(counts: dict | None) -> str:
    """``{"contract": 3932, "plan": 0}`` → ``contract 3,932`` (zeros left out); "" if none."""
    return ", ".join(f"{k} {v:,}" for k, v in (counts or {}).items() if v)


def quality_facts(q: dict) -> list[str]:
    """The data-quality figures of ``metrics/data_quality.json`` as sentences: numbers and
    lists only, and only the figures this kind of data has (synthetic or a user table)."""
    rows_out, rows_in = q.get("rows_out"), q.get("rows_in")
    facts = [
        f"{number(rows_out)} customers after cleaning ({number(rows_in)} rows in); churn rate "
        f"{number(q.get('label_rate'), 3)}."
    ]
    if "duplicates_removed" in q:
        facts.append(f"Duplicates removed: {_counts(q['duplicates_removed']) or 'none'}.")
    elif "duplicate_rows" in q:
        facts.append(f"Duplicate rows: {q['duplicate_rows']:,}.")
    for key, label in (
        ("spelling_fixed", "Category spellings fixed"),
        ("invalid_to_missing", "Impossible values set to missing"),
    ):
        if key in q:
            facts.append(f"{label}: {_counts(q[key]) or 'none'}.")
    if q.get("category_variants"):
        facts.append(
            "Values differing only in case or spacing: "
            + ", ".join(sorted(q["category_variants"]))
            + "."
        )
    missing = sorted(
        ((k, v) for k, v in q.get("missing_share", {}).items() if v > 0), key=lambda kv: -kv[1]
    )
    facts.append(
        "Missing shares: " + (", ".join(f"{k} {v:.1%}" for k, v in missing) or "none") + "."
    )
    dropped = {c: r for c, r in q.get("dropped", {}).items() if not r.startswith("privacy")}
    if dropped:
        facts.append(
            "Columns dropped: " + "; ".join(f"{c} ({r})" for c, r in dropped.items()) + "."
        )
    identifiers = list(q.get("identifiers_dropped", [])) or [
        c for c, action in q.get("privacy", {}).items() if action.startswith("dropped")
    ]
    facts.append(
        f"Direct identifiers dropped: {', '.join(identifiers) or 'none found'}; the customer id "
        "is pseudonymised (keyed hash), shown here as `customer_key`."
    )
    return facts


def quality_word(roc_auc: float) -> str:
    """ROC-AUC in words, for the headline."""
    for floor, word in ((0.9, "very well"), (0.8, "well"), (0.7, "fairly well")):
        if roc_auc >= floor:
            return word
    return "only weakly"


def money(value: float, currency: str) -> str:
    """An amount with its currency (params ``business.currency``)."""
    return f"{amount(value)} {currency}".rstrip()
