"""Reasons in words: contributions folded back to the customer's own columns, and what to do.

The model sees expanded features (``cat__Contract_Two year``, missing-value indicators, TF-IDF
terms, bins); a reader knows the columns of the file. :func:`fold_map` maps every model input to
the prepared column it comes from, :func:`fold` adds up the contributions of
:mod:`churnlab.evaluation.explain` per column, and :func:`top_reasons` words the strongest
ones with the customer's value and direction: "Contract: Month-to-month raises risk",
"tenure: 1 month lowers risk" — the one wording of reasons, used by ``churnlab predict``,
``churnlab score``, the API and the evaluate stage. A one-hot column that is 0 is never a
reason by itself: its share is part of its column's total, shown with the customer's value.

:func:`suggested_actions` looks up the rule table of params ``actions`` by the column of each
customer's strongest risk-raising reason; :func:`drivers` words the columns that move the
scores most over many customers ("Contract: Month-to-month raises risk; Two year lowers it").
A little over 300 lines: folding and wording are one concept, and every reader of reasons
(predict, score, the API, evaluate) imports this one module.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from churnlab.config.report import ActionsParams, ReportParams
from churnlab.evaluation import explain

RAISES, LOWERS = "raises risk", "lowers risk"
CATEGORICAL_BRANCHES = ("cat", "ord", "target")
# Contributions smaller than this (in log-odds) are no reason at all.
NEGLIGIBLE = 1e-9


@dataclass(frozen=True)
class FoldMap:
    """Which column each model input comes from: ``owner[j]`` indexes ``columns``."""

    features: list[str]  # the model inputs, in the model's order
    columns: list[str]  # the source columns, in order of first appearance
    owner: np.ndarray  # int, one per feature
    text: frozenset[str]  # source columns that are free text (their features are terms)
    categorical: frozenset[str]  # source columns encoded as categories


def _source(rest: str, candidates: list[str]) -> str:
    """The input column a transformed name (without its branch prefix) was made from."""
    if len(candidates) == 1:
        return candidates[0]
    found = [
        c for c in candidates if rest == c or rest.startswith(c + "_") or rest.endswith("_" + c)
    ]
    return max(found, key=len) if found else rest


def fold_map(pipeline, features: list[str]) -> FoldMap:
    """The source column of each of ``features`` (the model inputs of ``pipeline``)."""
    steps = getattr(pipeline, "named_steps", {})
    branches: dict[str, list[str]] = {}
    if "features" in steps and "columns" in steps["features"].named_steps:
        for name, _, cols in steps["features"].named_steps["columns"].transformers_:
            if name != "remainder":
                branches[name] = [str(c) for c in cols]
    sources, kinds = [], {}
    for feature in features:
        branch, sep, rest = feature.partition("__")
        if not sep or branch not in branches:  # no featurizer (rules), or PCA components
            sources.append(feature)
            continue
        source = _source(rest, branches[branch])
        sources.append(source)
        kinds.setdefault(source, branch)
    columns = list(dict.fromkeys(sources))
    index = {c: i for i, c in enumerate(columns)}
    return FoldMap(
        features=list(features),
        columns=columns,
        owner=np.array([index[s] for s in sources], dtype=int),
        text=frozenset(c for c, b in kinds.items() if b == "text"),
        categorical=frozenset(c for c, b in kinds.items() if b in CATEGORICAL_BRANCHES),
    )


def fold(contribs: pd.DataFrame, fmap: FoldMap) -> pd.DataFrame:
    """Contributions per source column: the sum over the model inputs made from it."""
    ownership = np.zeros((len(fmap.features), len(fmap.columns)))
    ownership[np.arange(len(fmap.features)), fmap.owner] = 1.0
    values = contribs[fmap.features].to_numpy(dtype="float64") @ ownership
    return pd.DataFrame(values, index=contribs.index, columns=fmap.columns)


def values_of_columns(pipeline, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`values_frame` of rows given as column arrays (the API's fast path): the same
    values without building a DataFrame, which costs more than scoring one customer."""
    steps = getattr(pipeline, "named_steps", {})
    if "features" in steps and "ratios" in steps["features"].named_steps:
        return {**columns, **steps["features"].named_steps["ratios"].apply(columns)}
    return columns


def values_frame(pipeline, frame: pd.DataFrame) -> pd.DataFrame:
    """The customers' values of every source column: the prepared columns plus the constructed
    ones (ratios, products), as the featurizer's first step computes them."""
    steps = getattr(pipeline, "named_steps", {})
    if "features" in steps and "ratios" in steps["features"].named_steps:
        # pandas output names the columns in the fitted order: give them in that order.
        order = list(steps["features"].feature_names_in_)
        return steps["features"].named_steps["ratios"].transform(frame[order])
    return frame


