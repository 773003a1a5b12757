"""The ≥ 0.99 validation ROC-AUC warning in the data-quality section of both HTML reports
(issue 15, item 8: log, metrics, metadata and model card had it; the quality report did not)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from churnlab.data import quality
from churnlab.evaluation import report_pages
from test_model_card import BUSINESS, METRICS

FIGURES = report_pages.Figures((b"png", "profit"), (b"png", "gains"))
FACTS = {"rows_out": 800, "rows_in": 800, "label_rate": 0.3, "duplicate_rows": 0}
WARNING = quality.too_good_warning(0.9991)


def quality_section(page: str) -> str:
    found = re.search(r'<section id="data-quality">(.*?)</section>', page, re.S)
    assert found, "no data-quality section"
    return found.group(1)


def evaluation(warnings: list[str]) -> str:
    top = pd.DataFrame(
        {
            "rank": [1],
            "customer_key": ["a1"],
            "churn_score": [0.9],
            "churned": [1],
            "reasons": ["fee: 99 raises risk"],
            "suggested_action": ["call"],
        }
    )
    drivers = pd.DataFrame({"column": ["fee"], "importance": [1.0], "direction": ["raises"]})
    return report_pages.evaluation_page(METRICS, FACTS, BUSINESS, top, drivers, FIGURES, warnings)


def prediction(warnings: list[str]) -> str:
    calls = pd.DataFrame(
        {
            "rank": [1],
            "id": ["C1"],
            "churn_probability": [0.9],
            "risk_tier": ["high"],
            "customer_value": [500],
            "expected_value_at_risk": [450.0],
            "reason_1": ["fee: 99 raises risk"],
            "suggested_action": ["call"],
        }
    )
    scored = report_pages.Scored(
        source="customers.csv",
        id_column="id",
        predictions=calls,
        call_list=calls,
        rejected=pd.DataFrame({"id": [], "reason": []}),
        rows=1,
        expected_churners_called=0.9,
        expected_net_savings=100.0,
        validation_roc_auc=0.9991,
        data_facts=["1 rows read, 1 scored, 0 rejected."],
        warnings=warnings,
    )
    drivers = pd.DataFrame({"column": [], "direction": []})
    return report_pages.prediction_page(scored, BUSINESS, drivers, FIGURES)


@pytest.mark.parametrize("page", [evaluation, prediction])
def test_the_leak_warning_opens_the_data_quality_section(page):
    section = quality_section(page([WARNING]))
    assert WARNING.startswith("validation ROC-AUC 0.9991 reaches 0.99")
    first_item = re.search(r"<li>(.*?)</li>", section).group(1)
    assert first_item.startswith("WARNING: validation ROC-AUC 0.9991 reaches 0.99")
    assert "WARNING" not in quality_section(page([]))


def test_the_markdown_quality_report_says_where_the_model_check_appears():
    """``reports/data_quality.md`` is written by prepare before any model exists: it names
    the places where the warning appears after training."""
    q = {
        **FACTS,
        "target_missing": 0,
        "completeness": 1.0,
        "class_counts": {"0": 560, "1": 240},
        "columns": {},
        "dropped": {},
        "leakage": {},
        "privacy": {},
        "category_variants": {},
    }
    text = quality.markdown(q, "csv")
    after = text[text.index("## Leakage flags") : text.index("## Privacy actions")]
    assert "reports/index.html" in after and f"{quality.SUSPICIOUS_AUC}" in after
