"""The two HTML reports a business owner reads, filled from figures already computed.

:func:`evaluation_page` is ``reports/index.html`` of the evaluate stage (the test split: how
good the model is, what a campaign at the budget saves, the highest-risk test customers);
:func:`prediction_page` is the report ``churnlab predict`` writes beside ``predictions.csv``
(the user's current customers: the call list and what calling it is expected to save). Both
have the same sections — headline, call list, drivers, profit and gains, data quality,
glossary — built with :mod:`churnlab.evaluation.html_report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from churnlab.evaluation import html_report as h
from churnlab.evaluation import outlook_report
from churnlab.evaluation.value_report import saved_value_lines, saved_value_table
from churnlab.evaluation.wording import money, quality_facts, quality_word

# Sections every report has, in order (their anchors; tested in a real browser); the uplift
# and survival section (OUTLOOK) comes after "curves" when those stages ran.
SECTIONS = ("headline", "call-list", "drivers", "curves", "data-quality", "glossary")
OUTLOOK = "uplift-and-time"


def drivers_section(drivers: pd.DataFrame, where: str) -> h.Section:
    frame = drivers.rename(columns={"column": "column", "direction": "effect on churn risk"})
    body = h.paragraph(
        f"The columns that move the churn probability most {where}, strongest first, and how "
        "(from the exact per-customer contributions; they describe the model, not proven "
        "causes)."
    )
    if frame.empty:
        body += h.paragraph("This model has no exact explanation method: no drivers.", "note")
    else:
        body += h.table(frame[["column", "effect on churn risk"]])
    return h.Section("drivers", "What drives churn", body)


def _headline_evaluation(m: dict, b: dict) -> list[str]:
    at_b, currency = m["business"]["at_budget"], b.get("currency", "")
    churners = m["n"] * m["positive_rate"]
    lines = [
        f"The model ranks customers {quality_word(m['roc_auc'])}: on {m['n']:,} held-out test "
        f"customers it scores a churner above a customer who stays {m['roc_auc']:.0%} of the "
        f"time (ROC-AUC {m['roc_auc']:.3f}).",
        f"Calling the {b['contact_budget_share']:.0%} riskiest customers ({at_b['contacted']:,} "
        f"of {m['n']:,}, the contact budget) reaches {at_b['churners_caught']:,.0f} of the "
        f"{churners:,.0f} churners ({at_b['capture_rate']:.0%}). With "
        f"{b['offer_acceptance_rate']:.0%} of them accepting an offer, a retained customer "
        f"worth {money(b['retained_customer_value'], currency)} and "
        f"{money(b['offer_cost'], currency)} per call, that campaign is expected to save "
        f"{money(at_b['expected_net_savings'], currency)} net.",
    ]
    business = m["business"]
    if "extra_churners_caught_vs_rules" in business:
        gap, against = business["extra_churners_caught_vs_rules"], "today's rules"
    else:
        gap = business.get("extra_churners_caught_vs_logreg")
        against = (
            "a logistic regression (the baseline here: today's rules need columns this data lacks)"
        )
    if gap is not None:
        lines.append(f"That is {gap:,.0f} more churners than {against} with the same calls.")
    return lines + saved_value_lines(business.get("saved_value"), currency)


@dataclass(frozen=True)
class Figures:
    """The profit and gains figures as PNG bytes, with their captions."""

    profit: tuple[bytes, str]
    gains: tuple[bytes, str]


def page_sections(
    headline: list[str],
    call_title: str,
    call_body: str,
    drivers: h.Section,
    figures: Figures,
    quality: list[str],
    terms: list[str],
    outlook: h.Section | None = None,
    campaign: str = "",
) -> list[h.Section]:
    """The sections every report has, in the order of ``SECTIONS`` (``outlook`` after the
    curves when given; ``campaign``: HTML shown below the profit and gains figures)."""
    sections = [
        h.Section("headline", "In short", "".join(h.paragraph(t, "headline") for t in headline)),
        h.Section("call-list", call_title, call_body),
        drivers,
        h.Section(
            "curves",
            "What a campaign is worth: profit and gains",
            h.figures([figures.profit, figures.gains]) + campaign,
        ),
        h.Section("data-quality", "Data quality", h.bullet_list(quality)),
        h.glossary(terms),
    ]
    return sections if outlook is None else [*sections[:4], outlook, *sections[4:]]


def outlook_section(
    uplift: dict | None, survival: dict | None, km_png: bytes | None, currency: str
) -> h.Section | None:
    """Who an offer persuades (the policy comparison) and time to churn (the survival
    headline and Kaplan-Meier plot); None when neither stage ran."""
    body = ""
    policies = outlook_report.policy_frame(uplift, currency)
    if policies is not None:
        body += "".join(h.paragraph(t) for t in outlook_report.uplift_lines(uplift, currency))
        body += h.table(policies)
    lines = outlook_report.survival_lines(survival, currency)
    if lines:
        body += "".join(h.paragraph(t) for t in lines)
        saved = outlook_report.saved_value_frame(survival, currency)
        body += "" if saved is None else h.table(saved)
        if km_png:
            body += h.figure(km_png, "Kaplan-Meier survival by segment (test), 95% bands")
    if not body:
        return None
    return h.Section(OUTLOOK, "Who an offer persuades, and when customers leave", body)


def quality_items(facts: list[str], warnings: list[str]) -> list[str]:
    """The data-quality section's items: the model's warnings first (a validation ROC-AUC of
    0.99 or more means a leak far more often than a great model: issue 15), then the facts."""
    return [f"WARNING: {w}" for w in warnings] + list(facts)


# The glossary entries of each page: the terms it shows.
EVALUATION_TERMS = [
    "ROC-AUC",
    "churn probability",
    "churn rate",
    "contact budget",
    "churners caught",
    "capture rate",
    "expected net savings",
    "break-even probability",
    "cumulative gains",
    "reason",
    "suggested action",
    "missing share",
]
PREDICTION_TERMS = [
    "ROC-AUC",
    "churn probability",
    "risk tier",
    "expected value at risk",
    "contact budget",
    "expected net savings",
    "cumulative gains",
    "reason",
    "suggested action",
    "missing share",
    "rejected row",
]


CALL_LIST_NAMES = {"churn_score": "churn probability", "suggested_action": "suggested action"}
CALL_LIST_NAMES |= {"customer_value": "value", "value_at_risk": "value at risk"}
CALL_LIST_FORMATS = {"churn probability": ".3f", "value": ",.0f", "value at risk": ",.0f"}


def evaluation_page(
    m: dict,
    quality: dict,
    business: dict,
    top_risk: pd.DataFrame,
    drivers: pd.DataFrame,
    figures: Figures,
    warnings: list[str] = (),
    outlook: h.Section | None = None,
) -> str:
    """``reports/index.html``: the test-split evaluation for a reader without the metrics;
    ``warnings`` are the trained model's (``models/metadata.json``); ``outlook``:
    :func:`outlook_section` of the uplift and survival stages' figures."""
    call_list = top_risk.rename(columns=CALL_LIST_NAMES)
    for column in ("churned", "call"):
        if column in call_list:
            call_list[column] = call_list[column].map({1: "yes", 0: "no"})
    note = h.paragraph(
        "These are held-out test-split customers whose outcome is known (the churned column), "
        "shown to check the model's reasons. For your current customers run `churnlab predict "
        "CUSTOMERS_FILE`: it writes their call list and this report for them.",
        "note",
    )
    sections = page_sections(
        _headline_evaluation(m, business),
        "Who to call: the highest-risk customers of the test split",
        note + h.table(call_list, CALL_LIST_FORMATS),
        drivers_section(drivers, "on the test split"),
        figures,
        quality_items(quality_facts(quality), list(warnings)),
        EVALUATION_TERMS,
        outlook,
        saved_value_table(m["business"].get("saved_value"), business.get("currency", "")),
    )
    return h.page(
        "Churn model report",
        f"Model {m['model']}, evaluated on {m['n']:,} held-out test customers "
        "(generated by churnlab evaluate)",
        sections,
    )


