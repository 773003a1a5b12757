"""One self-contained HTML page: sections, tables, inline figures, a glossary; works offline.

Pure string building, no template engine: the page has no script, its figures are PNGs inlined
as ``data:`` URIs, its CSS is inline, and a Content-Security-Policy meta forbids any network
load, so the file reads the same from an e-mail attachment, a phone or an air-gapped laptop.
:mod:`churnlab.evaluation.report_pages` fills it for the evaluate stage and for ``churnlab
predict``.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

# No request may leave the file: every fetch is refused, only inline images and styles load.
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  color: #1d2330; background: #f6f7fb; line-height: 1.5; }
main { max-width: 980px; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
header { background: #283593; color: #fff; padding: 1.25rem; }
header h1 { margin: 0 auto; max-width: 980px; font-size: 1.5rem; }
header p { margin: 0.25rem auto 0; max-width: 980px; opacity: 0.85; }
section { background: #fff; border-radius: 8px; padding: 0.75rem 1.25rem 1rem;
  margin: 1rem 0; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.08); }
h2 { font-size: 1.2rem; margin: 0.5rem 0; }
.headline { font-size: 1.1rem; }
.note { color: #5a6270; font-size: 0.9rem; }
.warning { border-left: 4px solid #e65100; padding-left: 0.75rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid #e3e6ee;
  vertical-align: top; }
th { background: #eef0f7; }
td.num { text-align: right; white-space: nowrap; }
figure { margin: 0.5rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { color: #5a6270; font-size: 0.85rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr));
  gap: 1rem; }
dt { font-weight: 600; margin-top: 0.5rem; }
dd { margin-left: 1rem; }
@media (max-width: 600px) {
  main { padding: 0.5rem; }
  section { padding: 0.5rem 0.75rem; }
  thead { display: none; }
  table, tbody, tr, td { display: block; width: 100%; box-sizing: border-box; }
  tr { border: 1px solid #e3e6ee; border-radius: 6px; margin-bottom: 0.5rem; }
  td, td.num { text-align: left; white-space: normal; border: none; }
  td::before { content: attr(data-label) ": "; font-weight: 600; }
}
"""

# Every metric or term a page may show; a page lists the ones it uses (tested).
GLOSSARY = {
    "ROC-AUC": "The chance that the model scores a random churner above a random customer who "
    "stays: 0.5 is guessing, 1.0 is perfect.",
    "PR-AUC": "Average precision over all contact-list lengths; compare it with the churn rate, "
    "which is what random calling achieves.",
    "churn probability": "The model's estimate that the customer leaves within the label "
    "window, calibrated on held-out customers so that 0.3 means about 3 in 10 such customers "
    "leave.",
    "risk tier": "The churn probability in words (params serve.tier_names and tier_bounds).",
    "expected value at risk": "Churn probability × the customer's value: what the business "
    "expects to lose with this customer if nobody acts.",
    "expected net savings": "Expected value kept by a retention campaign minus the cost of "
    "every contact: churners contacted × acceptance rate × value − contacts × offer cost.",
    "contact budget": "How many customers the campaign can call: params "
    "business.contact_budget_share of the customers, highest expected value at risk first.",
    "churners caught": "Churners among the customers contacted.",
    "capture rate": "Share of all churners who are on the contact list.",
    "churn rate": "Share of customers who leave within the label window.",
    "break-even probability": "The churn probability above which one contact pays for "
    "itself: offer cost ÷ (acceptance rate × customer value).",
    "cumulative gains": "For each share of customers contacted (riskiest first), the share of "
    "all churners reached; the diagonal is random calling.",
    "reason": "A column of the customer's data and its value, with the direction it moves the "
    "churn probability (from exact per-customer contributions, SHAP for tree models). Reasons "
    "describe the model, not proven causes.",
    "suggested action": "From the action table in params (actions): the family of the "
    "strongest reason that raises the customer's risk decides it.",
    "missing share": "Share of rows whose value in a column is empty.",
    "rejected row": "A row that could not be scored (a required value missing or not readable); "
    "it is listed with its reason and has no score.",
}


@dataclass(frozen=True)
class Section:
    """One block of the page: an anchor, a heading and its HTML body."""

    anchor: str
    title: str
    body: str


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def inline(text: str) -> str:
    """Plain text escaped, with markdown's `code` spans as ``<code>``."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", esc(text))


def paragraph(text: str, css: str = "") -> str:
    """A paragraph of plain text (escaped), with an optional CSS class."""
    attr = f' class="{css}"' if css else ""
    return f"<p{attr}>{inline(text)}</p>"


def bullet_list(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{inline(item)}</li>" for item in items) + "</ul>"


def table(frame: pd.DataFrame, formats: dict[str, str] | None = None) -> str:
    """An HTML table of ``frame`` (escaped); ``formats`` maps columns to format specs, and
    those columns are right-aligned. On a phone each row becomes a card of label: value."""
    formats = formats or {}
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, record, strict=True):
            label = f'data-label="{esc(column)}"'
            if column in formats and value is not None and not pd.isna(value):
                cells.append(f'<td class="num" {label}>{esc(format(value, formats[column]))}</td>')
            else:
                cells.append(f"<td {label}>{esc('' if value is None else value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    body = "".join(rows)
    table_html = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="scroll">{table_html}</div>'


def figure(png: bytes, caption: str) -> str:
    """A PNG inlined as a data URI, with its caption as alt text and below it."""
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(caption)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def figures(items: Iterable[tuple[bytes, str]]) -> str:
    return '<div class="figures">' + "".join(figure(png, cap) for png, cap in items) + "</div>"


def glossary(terms: Iterable[str]) -> Section:
    """The glossary section of the ``terms`` a page shows (each must be in ``GLOSSARY``)."""
    entries = "".join(
        f"<dt>{esc(term)}</dt><dd>{esc(GLOSSARY[term])}</dd>" for term in dict.fromkeys(terms)
    )
    return Section("glossary", "Glossary", f"<dl>{entries}</dl>")


def page(title: str, subtitle: str, sections: list[Section]) -> str:
    """The whole document: head with viewport and CSP, a header, one ``<section>`` each."""
    blocks = "".join(
        f'<section id="{esc(s.anchor)}"><h2>{esc(s.title)}</h2>{s.body}</section>' for s in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body><header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>"
        f"<main>{blocks}</main></body></html>\n"
    )
