"""The model card and the top-risk table show the numbers they are given."""

from __future__ import annotations

import pandas as pd

from churnlab.evaluation.model_card import model_card, top_risk_table

METRICS = {
    "model": "xgboost",
    "n": 7500,
    "positive_rate": 0.1772,
    "roc_auc": 0.864701,
    "pr_auc": 0.623856,
    "roc_auc_ci": {"low": 0.854475, "high": 0.875395},
    "pr_auc_ci": {"low": 0.596486, "high": 0.652741},
    "bootstrap": {"resamples": 1000, "seed": 42, "confidence": 0.95},
    "ks": 0.564,
    "top_decile_lift": 3.97,
    "top_decile_capture_rate": 0.397,
    "precision": 0.57,
    "recall": 0.6,
    "f1": 0.58,
    "threshold": 0.319,
    "brier": 0.099,
    "log_loss": 0.32,
    "business": {
        "at_threshold": {
            "contacted": 1386,
            "churners_caught": 798.0,
            "expected_net_savings": 50400.0,
        },
        "at_budget": {
            "contacted": 750,
            "churners_caught": 528.0,
            "capture_rate": 0.397,
            "expected_net_savings": 41700.0,
        },
        "break_even_probability": 0.333333,
        "extra_churners_caught_vs_rules": 148.056,
    },
    "baselines": {
        "rules": {
            "roc_auc": 0.772,
            "pr_auc": 0.387,
            "at_budget": {"churners_caught": 379.9, "expected_net_savings": 19491.6},
        },
    },
}
BUSINESS = {
    "retained_customer_value": 500.0,
    "offer_cost": 50.0,
    "offer_acceptance_rate": 0.3,
    "contact_budget_share": 0.1,
}
SEGMENTS = {
    "plan": {
        "basic": {"n": 3683, "churn_rate": 0.185, "roc_auc": 0.8606, "pr_auc": 0.62, "recall": None}
    }
}


def test_model_card_has_the_figures_and_plots():
    card = model_card(
        METRICS,
        SEGMENTS,
        {"rows_out": 50000, "rows_in": 51037},
        BUSINESS,
        [("ROC curve", "../plots/roc.png")],
    )
    assert "| ROC-AUC | 0.8647 | 95% CI [0.8545, 0.8754] |" in card
    assert "catches **148.1 more churners** than the current rules" in card
    assert "expected net savings **50,400**" in card
    assert "| plan | basic | 3,683 | 0.185 | 0.8606 | 0.6200 | – |" in card
    assert "| rules | 0.7720 | 0.3870 | 379.9 | 19,492 |" in card
    assert "below the break-even probability" in card
    assert "![ROC curve](../plots/roc.png)" in card
    for section in ("Intended use", "Data and its quality", "Limitations", "Slices"):
        assert f"## {section}" in card


def test_top_risk_table_rows():
    table = pd.DataFrame(
        {
            "rank": [1],
            "customer_key": ["abc"],
            "churn_score": [0.9123],
            "churned": [1],
            "reasons": ["satisfaction (+1.20)"],
            "suggested_action": ["Call about their service problems"],
        }
    )
    text = top_risk_table(table)
    assert "| 1 | `abc` | 0.912 | yes | satisfaction (+1.20) |" in text
    assert "satisfaction (+1.20) | Call about their service problems |" in text
    assert "held-out test-split customers" in text  # observation 4: says whose list it is


def test_model_card_says_how_the_model_was_chosen_only_when_selection_ran():
    selection = {
        "chosen": "catboost",
        "reason": "best out-of-fold ROC-AUC over train+valid (0.6812) of 2 tried",
        "time_budget_s": 83.0,
        "seconds": 71.25,
        "candidates": {
            "xgboost": {"oof_roc_auc": 0.6701, "seconds": 30.5},
            "catboost": {"oof_roc_auc": 0.6812, "seconds": 40.75},
            "logreg": {"skipped": "time budget: 71 s of 83 s spent"},
        },
        "skipped": ["logreg"],
    }
    args = (METRICS, SEGMENTS, {"rows_out": 50000, "rows_in": 51037}, BUSINESS, [])
    card = model_card(*args, selection=selection)
    assert "## How the model was chosen" in card
    assert "chose **catboost**: best out-of-fold ROC-AUC over train+valid (0.6812)" in card
    assert "| catboost (chosen) | 0.6812 | 40.8 |" in card
    assert "| xgboost | 0.6701 | 30.5 |" in card
    assert "| logreg | skipped: time budget: 71 s of 83 s spent | – |" in card
    assert card.index("## How the model was chosen") < card.index("## Metrics (test split)")
    assert "How the model was chosen" not in model_card(*args)
