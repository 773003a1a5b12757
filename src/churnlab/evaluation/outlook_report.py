"""The uplift policy comparison and the survival headline, for the HTML report and model card.

Pure functions of ``metrics/uplift.json`` and ``metrics/survival.json`` as the uplift and
survival stages write them (None, or a file that says the stage was off or skipped, gives
nothing): the uplift policy against contacting by churn risk, everyone and no one, with the
uplift policy's paired gain over each (exact on synthetic data, estimated by inverse-propensity
weighting otherwise), and the survival model's concordance, integrated Brier score against
Kaplan-Meier, and the value saved by calling in order of value at risk (expected, and
realized on the test split against calling by churn probability, with paired intervals:
:func:`saved_value_frame`); and the same headlines for a file scored by ``churnlab predict``
(:func:`prediction_lines`), with its contact decision by value at risk.
"""

from __future__ import annotations

import pandas as pd

from churnlab.evaluation.wording import money

POLICIES = {
    "uplift": "uplift policy (uplift × value − offer cost > 0, within budget)",
    "risk": "by churn risk (same number of contacts)",
    "everyone": "everyone",
    "no_one": "no one",
}


def _applies(figures: dict | None) -> bool:
    return bool(figures) and figures.get("enabled", True) and "skipped" not in figures


def policy_money(uplift: dict) -> tuple[dict, str]:
    """The policy figures used for money: exact (true effects) when known, else IPW."""
    exact = uplift["policy"].get("exact")
    if exact:
        return exact, "exact, from the true effects of the synthetic campaign"
    return uplift["policy"]["ipw"], "estimated by inverse-propensity weighting on the test split"


def policy_frame(uplift: dict | None, currency: str = "") -> pd.DataFrame | None:
    """One row per policy: customers contacted, net gain, and the uplift policy's paired
    gain over it with its interval (None when the uplift stage did not run)."""
    if not _applies(uplift):
        return None
    money_of, _ = policy_money(uplift)
    rows = []
    for key, label in POLICIES.items():
        row = {
            "policy": label,
            "contacted": money_of[key]["contacted"],
            "net gain": money(money_of[key]["net_gain"], currency),
        }
        diff = money_of.get(f"uplift_minus_{key}")
        row["uplift policy minus this"] = (
            "–"
            if diff is None
            else f"{money(diff['value'], currency)} "
            f"[{money(diff['low'], currency)}, {money(diff['high'], currency)}]"
        )
        rows.append(row)
    return pd.DataFrame(rows)


VALUE_POLICIES = {
    "value_at_risk": "value-at-risk rule (acceptance × value at risk − offer cost > 0, in budget)",
    "value_at_risk_budget": "the whole budget by value at risk",
    "probability": "the whole budget by churn probability",
}


def _interval(diff: dict | None, currency: str) -> str:
    if diff is None:
        return "–"
    low, high = diff["interval"]
    return f"{money(diff['value'], currency)} [{money(low, currency)}, {money(high, currency)}]"


def saved_value_frame(survival: dict | None, currency: str = "") -> pd.DataFrame | None:
    """One row per contact policy of the survival stage's test campaign: customers
    contacted, value saved (realized) and its paired difference to calling by churn
    probability, with the 95 % interval (None without the survival stage's figures)."""
    found = (survival or {}).get("value", {}).get("campaign") if _applies(survival) else None
    if not found:
        return None
    currency = survival["value"].get("currency", currency)
    rows = []
    for key, label in VALUE_POLICIES.items():
        diff = found["differences"].get(f"{key}_minus_probability")
        rows.append(
            {
                "policy": label,
                "contacted": found["contacted"][key],
                "value saved": money(found["saved"][key], currency),
                "minus by probability": _interval(diff, currency),
            }
        )
    return pd.DataFrame(rows)


def markdown_table(frame: pd.DataFrame) -> list[str]:
    """A frame as the lines of a markdown table."""
    lines = ["| " + " | ".join(frame.columns) + " |"]
    lines += ["| " + " | ".join("---" for _ in frame.columns) + " |"]
    return lines + ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.to_numpy()]


