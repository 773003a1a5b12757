"""The saved value of the evaluate report's business section, when customers have a value.

``business.saved_value`` of ``metrics/evaluate.json``
(:func:`churnlab.evaluation.business.saved_value_section`) in a sentence for the headline and
a table below the profit and gains figures: each contact policy's calls, churners reached,
customers kept and realized value saved on the test split, with the paired difference to the
churn-probability order (the survival stage's table,
:func:`churnlab.evaluation.outlook_report.saved_value_frame`, with the customers beside it);
the same in markdown for the model card's business section.
"""

from __future__ import annotations

import pandas as pd

from churnlab.evaluation import html_report as h
from churnlab.evaluation import outlook_report
from churnlab.evaluation.wording import money

VALUE_FROM = {
    "survival": "the survival model's lifetime value: margin × discounted expected lifetime",
    "column": "the value column",
}

# The top-risk list's note when customers have a value (:func:`model_card.top_risk_table`).
VALUE_ORDER = (
    "Each customer has a value here, so the list is ranked by **expected value at risk** "
    "(churn probability within the value horizon × value; that probability is the survival "
    "model's when the survival stage ran, else the churn score), highest first, not by churn "
    "score alone: a likely churner worth little can rank below a less likely one worth much. "
    "`call`: "
    "the value-at-risk rule calls them (within the contact budget, offer acceptance × value at "
    "risk above the offer's cost)."
)


def saved_value_lines(saved: dict | None, currency: str) -> list[str]:
    """The saved value of the budget in sentences (none without per-customer value)."""
    if not saved:
        return []
    rule, by_p = "value_at_risk", "probability"
    diff = saved["differences"][f"{rule}_minus_probability"]
    low, high = diff["interval"]
    lines = [
        f"Valued per customer ({VALUE_FROM.get(saved['value_from'], saved['value_from'])}) "
        f"and counted on the test split: calling the budget by churn probability saves "
        f"{money(saved['saved'][by_p], currency)} ({saved['saved_customers'][by_p]:,.1f} "
        f"customers kept); the value-at-risk rule calls {saved['contacted'][rule]:,}, saves "
        f"{money(saved['saved'][rule], currency)} ({saved['saved_customers'][rule]:,.1f} kept): "
        f"{money(diff['value'], currency)} more, 95 % paired interval "
        f"[{money(low, currency)}, {money(high, currency)}] (table below)."
    ]
    if "break_even_value_at_risk" in saved:
        lines.append(
            f"A call pays only for a customer whose expected value at risk (churn probability "
            f"× value) exceeds {money(saved['break_even_value_at_risk'], currency)}: the offer's "
            "cost divided by its acceptance rate. The list of highest-risk test customers is "
            "ranked by expected value at risk."
        )
    return lines


def saved_value_frame(saved: dict | None, currency: str) -> pd.DataFrame | None:
    """Each contact policy's calls, churners reached, customers kept and value saved on the
    test split (the survival stage's table, :func:`outlook_report.saved_value_frame`)."""
    if not saved:
        return None
    frame = outlook_report.saved_value_frame({"value": {"campaign": saved}}, currency)
    keys = list(outlook_report.VALUE_POLICIES)
    frame.insert(2, "churners reached", [saved["churners_contacted"][k] for k in keys])
    frame.insert(3, "customers kept", [f"{saved['saved_customers'][k]:,.1f}" for k in keys])
    return frame


def saved_value_caption(saved: dict) -> str:
    return (
        f"Realized on the test split: a contacted customer who churned within "
        f"{saved['churned_within_days']} days is kept with the offer's acceptance rate, worth "
        f"their value; every call costs the offer. Churn probability from the "
        f"{saved['probability_from']}."
    )


def saved_value_table(saved: dict | None, currency: str) -> str:
    """:func:`saved_value_frame` as HTML with its caption (empty without per-customer value)."""
    frame = saved_value_frame(saved, currency)
    if frame is None:
        return ""
    return h.paragraph(saved_value_caption(saved)) + h.table(frame)


def saved_value_markdown(saved: dict | None, currency: str) -> list[str]:
    """The model card's business lines on saved value: the sentences, the caption and the
    table (none without per-customer value)."""
    frame = saved_value_frame(saved, currency)
    if frame is None:
        return []
    lines = [f"- {line}" for line in saved_value_lines(saved, currency)]
    lines += ["", saved_value_caption(saved), ""]
    return lines + outlook_report.markdown_table(frame)
