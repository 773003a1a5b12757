"""The model card (``reports/model_card.md``) and the top-risk customer table, as markdown.

Pure functions of the metrics dictionaries evaluate writes, so the card always shows the
numbers of ``metrics/*.json`` of the same run and can be tested without a pipeline.
"""

from __future__ import annotations

import pandas as pd

from churnlab.evaluation.value_report import VALUE_ORDER, saved_value_markdown
from churnlab.evaluation.wording import amount as _money
from churnlab.evaluation.wording import money, quality_facts
from churnlab.evaluation.wording import number as _f

MODEL_WHY = {
    "xgboost": (
        "Gradient-boosted trees (XGBoost) with early stopping on the validation split: it "
        "captures non-linear effects and interactions of the usage, payment and support "
        "features, and it is compared below with the baselines trained on the same split."
    ),
    "logreg": "Logistic regression on the featurized matrix: simple, linear and fully explainable.",
    "rules": "Today's business rules (points per risk signal), kept as the reference.",
    "tree": "A single decision tree on the featurized matrix: readable, but a weak ranker.",
    "forest": "A random forest on the featurized matrix (bagged deep trees).",
    "lightgbm": (
        "Gradient-boosted trees (LightGBM, leaf-wise growth) with early stopping on the "
        "validation split, chosen by the cross-validated leaderboard."
    ),
    "catboost": (
        "Gradient-boosted symmetric trees (CatBoost) with early stopping on the validation "
        "split, chosen by the cross-validated leaderboard."
    ),
    "blend": (
        "A blend of gradient-boosted trees: the mean log-odds of the models of "
        "train.blend.models (by default LightGBM and CatBoost), each early-stopped on the "
        "validation split, then calibrated on it. The default above 20,000 train+valid "
        "customers (train.model: auto), where it ranked better than XGBoost alone on the "
        "large-data benchmark (docs/model-defaults.md)."
    ),
    "svm_linear": "A linear support vector machine; probabilities from a sigmoid of its margin.",
    "svm_rbf": "An RBF-kernel support vector machine (fitted on a sample past its size limit).",
    "mlp": "A multilayer perceptron on the featurized matrix.",
}


THRESHOLD_HOW = {
    "max_f1": "max F1",
    "profit": "max expected net savings",
    "budget": "contact budget",
    "fixed": "fixed",
}


def _metrics_table(m: dict) -> list[str]:
    ci = m["roc_auc_ci"], m["pr_auc_ci"]
    level = round(100 * m["bootstrap"]["confidence"])
    rows = [
        "| metric | test | notes |",
        "| --- | ---: | --- |",
        f"| ROC-AUC | {_f(m['roc_auc'])} | {level}% CI [{_f(ci[0]['low'])}, {_f(ci[0]['high'])}] |",
        f"| PR-AUC | {_f(m['pr_auc'])} | {level}% CI [{_f(ci[1]['low'])}, {_f(ci[1]['high'])}]; "
        f"churn rate {_f(m['positive_rate'])} |",
        f"| KS | {_f(m['ks'])} | |",
        f"| top-decile lift | {_f(m['top_decile_lift'], 2)} | capture rate "
        f"{_f(m['top_decile_capture_rate'])} |",
        f"| precision / recall / F1 | {_f(m['precision'])} / {_f(m['recall'])} / {_f(m['f1'])} "
        f"| at threshold {_f(m['threshold'])} |",
        f"| Brier / log loss | {_f(m['brier'])} / {_f(m['log_loss'])} | calibration |",
    ]
    if "oracle_roc_auc" in m:
        rows.append(
            f"| oracle ROC-AUC | {_f(m['oracle_roc_auc'])} | ceiling (true churn probability) |"
        )
    return rows