def uplift_lines(uplift: dict | None, currency: str = "") -> list[str]:
    """The uplift headline in sentences (empty when the stage did not run)."""
    if not _applies(uplift):
        return []
    _, how = policy_money(uplift)
    lines = [
        f"Uplift learner `{uplift['learner']}` (base model {uplift['base_model']}): Qini "
        f"coefficient {uplift['qini']:.4f}, AUUC {uplift['auuc']:.4f} on the test split"
        + (f" (oracle Qini {uplift['oracle_qini']:.4f})." if "oracle_qini" in uplift else ".")
    ]
    lines.append(
        f"Net gain of the policies ({how}); offer cost "
        f"{money(uplift['policy']['offer_cost'], currency)}, budget "
        f"{uplift['policy']['budget_share']:.0%} of the customers."
    )
    return lines


def survival_lines(survival: dict | None, currency: str = "") -> list[str]:
    """The survival headline in sentences (empty when the stage did not run)."""
    if not _applies(survival):
        return []
    s = survival
    oracle = f" (oracle {s['oracle_concordance']:.4f})" if "oracle_concordance" in s else ""
    lines = [
        f"Time to churn ({s['model']}): concordance {s['concordance']:.4f}{oracle}, Uno's "
        f"{s['uno_concordance']:.4f}; integrated Brier score {s['integrated_brier']:.4f} against "
        f"{s['km_integrated_brier']:.4f} for Kaplan-Meier (lower is better).",
    ]
    value = s.get("value")
    if value:
        saved = value["saved"]
        cur = value.get("currency", currency)
        lines.append(
            f"Calling {saved['contacted']:,} customers in order of expected value at risk is "
            f"expected to save {money(saved['by_value_at_risk'], cur)} net, against "
            f"{money(saved['by_probability'], cur)} in order of churn probability alone "
            f"(value at risk of the test customers: {money(value['at_risk'], cur)})."
        )
    if "campaign" in (value or {}):
        c = value["campaign"]
        lines.append(
            f"Value saved on the test split (realized: a contacted customer who churned within "
            f"{c['churned_within_days']} days is kept with the offer's acceptance rate, worth "
            f"their lifetime value; every call costs the offer), same contact budget, churn "
            f"probability from the {c['probability_from']}; 95 % paired bootstrap intervals:"
        )
    return lines


def card_lines(uplift: dict | None, survival: dict | None, currency: str = "") -> list[str]:
    """The model card's markdown section (empty when neither stage ran)."""
    lines: list[str] = []
    frame = policy_frame(uplift, currency)
    if frame is not None:
        lines += ["## Uplift: who to contact", "", *uplift_lines(uplift, currency), ""]
        lines += [*markdown_table(frame), ""]
    found = survival_lines(survival, currency)
    if found:
        lines += ["## Time to churn and value at risk", "", *found, ""]
        saved = saved_value_frame(survival, currency)
        lines += [] if saved is None else [*markdown_table(saved), ""]
        lines += ["![Kaplan-Meier by segment](../plots/survival/kaplan_meier.png)", ""]
    return lines


def prediction_lines(predictions: pd.DataFrame, currency: str) -> list[str]:
    """The uplift policy's and the survival model's headline of a scored file (if saved)."""
    lines = []
    if "contact" in predictions:
        contact = predictions["contact"].astype(bool)
        gain = float(predictions.loc[contact, "expected_net_gain"].sum())
        lines.append(
            f"Worth a call: {int(contact.sum()):,} customers within the budget, those whose "
            "offer is expected to keep more than it costs (offer acceptance × expected value at "
            f"risk − offer cost > 0): expected net gain {money(gain, currency)} (contact)."
        )
    if "recommended_action" in predictions:
        contact = predictions["recommended_action"] == "contact"
        gain = float(predictions.loc[contact, "uplift_net_gain"].sum())
        lines.append(
            f"The uplift model recommends contacting {int(contact.sum()):,} customers, those "
            "an offer is expected to persuade (uplift × value − offer cost > 0, within the "
            f"budget): expected net gain {money(gain, currency)} (recommended_action)."
        )
    if "median_days_to_churn" in predictions:
        at_risk = float(predictions["expected_value_at_risk"].sum())
        soon = predictions["median_days_to_churn"].notna().sum()
        lines.append(
            f"Value at risk of these customers within the value horizon: "
            f"{money(at_risk, currency)}; {soon:,} are expected to leave within the follow-up "
            "(median_days_to_churn)."
        )
    return lines
