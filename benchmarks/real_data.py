"""The real tables of the real-data benchmark and how a user would point churnlab at them.

``TABLES`` holds, per table under ``../shared/data/``, exactly what a user writes in
params.yaml ``data.*`` for it (file, target, positive value, id column, columns to drop) and
nothing else: no per-table tuning beyond what the data README says a user must set.
:func:`load_table` prepares a table twice from the same file: through churnlab's own contract
(``sources.read_source`` → ``prepare_user_table``) and the way a notebook reads it
(``pandas.read_csv``), and ties the two together by customer key so that every method is
fitted and scored on the same customers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from churnlab.config.params import Params, parse_params
from churnlab.data import privacy, sources
from churnlab.data.schema_inference import label
from churnlab.data.userdata import Prepared, prepare_user_table

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT.parent / "shared" / "data"
BENCH_SALT = "churnlab-real-benchmark-salt"

# What the data README says a user must set; the rest of params.yaml stays the default.
TABLES: dict[str, dict] = {
    "telco": {
        "path": "telco_customer_churn.csv",
        "target": "Churn",
        "positive": "Yes",
        "id": "customerID",
    },
    "iranian_telecom": {
        "path": "iranian_telecom_churn.csv",
        "target": "Churn",
        "positive": 1,
        "id": "",
    },  # no id column: the row number stands in
    "cell2cell": {
        "path": "cell2cell_churn.csv",
        "target": "Churn",
        "positive": "Yes",
        "id": "CustomerID",
    },
    "tv_subscription": {
        "path": "tv_subscription_churn.csv",
        "target": "target",
        "positive": 1,
        "id": "id",  # per-customer costs of the paper's evaluation: not features
        "columns": {c: {"type": "drop"} for c in ("C_FP", "C_FN", "C_TP", "C_TN")},
    },
}


@dataclass
class Table:
    """One real table, prepared for churnlab and for the peers, aligned by customer key."""

    name: str
    params: Params
    prepared: Prepared  # churnlab's prepared table and schema
    peer_frame: pd.DataFrame  # raw user columns (id, target, drops removed), index customer_key
    row_ids: pd.Series  # customer_key → data row number in the file (0-based)
    file_sha256: str


def set_key(raw: dict, dotted: str, value: object) -> None:
    """``raw[a][b][c] = value`` for ``a.b.c``; an unknown section is a user error."""
    *parents, leaf = dotted.split(".")
    node = raw
    for key in parents:
        if not isinstance(node.get(key), dict):
            raise SystemExit(f"--set {dotted}: params.yaml has no section {key!r}")
        node = node[key]
    node[leaf] = value


def table_params(spec: dict, data_dir: Path, overrides: list[str]) -> Params:
    """The default params.yaml with the table's ``data.*`` keys and ``--set`` overrides."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["data"].update({"source": "csv", **spec, "path": str(data_dir / spec["path"])})
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--set {item!r}: expected key=value, e.g. train.xgboost.max_depth=4")
        set_key(raw, key.strip(), yaml.safe_load(value))
    return parse_params(raw, "params.yaml (with --set overrides)")


def numbers_as_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns whose every non-blank value is a number become numbers (blank → missing):
    the ``pd.to_numeric`` every notebook applies to Telco's ``TotalCharges``."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_numeric_dtype(out[column]):
            continue
        text = out[column].astype("string").str.strip()
        text = text.mask(text == "")
        parsed = pd.to_numeric(text, errors="coerce")
        if text.notna().any() and parsed.notna().sum() == text.notna().sum():
            out[column] = parsed.astype("float64")
    return out


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_table(name: str, spec: dict, data_dir: Path, overrides: list[str], salt: bytes) -> Table:
    params = table_params(spec, data_dir, overrides)
    d = params.data
    prepared = prepare_user_table(sources.read_source(d), d, salt)
    path = Path(d.path)
    raw = pd.read_csv(path, dtype={d.id: "string"} if d.id else None)
    raw = raw.rename(columns=lambda c: str(c).strip())
    labelled = label(raw[d.target], d.target, d.positive).notna()
    rows = raw[labelled.to_numpy()].reset_index(names="__row__")
    # The customer key exactly as prepare_user_table makes it (row number without an id).
    ids = (
        rows[d.id].astype("string").str.strip()
        if d.id
        else pd.Series(range(len(rows)), dtype="int64").astype("string")
    )
    keys = pd.Index(privacy.pseudonymise(ids, salt), name="customer_key")
    if set(keys) != set(prepared.table["customer_key"]):
        raise RuntimeError(
            f"{name}: the notebook read of {path} does not give churnlab's customers"
        )
    dropped = [c for c, s in d.columns.items() if s.type == "drop"]
    peer = rows.drop(columns=["__row__", d.target, *([d.id] if d.id else []), *dropped])
    peer = numbers_as_numbers(peer).set_axis(keys)
    row_ids = pd.Series(rows["__row__"].to_numpy(), index=keys, name="row")
    return Table(name, params, prepared, peer, row_ids, file_sha256(path))
