"""The HTML reports: self-contained, every section present, readable in a real browser.

The browser tests render the pages with Debian's headless Chromium (``.ci/run`` installs it)
and skip cleanly where it is absent. A page must not make a single network request: Chromium's
net log lists every request a page starts (those of the browser itself, such as its update
checks, are told apart by their network isolation key, which is the page's origin).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from churnlab import io
from churnlab.config.columns import TARGET
from churnlab.evaluation import business, html_report, plots, report_pages
from churnlab.serving.predict import predict_file
from churnlab.serving.scorer import Scorer
from conftest import small_params
from test_model_card import BUSINESS, METRICS

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
TITLES = {
    "headline": "In short",
    "drivers": "What drives churn",
    "curves": "What a campaign is worth: profit and gains",
    "data-quality": "Data quality",
    "glossary": "Glossary",
}


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> report_pages.Figures:
    folder = tmp_path_factory.mktemp("figures")
    b = small_params().business
    curve = business.expected_campaign(np.linspace(0.05, 0.9, 50), np.full(50, 500.0), b)
    plots.expected_savings_png(curve, 5, "EUR", folder / "savings.png")
    plots.expected_gains_png(curve, 5, folder / "gains.png")
    return report_pages.Figures(
        ((folder / "savings.png").read_bytes(), "Expected net savings"),
        ((folder / "gains.png").read_bytes(), "Expected gains"),
    )


@pytest.fixture(scope="module")
def evaluation_html(figures, tmp_path_factory) -> Path:
    top = pd.DataFrame(
        {
            "rank": [1, 2],
            "customer_key": ["a1b2", "c3d4"],
            "churn_score": [0.97, 0.95],
            "churned": [1, 0],
            "reasons": ["Contract: Month-to-month raises risk", "tenure: 1 month raises risk"],
            "suggested_action": ["Offer a longer contract", "Onboarding call"],
        }
    )
    drivers = pd.DataFrame(
        {
            "column": ["Contract"],
            "importance": [0.5],
            "direction": ["Month-to-month raises risk; Two year lowers it"],
        }
    )
    quality = {"rows_out": 50000, "rows_in": 51037, "label_rate": 0.177, "duplicate_rows": 0}
    page = report_pages.evaluation_page(
        METRICS, quality, BUSINESS | {"currency": "EUR"}, top, drivers, figures
    )
    path = tmp_path_factory.mktemp("evaluation") / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def prediction_html(trained_run, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("predict")
    customers = io.read_table(trained_run / "data/prepared/customers.parquet")
    customers.drop(columns=[TARGET]).head(400).to_csv(root / "customers.csv", index=False)
    scorer = Scorer.load(trained_run / "models", small_params().serve)
    predict_file(scorer, root / "customers.csv", root / "out", small_params(), "", 0.0)
    return root / "out/report.html"


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)


def page_requests(tmp_path: Path, page: Path) -> tuple[str, list[str]]:
    """(the rendered DOM, the network requests the page itself started)."""
    log = tmp_path / "net.json"
    dom = chromium(tmp_path, f"--log-net-log={log}", "--dump-dom", page.as_uri()).stdout
    events = json.loads(log.read_text())
    started = events["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in events["events"]:
        p = event.get("params", {})
        if event["type"] == started and "file://" in str(p.get("network_isolation_key")):
            urls.append(p["url"])
    return dom, [u for u in urls if not u.startswith(("file:", "data:"))]


def text_of(dom: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", dom).split())


@pytest.mark.parametrize("which", ["evaluation_html", "prediction_html"])
def test_pages_are_self_contained_and_phone_ready(which, request):
    page = request.getfixturevalue(which).read_text()
    assert f'content="{html_report.CSP}"' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media (max-width: 600px)" in page
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert page.count('src="data:image/png;base64,') == 2


@pytest.mark.parametrize("which", ["evaluation_html", "prediction_html"])
def test_every_term_the_page_shows_is_in_its_glossary(which, request):
    page = request.getfixturevalue(which).read_text()
    body, glossary = page.split('<section id="glossary">')
    defined = set(re.findall(r"<dt>([^<]+)</dt>", glossary))
    for term in html_report.GLOSSARY:
        if re.search(rf"\b{re.escape(term)}\b", body, flags=re.IGNORECASE):
            assert term in defined, term
    assert {"ROC-AUC", "churn probability", "expected net savings"} <= defined


@needs_chromium
@pytest.mark.parametrize("which", ["evaluation_html", "prediction_html"])
def test_pages_render_in_chromium_with_every_section_and_no_request(which, request, tmp_path):
    path = request.getfixturevalue(which)
    dom, requests = page_requests(tmp_path, path)
    assert requests == []
    text = text_of(dom)
    for anchor, title in TITLES.items():
        assert f'id="{anchor}"' in dom and title in text, anchor
    assert "Who to call" in text
    assert "expected to save" in text and "EUR" in text
    assert "raises risk" in text
    shot = tmp_path / "phone.png"
    chromium(tmp_path, "--window-size=390,844", f"--screenshot={shot}", path.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_chromium
def test_the_request_check_sees_a_request_and_the_csp_blocks_it(evaluation_html, tmp_path):
    """The two guards can fail: an external image is a request the net log shows, and the
    page's Content-Security-Policy stops the same image from being fetched."""
    external = '<img src="http://127.0.0.1:9/tracker.png" alt="">'
    page = evaluation_html.read_text()
    with_csp = tmp_path / "with_csp.html"
    with_csp.write_text(page.replace("</main>", external + "</main>"))
    without_csp = tmp_path / "without_csp.html"
    no_policy = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    without_csp.write_text(no_policy.replace("</main>", external + "</main>"))
    assert page_requests(tmp_path / "a", with_csp)[1] == []
    assert page_requests(tmp_path / "b", without_csp)[1] == ["http://127.0.0.1:9/tracker.png"]
