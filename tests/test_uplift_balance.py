"""The past campaign's balance in the data-quality report (campaign_data.balance_report and
data.quality.balance_lines)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnlab.data import quality
from churnlab.uplift import campaign_data


def _campaign(n: int, seed: int, skew: float):
    """Treated customers are older by ``skew`` standard deviations; tenure is balanced."""
    rng = np.random.default_rng(seed)
    flags = (rng.random(n) < 0.3).astype("int8")
    frame = pd.DataFrame(
        {
            "age": rng.normal(size=n) + skew * flags,
            "tenure_days": rng.normal(size=n),
            "plan": rng.choice(["a", "b"], n),  # not numeric: left out
        }
    )
    return frame, flags


def test_randomised_campaign_is_reported_balanced():
    frame, flags = _campaign(20_000, 0, skew=0.0)
    section = campaign_data.balance_report(frame, flags)
    assert section["treated"] == int(flags.sum()) and section["control"] == 20_000 - flags.sum()
    assert set(section["smd"]) == {"age", "tenure_days"} and section["imbalanced"] == []
    lines = quality.balance_lines(section)
    assert "- balanced: every |SMD| <= 0.1" in lines
    assert not any("warning" in line for line in lines)


def test_targeted_campaign_warns_on_the_skewed_column_only():
    frame, flags = _campaign(20_000, 1, skew=0.3)
    section = campaign_data.balance_report(frame, flags)
    assert section["imbalanced"] == ["age"]
    assert 0.2 < section["smd"]["age"] < 0.4
    warnings = [line for line in quality.balance_lines(section) if "warning" in line]
    assert len(warnings) == 1 and "`age`" in warnings[0] and "uplift.propensity" in warnings[0]


def test_synthetic_report_shows_the_section_not_a_table_row():
    frame, flags = _campaign(2_000, 2, skew=0.5)
    figures = {"rows_in": 2_000, "campaign_balance": campaign_data.balance_report(frame, flags)}
    text = quality.synthetic_markdown(figures)
    assert "| rows_in | 2000 |" in text and "| campaign_balance |" not in text
    assert "## Past campaign: balance of treated and control" in text and "`age`" in text
    # No campaign: the report is as before.
    assert "Past campaign" not in quality.synthetic_markdown({"rows_in": 1})


def test_smd_is_the_hand_computed_formula_and_balance_uses_it():
    # means 3 and 1, population variances 5 and 3: (3 - 1) / sqrt((5 + 3) / 2) = 1
    assert campaign_data.smd(3.0, 5.0, 1.0, 3.0) == 1.0
    assert campaign_data.smd(1.0, 5.0, 3.0, 3.0) == -1.0
    assert campaign_data.smd(2.0, 0.0, 2.0, 0.0) is None  # no spread
    assert campaign_data.smd(2.0, float("nan"), 1.0, 1.0) is None  # a missing figure
    frame = pd.DataFrame({"x": [1.0, 3.0, 5.0, 0.0, 2.0, np.nan]})
    flags = np.array([1, 1, 1, 0, 0, 0])
    # treated 1, 3, 5: mean 3, variance 8/3; control 0, 2 (NaN left out): mean 1, variance 1
    expected = round((3 - 1) / np.sqrt((8 / 3 + 1) / 2), 6)
    assert campaign_data.balance(frame, flags) == {"x": expected}