def _baselines_table(m: dict) -> list[str]:
    rows = [
        "| model | ROC-AUC | PR-AUC | churners caught at the budget | expected net savings |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    b = m["business"]["at_budget"]
    rows.append(
        f"| **{m['model']}** (this model) | {_f(m['roc_auc'])} | {_f(m['pr_auc'])} | "
        f"{_f(b['churners_caught'], 1)} | {_money(b['expected_net_savings'])} |"
    )
    for name, base in m["baselines"].items():
        rows.append(
            f"| {name} | {_f(base['roc_auc'])} | {_f(base['pr_auc'])} | "
            f"{_f(base['at_budget']['churners_caught'], 1)} | "
            f"{_money(base['at_budget']['expected_net_savings'])} |"
        )
    return rows


def _segments_table(segments: dict) -> list[str]:
    rows = [
        "| segment | value | customers | churn rate | ROC-AUC | PR-AUC | recall |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for column, values in segments.items():
        for value, s in values.items():
            rows.append(
                f"| {column} | {value} | {s['n']:,} | {_f(s['churn_rate'], 3)} | "
                f"{_f(s['roc_auc'])} | {_f(s['pr_auc'])} | {_f(s['recall'])} |"
            )
    return rows


def _quality(q: dict) -> list[str]:
    return [f"- {fact}" for fact in quality_facts(q)]


def baseline_lines(m: dict) -> list[str]:
    """What the model gains over the baseline it is measured against: today's rules where
    their columns exist, else the logistic regression (and the card says why)."""
    b = m["business"]
    if "extra_churners_caught_vs_rules" in b:
        gap, against = b["extra_churners_caught_vs_rules"], "the current rules"
    elif "extra_churners_caught_vs_logreg" in b:
        gap, against = b["extra_churners_caught_vs_logreg"], "the logistic-regression baseline"
    else:
        return []
    lines = [
        f"- The model catches **{gap:,.1f} more churners** than {against} at the same contact "
        "budget."
    ]
    if "rules" not in m.get("baselines", {}):
        lines.append(
            "- Today's rules are not a baseline here: the columns they read (contract, logins, "
            "satisfaction, tenure, payments, tickets) are not in this data, so they would give "
            "every customer the same score. The logistic regression is the baseline."
        )
    return lines


def selection_lines(selection: dict | None) -> list[str]:
    """The "How the model was chosen" section from ``metrics/train.json:selection`` (empty
    when selection did not run): each candidate's out-of-fold ROC-AUC and seconds, the
    skipped ones, why."""
    if not selection:
        return []
    lines = [
        "## How the model was chosen",
        "",
        f"Selection on this data (`train.select`) chose **{selection['chosen']}**: "
        f"{selection['reason']}. Time budget {_f(selection['time_budget_s'], 0)} s, "
        f"{_f(selection['seconds'], 1)} s spent.",
        "",
        "| candidate | out-of-fold ROC-AUC (train+valid) | seconds |",
        "| --- | --- | --- |",
    ]
    for name, row in selection["candidates"].items():
        if "skipped" in row:
            lines.append(f"| {name} | skipped: {row['skipped']} | – |")
        else:
            chosen = " (chosen)" if name == selection["chosen"] else ""
            lines.append(
                f"| {name}{chosen} | {_f(row['oof_roc_auc'], 4)} | {_f(row['seconds'], 1)} |"
            )
    return [*lines, ""]


def model_card(
    m: dict,
    segments: dict,
    quality: dict,
    business: dict,
    figures: list[tuple[str, str]],
    warnings: list[str] = (),
    selection: dict | None = None,
    outlook: list[str] = (),
) -> str:
    """The model card in markdown; ``figures`` are (title, path relative to ``reports/``);
    ``warnings`` (such as a suspiciously high validation ROC-AUC) open the card; ``selection``
    is ``metrics/train.json``'s entry when the train stage chose the model; ``outlook`` is the
    uplift and survival section (:func:`churnlab.evaluation.outlook_report.card_lines`)."""
    at_t, at_b = m["business"]["at_threshold"], m["business"]["at_budget"]
    currency = business.get("currency", "")
    lines = [
        "# Model card: churn risk",
        "",
        "Generated by `churnlab evaluate` from the files in `metrics/`; do not edit by hand.",
        "",
        *[line for w in warnings for line in (f"> **WARNING: {w}**", "")],
        "## Intended use",
        "",
        "Rank active customers by their risk of churning within the label window so that a "
        "retention team can contact the riskiest ones first. Not for decisions about "
        "individuals without a human in the loop (pricing, credit, contract termination), and "
        "not for customers unlike the training population (other markets, new products).",
        "",
        "## Data and its quality",
        "",
        *_quality(quality),
        f"- Test split: {m['n']:,} customers, churn rate {_f(m['positive_rate'], 3)}.",
        "",
        "## Model",
        "",
        MODEL_WHY.get(m["model"], m["model"]),
        "",
        *selection_lines(selection),
        "## Metrics (test split)",
        "",
        *_metrics_table(m),
        "",
        f"Intervals: percentile bootstrap over customers, {m['bootstrap']['resamples']:,} "
        f"resamples (seed {m['bootstrap']['seed']}).",
        "",
        "## Threshold and business figures",
        "",
        f"Cost matrix (params `business`): a retained customer is worth "
        f"{money(business['retained_customer_value'], currency)}, an offer costs "
        f"{money(business['offer_cost'], currency)}, "
        f"{business['offer_acceptance_rate']:.0%} of contacted churners accept; break-even churn "
        "probability "
        f"{_f(m['business']['break_even_probability'], 3)}.",
        "",
        f"- **At the chosen threshold {_f(m['threshold'], 3)}** "
        f"({THRESHOLD_HOW.get(m.get('threshold_method', 'max_f1'), 'fixed')} on validation): "
        f"{at_t['contacted']:,} customers contacted, {at_t['churners_caught']:,.0f} churners "
        f"among them, expected net savings **{money(at_t['expected_net_savings'], currency)}**.",
        f"- **At the contact budget** ({business['contact_budget_share']:.0%} of customers = "
        f"{at_b['contacted']:,}): {at_b['churners_caught']:,.1f} churners caught "
        f"({at_b['capture_rate']:.1%} of all churners), expected net savings "
        f"**{money(at_b['expected_net_savings'], currency)}**.",
    ]
    lines += baseline_lines(m)
    below = m["threshold"] < m["business"]["break_even_probability"]
    lines.append(
        f"- The chosen threshold is {'below' if below else 'at or above'} the break-even "
        "probability: "
        + (
            "some contacts are expected to cost more than they save; a cost-based threshold "
            "(see the profit plot) would save more."
            if below
            else "every contact is expected to pay for itself."
        )
    )
    lines += [
        "",
        *_baselines_table(m),
        "",
        *saved_value_markdown(m["business"].get("saved_value"), currency),
        *([""] if "saved_value" in m["business"] else []),
        *outlook,
        "## Slices",
        "",
        "A slice whose metrics drop in a pull request shows in `metrics/segments.json` diffs.",
        "",
        *(
            _segments_table(segments)
            if segments
            else ["No slices: the data has no segment columns."]
        ),
        "",
        "## Limitations",
        "",
        "- Trained and tested on one snapshot; churn drivers drift, so monitor and retrain.",
        "- Scores are probabilities only as far as the calibration plot shows; the business "
        "figures assume the acceptance rate and customer value in params, not measured ones.",
        "- Explanations are contributions to the model's log-odds (exact TreeSHAP for XGBoost): "
        "they describe the model, not causes; correlated features share credit arbitrarily.",
        "- Slices with few customers have wide uncertainty; their metrics move a lot by chance.",
        "",
        "## Plots",
        "",
    ]
    for title, path in figures:
        lines += [f"### {title}", "", f"![{title}]({path})", ""]
    return "\n".join(lines).rstrip() + "\n"


def top_risk_table(table: pd.DataFrame) -> str:
    """Markdown table of the highest-risk test customers, their reasons and suggested action;
    with per-customer value (``value_at_risk`` column), ranked by expected value at risk and
    showing the value, the value at risk and whether the value-at-risk rule calls them."""
    valued = "value_at_risk" in table
    title = "Customers with the highest value at risk" if valued else "Highest-risk customers"
    lines = [
        f"# {title} of the test split",
        "",
        "Generated by `churnlab evaluate`. These are **held-out test-split customers** whose "
        "outcome is known (the `churned` column), listed to check the model's reasons — not "
        "your current customers: `churnlab predict CUSTOMERS_FILE` scores those and writes the "
        "call list. `customer_key` is the pseudonymised id. Reasons are the customer's columns "
        "with their values, each expanded feature (one-hot categories, missing-value flags, "
        "text terms) folded back into its column, and the direction it moves the risk.",
        "",
    ]
    if valued:
        lines += [VALUE_ORDER, ""]
    head = {"rank": "---:", "customer_key": "---", "churn score": "---:", "churned": ":---:"}
    head |= {"value": "---:", "value at risk": "---:", "call": ":---:"} if valued else {}
    head |= {"top reasons": "---", "suggested action": "---"}
    lines += ["| " + " | ".join(head) + " |", "| " + " | ".join(head.values()) + " |"]
    for row in table.itertuples(index=False):
        cells = [str(row.rank), f"`{row.customer_key}`", f"{row.churn_score:.3f}"]
        cells.append("yes" if row.churned else "no")
        if valued:
            cells += [_money(row.customer_value), _money(row.value_at_risk)]
            cells.append("yes" if row.call else "no")
        lines.append("| " + " | ".join([*cells, row.reasons, row.suggested_action]) + " |")
    return "\n".join(lines) + "\n"
