"""Pseudonymisation of customer identifiers and removal of direct identifiers.

Identifiers become a keyed BLAKE2b hash; the key (salt) comes from the ``CHURNLAB_SALT``
environment variable and is never written to git or to any output. The synthetic data has a
documented default so the quick start works; real data should always set its own salt.
"""

from __future__ import annotations

import hashlib
import os

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
        for v in ids.to_numpy()
    ]
    return pd.Series(hashed, index=ids.index, dtype="string", name="customer_key")


def drop_direct_identifiers(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    present = [c for c in DIRECT_IDENTIFIERS if c in frame]
    return frame.drop(columns=present), present