@dataclass(frozen=True)
class Scored:
    """What ``churnlab predict`` found in one customers file."""

    source: str  # the file's name
    id_column: str  # the id column of the predictions (the file's own, or "row")
    predictions: pd.DataFrame  # one row per scored customer
    call_list: pd.DataFrame  # the customers to call, best first
    rejected: pd.DataFrame  # id and reason of each row that could not be scored
    rows: int  # rows in the file
    expected_churners_called: float  # sum of the call list's churn probabilities
    expected_net_savings: float  # of calling the call list
    validation_roc_auc: float | None  # the model's quality on held-out customers
    data_facts: list[str]  # data quality of the file, as sentences
    unseen: dict[str, dict[str, int]] = field(default_factory=dict)  # new categories (scored)
    warnings: list[str] = field(default_factory=list)  # the model's (models/metadata.json)


SHOWN_CALLS = 50  # call-list rows in the page (the CSV has them all)


def _headline_prediction(s: Scored, business: dict) -> list[str]:
    currency = business.get("currency", "")
    tiers = s.predictions["risk_tier"].value_counts()
    tier_text = ", ".join(f"{count:,} {tier}" for tier, count in tiers.items())
    lines = [
        f"{len(s.predictions):,} of {s.rows:,} customers in {s.source} scored ({tier_text} "
        f"risk); {len(s.rejected):,} rows could not be scored.",
        f"Call these {len(s.call_list):,} customers first (the contact budget, "
        f"{business['contact_budget_share']:.0%} of the customers, highest expected value at "
        f"risk first): about {s.expected_churners_called:,.0f} of them are expected to leave "
        f"if nobody acts, and calling them is expected to save "
        f"{money(s.expected_net_savings, currency)} net.",
    ]
    lines += outlook_report.prediction_lines(s.predictions, currency)
    if s.validation_roc_auc is not None:
        lines.append(
            f"The model ranks customers {quality_word(s.validation_roc_auc)} (ROC-AUC "
            f"{s.validation_roc_auc:.3f} on held-out validation customers). These figures are "
            "expectations from its calibrated probabilities, not outcomes."
        )
    return lines


