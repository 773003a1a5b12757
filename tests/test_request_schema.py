"""The API's request schema for a user-table model states exactly what the conversions read.

For generated values (hypothesis), three answers must agree: the published JSON schema (checked
with jsonschema-rs, the validator schemathesis uses), the server's request model (pydantic) and
:func:`churnlab.data.conversions.replay` (a row without a reject). The text forms come from one
definition in :mod:`churnlab.data.conversions`, which replay also reads by; a second test shows
that definition is what ``pd.to_numeric`` parses, so replay reads files as it did before.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from pydantic import ValidationError

from churnlab.data import conversions
from churnlab.serving.request_schema import raw_request_model

hypothesis = pytest.importorskip("hypothesis")
jsonschema_rs = pytest.importorskip("jsonschema_rs")
st = hypothesis.strategies

RULES = {
    "number": {"as": "number", "decimal_comma": False},
    "decimal comma": {"as": "number", "decimal_comma": True},
    "number read as missing when unreadable": {"as": "number", "invalid": 3},
    "flag": {"as": "flag"},
    "flag read as missing when unreadable": {"as": "flag", "invalid": 2},
}
KINDS = {"number": "number", "flag": "number"}
# Characters of numbers, words, blanks and the odd digit or space that is not ASCII.
ALPHABET = "0123456789+-.,eE nNaAyYsStTrRuUfFlLoO\t\n\u00a0\u3000\u0661\uff11_x"
SETTINGS = hypothesis.settings(
    max_examples=25, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)  # fmt: skip


def record(rule: dict) -> dict:
    return {
        "source": "csv",
        "id": "",
        "label": {"column": "Churn"},
        "columns": {"x": {"type": "numeric"}},
        "parse": {"x": rule},
    }


def judges(rule: dict, required: bool):
    """(the schema accepts, the request model accepts) one value of column x; and what
    replay says of a batch of values (True: read without a reject), as the API builds it."""
    contract = {"x": {"kind": KINDS[rule["as"]], "required": required}}
    model = raw_request_model(record(rule), contract)
    validator = jsonschema_rs.validator_for(model.model_json_schema())

    def judge(value) -> tuple[bool, bool]:
        try:
            model.model_validate({"x": value})
            served = True
        except ValidationError:
            served = False
        return validator.is_valid({"x": value}), served

    def read(batch: list, allowed: bool = True) -> list[bool]:
        if allowed:  # as the API passes them on
            rows = [model.model_validate({"x": v}).model_dump(by_alias=True) for v in batch]
            frame = pd.DataFrame.from_records(rows, columns=["x"])
        else:  # refused texts, as a file holds them
            frame = pd.DataFrame({"x": pd.Series(batch, dtype="object")})
        errors = conversions.replay(frame, record(rule), contract, partial=True).errors
        return errors.isna().tolist()

    return judge, read


def values(rule: dict, required: bool):
    pattern = conversions.accepted_text(rule, required)
    texts = [st.text(ALPHABET, max_size=12), st.text(max_size=6)]
    if pattern is not None:
        texts.append(st.from_regex(pattern))
    # JSON numbers are finite (the server refuses NaN and infinity before reading)
    numbers = [st.integers(-(10**20), 10**20), st.floats(allow_nan=False, allow_infinity=False)]
    return st.lists(st.one_of(*texts, *numbers, st.booleans()), min_size=1, max_size=20)


def out_of_bounds(value) -> bool:
    """Numbers written with 3+ exponent digits or 200+ digits: files read them, the API not
    (the bound keeps every number the schema allows finite)."""
    text = value.strip().replace(",", ".")
    bounded = re.compile(conversions.number_text(bounded=True))
    return bool(conversions.NUMBER.fullmatch(text)) and not bounded.fullmatch(text)


@pytest.mark.parametrize("required", [True, False], ids=["required", "optional"])
@pytest.mark.parametrize("name", list(RULES))
def test_the_schema_allows_exactly_what_replay_reads(name, required):
    """The JSON schema and the request model agree on every value; every batch of allowed
    values is read without a reject; and a text is allowed exactly when replay reads it."""
    rule = RULES[name]
    judge, read = judges(rule, required)

    @SETTINGS
    @hypothesis.given(batch=values(rule, required))
    def check(batch):
        judged = [judge(v) for v in batch]
        assert [s for s, _ in judged] == [m for _, m in judged], batch
        allowed = [v for v, (s, _) in zip(batch, judged, strict=True) if s]
        assert all(read(allowed)), allowed
        texts = [v for v in batch if isinstance(v, str) and not out_of_bounds(v)]
        refused = [v for v in texts if not judge(v)[0]]
        assert not any(read(refused, allowed=False)), refused

    check()


@pytest.mark.parametrize(
    ("name", "required", "value", "expected"),
    [
        ("number", True, "", False),  # the case: a blank in a required number
        ("number", False, " ", True),
        ("number", True, " 29.85 ", True),
        ("number", True, "nan", False),
        ("number", False, "NaN", True),
        ("number", True, "1e400", False),  # not finite
        ("decimal comma", True, "45,30", True),
        ("number", True, "45,30", False),
        ("number", True, True, False),  # a yes/no is no number
        ("number read as missing when unreadable", False, "N/A", True),
        ("flag", True, " Yes", True),
        ("flag", True, 1.0, True),
        ("flag", True, 2, False),
        ("flag", True, "maybe", False),
        ("flag", False, "", True),
    ],
)
def test_known_values(name, required, value, expected):
    judge, read = judges(RULES[name], required)
    assert judge(value) == (expected, expected)
    if isinstance(value, str):
        assert read([value], allowed=expected) == [expected]


@SETTINGS
@hypothesis.given(text=st.text(ALPHABET, max_size=12))
def test_replays_number_text_is_what_pandas_parses(text):
    """Replay reads numbers by :data:`conversions.NUMBER`, which is ``pd.to_numeric``'s
    language: gating on it changes nothing in what files read."""
    parsed = pd.to_numeric(pd.Series([text.strip()], dtype="string"), errors="coerce")
    assert bool(conversions.NUMBER.fullmatch(text.strip())) == bool(parsed.notna().iloc[0])


def test_the_pattern_allows_the_spaces_replay_strips():
    chars = [chr(i) for i in range(0x10000) if not 0xD800 <= i < 0xE000]
    stripped = pd.Series([f"{c}1{c}" for c in chars], dtype="string").str.strip()
    pattern = re.compile(conversions.accepted_text(RULES["number"], True))
    assert [c for c, s in zip(chars, stripped, strict=True) if s == "1"] == list(conversions.SPACE)
    assert all(pattern.search(f"{c}1{c}") for c in conversions.SPACE)
    assert not pattern.search("\u200b1")  # a zero-width space is not stripped
