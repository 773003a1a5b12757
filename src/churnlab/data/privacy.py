"""Pseudonymisation of customer identifiers and removal of direct identifiers.

Identifiers become a keyed BLAKE2b hash; the key (salt) comes from the ``CHURNLAB_SALT``
environment variable and is never written to git or to any output. The synthetic data has a
documented default so the quick start works; real data should always set its own salt.
"""

from __future__ import annotations

import hashlib
import os
import re

import pandas as pd

SALT_ENV = "CHURNLAB_SALT"
SYNTHETIC_DEFAULT_SALT = "churnlab-synthetic-demo-salt"
DIRECT_IDENTIFIERS = ("name", "email", "phone")


def salt_from_env(default: str | None = SYNTHETIC_DEFAULT_SALT) -> bytes:
    salt = os.environ.get(SALT_ENV) or default
    if not salt:
        from churnlab.errors import UserError

        raise UserError(f"set the {SALT_ENV} environment variable to pseudonymise identifiers")
    return salt.encode("utf-8")


def pseudonymise(ids: pd.Series, salt: bytes) -> pd.Series:
    """Keyed hash of each id: stable for one salt, unlinkable to the id without it."""
    key = hashlib.blake2b(salt, digest_size=32).digest()
    hashed = [
        hashlib.blake2b(str(v).encode("utf-8"), key=key, digest_size=8).hexdigest()
        for v in ids.tolist()  # plain Python values: iterating an Arrow array is slower
    ]
    return pd.Series(hashed, index=ids.index, dtype="string", name="customer_key")


def drop_direct_identifiers(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    present = [c for c in DIRECT_IDENTIFIERS if c in frame]
    return frame.drop(columns=present), present


# Column-name tokens of direct identifiers in user data. A name alone is not enough (Telco's
# "PhoneService" is Yes/No): the column must also hold many distinct values.
IDENTIFIER_TOKENS = {
    "name", "firstname", "lastname", "fullname", "surname", "email", "mail", "phone",
    "mobile", "telephone", "address", "street", "ssn",
}  # fmt: skip
# A column named like an identifier with more distinct values than this is one.
MAX_IDENTIFIER_CATEGORIES = 50
_EMAIL = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
_PHONE = r"^\+?[\d\s().-]{7,20}$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}"


def _tokens(column: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", column)
    words = [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]
    return set(words) | {"".join(words)}


def find_direct_identifiers(frame: pd.DataFrame) -> dict[str, str]:
    """Columns holding names, emails, phones or addresses → why each was detected."""
    found = {}
    for column in frame.columns:
        values = frame[column].dropna()
        if values.empty or not (
            pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)
        ):
            continue
        # A sample is enough to judge a share of values, and fast on millions of rows.
        text = values.iloc[:20_000].astype(str).str.strip()
        distinct = text.nunique() / max(len(text), 1)
        if text.str.match(_EMAIL).mean() >= 0.5:
            found[column] = "values look like email addresses"
        elif (
            text.str.match(_PHONE).mean() >= 0.8
            and text.str.count(r"\d").min() >= 7
            and not text.str.match(_ISO_DATE).mean() > 0.5
        ):
            found[column] = "values look like phone numbers"
        elif _tokens(column) & IDENTIFIER_TOKENS and (
            distinct > 0.5 or text.nunique() > MAX_IDENTIFIER_CATEGORIES
        ):
            # Names repeat (common first and last names), so many distinct values is enough.
            found[column] = "name says direct identifier and values are many or mostly distinct"
    return found


# Direct identifiers written inside free text ("Spoke with Noah Thomas (noah@x.com, +44 7700
# 900123)"): masked in prepare so that no output, cached file or model vocabulary holds them.
EMAIL_IN_TEXT = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
# A phone number: 9+ digits in groups (or 7+ after a +), so dates (2024-01-01, 8 digits),
# amounts and short codes are left alone.
PHONE_IN_TEXT = r"(?<![\w+])(?:\+\d[\d ().-]{5,}\d|\(?\d[\d ().-]{7,}\d)(?![\w])"
CARD_OR_IBAN = r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,4})?\b"
_DIGITS = re.compile(r"\d")
# A word of a name: letters, with inner apostrophes and hyphens (O'Brien, Smith-Jones).
_WORD = r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))+"
NAME_TOKENS = {"name", "firstname", "lastname", "fullname", "surname", "givenname"}


def _phone(match: re.Match) -> str:
    """A run of digit groups: a phone number (9 to 15 digits, 7 after a ``+``), a payment
    card number (16 to 19 digits), else left as it is."""
    text = match.group(0)
    digits = len(_DIGITS.findall(text))
    if 16 <= digits <= 19:
        return "<card>"
    enough = digits >= 7 if text.startswith("+") else digits >= 9
    return "<phone>" if enough and digits <= 15 else text


def name_words(columns: dict[str, pd.Series]) -> frozenset[str]:
    """The words of a table's own name columns (``full_name``, ``FirstName``...), lower-cased:
    the person names that free text of the same table may repeat."""
    words: set[str] = set()
    for name, values in columns.items():
        if _tokens(name) & NAME_TOKENS:
            text = values.dropna().astype(str).str.lower()
            words.update(text.str.findall(_WORD).explode().dropna().tolist())
    return frozenset(words)


def mask_free_text(
    frame: pd.DataFrame, names: frozenset[str] = frozenset()
) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """``frame`` with emails, phone numbers, IBAN-like account numbers and the given person
    names (capitalised words whose lower case is in ``names``) inside its text columns
    replaced by ``<email>``, ``<phone>``, ``<account>`` and ``<name>``, and the count of each
    per column (only columns where something was masked)."""
    out, counts = frame, {}
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        masked, found = _mask(values.astype("string"), names)
        if any(found.values()):
            out = out.copy() if out is frame else out
            out[column] = masked.astype(values.dtype).where(values.notna(), values)
            counts[str(column)] = {k: v for k, v in found.items() if v}
    return out, counts


MASKS = {"<email>": "emails", "<account>": "accounts", "<phone>": "phones", "<card>": "cards"}
_CAPITALISED = rf"\b(?=[^\W\d_a-z]){_WORD}"


def _mask(text: pd.Series, names: frozenset[str]) -> tuple[pd.Series, dict[str, int]]:
    def name(match: re.Match) -> str:
        word = match.group(0).lower()
        known = word in names or re.sub(r"['’]s$", "", word) in names  # Noah's
        return "<name>" if known else match.group(0)

    steps = [(EMAIL_IN_TEXT, "<email>"), (CARD_OR_IBAN, "<account>"), (PHONE_IN_TEXT, _phone)]
    if names:
        steps.append((_CAPITALISED, name))
    tags = {**MASKS, "<name>": "names"}
    before = {tag: int(text.str.count(tag).sum()) for tag in tags}
    for pattern, repl in steps:
        hits = text.str.contains(pattern, regex=True, na=False)
        if hits.any():
            text = text.where(~hits, text[hits].str.replace(pattern, repl, regex=True))
    after = {tag: int(text.str.count(tag).sum()) for tag in tags}
    return text, {label: after[tag] - before[tag] for tag, label in tags.items()}


def masked_summary(counts: dict[str, int]) -> str:
    """``"free text: masked 2 emails, 1 phones"``, for the privacy report."""
    return "free text: masked " + ", ".join(f"{n} {kind}" for kind, n in counts.items())