def reasons_cell(frame: pd.DataFrame) -> pd.Series:
    """The ``reason_1..k`` columns of a frame as one text per row ("none" where empty)."""
    columns = [c for c in frame.columns if c.startswith("reason_") and c[7:].isdigit()]
    return frame[columns].apply(lambda row: "; ".join(r for r in row if r) or "none", axis=1)


def call_table(calls: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """The call list as the page shows it: one "why" cell instead of one column per reason."""
    shown = calls[["rank", id_column, "churn_probability", "risk_tier"]].copy()
    if calls["customer_value"].nunique() > 1:
        shown["value"] = calls["customer_value"]
    shown["expected value at risk"] = calls["expected_value_at_risk"]
    if "contact" in calls:
        shown["worth a call"] = calls["contact"].map({True: "yes", False: "no"})
    shown["why"] = reasons_cell(calls) if len(calls) else []
    shown["suggested action"] = calls["suggested_action"]
    return shown.rename(columns={"churn_probability": "churn probability", "risk_tier": "risk"})


def prediction_page(s: Scored, business: dict, drivers: pd.DataFrame, figures: Figures) -> str:
    """The report beside ``predictions.csv``: the call list of the user's current customers."""
    shown = call_table(s.call_list.head(SHOWN_CALLS), s.id_column)
    more = len(s.call_list) - len(shown)
    note = (
        f"The first {len(shown):,} of {len(s.call_list):,}; all are in call_list.csv."
        if more
        else ""
    )
    quality = quality_items(s.data_facts, s.warnings)
    if not s.rejected.empty:
        reasons = s.rejected["reason"].value_counts().head(5)
        quality += [f"Rejected ({n:,} rows): {why}" for why, n in reasons.items()]
    formats = {"churn probability": ".3f", "value": ",.0f", "expected value at risk": ",.0f"}
    sections = page_sections(
        _headline_prediction(s, business),
        "Who to call this week, and why",
        (h.paragraph(note, "note") if note else "") + h.table(shown, formats),
        drivers_section(drivers, "among these customers"),
        figures,
        quality,
        PREDICTION_TERMS,
    )
    return h.page(
        "Who to call: churn risk of your customers",
        f"{s.source}: {len(s.predictions):,} customers scored (generated by churnlab predict)",
        sections,
    )