def default_unit(column: str) -> str:
    """``_days`` columns count days; a tenure column without a unit in its name counts months
    (subscription exports such as Telco's ``tenure``), as the derived tenure bands assume."""
    name = column.lower()
    if name.endswith("_days") or ("tenure" in name and "day" in name):
        return "days"
    return "months" if "tenure" in name else ""


def _unit(column: str, value: float, units: dict[str, str]) -> str:
    unit = units[column] if column in units else default_unit(column)
    if unit and value == 1 and unit.endswith("s"):
        unit = unit[:-1]
    return f" {unit}" if unit else ""


def describe(value, column: str, units: dict[str, str]) -> str:
    """A customer's value of one column as a reader writes it (numbers rounded, unit added)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "missing"
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if number.is_integer():
            text = f"{int(number):,}"
        elif abs(number) >= 1000:
            text = f"{number:,.0f}"
        else:
            text = f"{number:.2f}".rstrip("0").rstrip(".")
        return text + _unit(column, number, units)
    return str(value)


def _terms(
    row: np.ndarray, columns: list[str], sign: float, text: str | None = None, top: int = 2
) -> str:
    """The text terms behind a text column's contribution, strongest first, in quotes; with
    ``text`` (the customer's own), only terms it contains: a word the customer did not write
    is no reason, as a one-hot column that is 0 is none."""
    words = [explain.readable(c).replace("_", " ") for c in columns]
    written = text.lower() if isinstance(text, str) else None
    found = []
    for j in np.argsort(-(row * sign), kind="stable"):
        if row[j] * sign <= NEGLIGIBLE or len(found) == top:
            break
        if written is None or re.search(rf"\b{re.escape(words[j])}\b", written):
            found.append(f'"{words[j]}"')
    return ", ".join(found)


@dataclass(frozen=True)
class Reasons:
    """Each customer's ``k`` strongest reasons, shape (n, k) each: the sentence ("Contract:
    Month-to-month raises risk"), its source column and that column's summed contribution
    (log-odds); "", "" and NaN where a customer has fewer reasons."""

    texts: np.ndarray
    columns: np.ndarray
    contributions: np.ndarray
    strongest_up: np.ndarray  # the column of the strongest risk-raising reason, "" if none


def _cells(values: pd.DataFrame | dict, column: str, n: int) -> np.ndarray:
    if column not in values:
        return np.full(n, None, dtype=object)
    found = values[column]
    return found.to_numpy(dtype=object) if hasattr(found, "to_numpy") else np.asarray(found, object)


def top_reasons(
    contribs: pd.DataFrame, fmap: FoldMap, values: pd.DataFrame | dict, k: int, units: dict
) -> Reasons:
    """The one wording of reasons (``churnlab predict``, ``churnlab score``, the API and the
    evaluate stage's top-risk list): the ``k`` source columns with the largest folded
    |contribution| per customer, with the customer's value (``values``: a frame or column
    arrays, row by position) and the direction. A text column names the terms the customer wrote."""
    folded = fold(contribs, fmap).to_numpy()
    n = len(folded)
    order, top = explain.strongest(np.abs(folded), k)
    texts = np.full((n, k), "", dtype=object)
    columns = np.full((n, k), "", dtype=object)
    amounts = np.full((n, k), np.nan)
    raw = contribs[fmap.features].to_numpy(dtype="float64")
    cells: dict[str, np.ndarray] = {}
    for i, j in zip(*np.nonzero(top > NEGLIGIBLE), strict=True):
        column = fmap.columns[order[i, j]]
        amount = folded[i, order[i, j]]
        sign = np.sign(amount)
        columns[i, j], amounts[i, j] = column, amount
        if column not in cells:
            cells[column] = _cells(values, column, n)
        cell = cells[column][i]
        if column in fmap.text:
            mine = np.flatnonzero(fmap.owner == order[i, j])
            text = cell if isinstance(cell, str) else ""
            words = _terms(raw[i, mine], [fmap.features[m] for m in mine], sign, text)
            verb = ("raise" if sign > 0 else "lower") + (" risk" if words else "s risk")
            texts[i, j] = f"{column}: {f'the words {words}' if words else 'its wording'} {verb}"
            continue
        value = describe(cell, column, units)
        texts[i, j] = f"{column}: {value} {RAISES if sign > 0 else LOWERS}"
    strongest_up = np.where(
        folded.max(axis=1) > NEGLIGIBLE,
        np.asarray(fmap.columns, dtype=object)[folded.argmax(axis=1)],
        "",
    )
    return Reasons(texts, columns, amounts, strongest_up)


def _words(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.lower())


def family(column: str, actions: ActionsParams) -> str:
    """The family of the first rule with a word in ``column`` ("" when none matches)."""
    name = _words(column)
    for family_name, rule in actions.rules.items():
        if any(_words(word) in name for word in rule.match):
            return family_name
    return ""


def suggested_actions(columns: np.ndarray, actions: ActionsParams) -> tuple[list, list]:
    """(family, action) for each customer's strongest risk-raising column ("" = none)."""
    by_family = {name: rule.action for name, rule in actions.rules.items()}
    found = {c: family(c, actions) for c in pd.unique(np.asarray(columns, dtype=object))}
    families = [found[c] for c in columns]
    return families, [by_family.get(f, actions.default) for f in families]


def explain_customers(
    pipeline,
    frame: pd.DataFrame,
    contribs: pd.DataFrame,
    k: int,
    report: ReportParams,
    actions: ActionsParams,
) -> pd.DataFrame:
    """``reason_1..k``, ``reason_family`` and ``suggested_action`` per customer of ``frame``
    (prepared model inputs) from the model inputs' contributions ``contribs``."""
    fmap = fold_map(pipeline, list(contribs.columns))
    found = top_reasons(contribs, fmap, values_frame(pipeline, frame), k, report.units)
    out = pd.DataFrame({f"reason_{j + 1}": found.texts[:, j] for j in range(k)}, index=frame.index)
    out["reason_family"], out["suggested_action"] = suggested_actions(found.strongest_up, actions)
    return out


def _direction(column: str, folded: pd.Series, values: pd.Series | None, fmap: FoldMap) -> str:
    if column in fmap.categorical and values is not None:
        labels = values.astype("string").fillna("missing").to_numpy()
        means = pd.Series(folded.to_numpy()).groupby(labels).mean()
        up = means[means > NEGLIGIBLE].sort_values(ascending=False).index[:2].tolist()
        down = means[means < -NEGLIGIBLE].sort_values().index[:2].tolist()
        parts = [f"{', '.join(up)} {RAISES}"] if up else []
        parts += [f"{', '.join(down)} lower{'s' if len(down) == 1 else ''} it"] if down else []
        return "; ".join(parts)
    dates = values is not None and pd.api.types.is_datetime64_any_dtype(values)
    if dates or (values is not None and pd.api.types.is_numeric_dtype(values)):
        present = values.notna().to_numpy()
        numbers = values[present].astype("int64") if dates else values[present]
        x, c = numbers.to_numpy(dtype="float64"), folded.to_numpy()[present]
        if len(x) > 2 and np.ptp(x) > 0 and np.ptp(c) > 0:
            rho = spearmanr(x, c).statistic
            if np.isfinite(rho) and abs(rho) > 0.05:
                if dates:
                    return f"{'later' if rho > 0 else 'earlier'} dates raise risk"
                return f"{'higher' if rho > 0 else 'lower'} values raise risk"
    return "raises or lowers risk depending on the customer"


DRIVER_COLUMNS = ["column", "importance", "direction"]


def no_drivers() -> pd.DataFrame:
    """The drivers of a model without an exact explanation method: none."""
    return pd.DataFrame(columns=DRIVER_COLUMNS)


def drivers(contribs: pd.DataFrame, fmap: FoldMap, values: pd.DataFrame, top: int) -> pd.DataFrame:
    """The ``top`` columns that move the scores most (mean |folded contribution|), each with
    its direction in words; for a text column, the terms that raise risk most."""
    folded = fold(contribs, fmap)
    importance = folded.abs().mean(axis=0).sort_values(ascending=False, kind="stable")
    rows = []
    for column, weight in importance[importance > NEGLIGIBLE].head(top).items():
        if column in fmap.text:
            mine = np.flatnonzero(fmap.owner == fmap.columns.index(column))
            mean = contribs[[fmap.features[m] for m in mine]].mean(axis=0).to_numpy()
            words = _terms(mean, [fmap.features[m] for m in mine], 1.0, top=3)
            direction = f"the words {words} raise risk" if words else "its wording matters"
        else:
            direction = _direction(column, folded[column], values.get(column), fmap)
        rows.append({"column": column, "importance": float(weight), "direction": direction})
    return pd.DataFrame(rows, columns=DRIVER_COLUMNS)
