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
