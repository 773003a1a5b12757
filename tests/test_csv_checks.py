"""A user's CSV file that the reader would misread fails with its real cause and line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnlab.data import csv_checks
from churnlab.errors import UserError
from churnlab.stages import prepare
from conftest import small_params

N = 300


def _table(n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "tenure": rng.integers(1, 70, n),
            "city": rng.choice(["Zürich", "Genève", "Köln"], n),
            "Churn": rng.choice(["Yes", "No"], n),
        }
    )


def _prepare_error(tmp_path, monkeypatch, file) -> str:
    monkeypatch.chdir(tmp_path)
    data = {"source": "csv", "path": str(file), "target": "Churn", "positive": "Yes", "id": "id"}
    with pytest.raises(UserError) as info:
        prepare.main(small_params(data=data))
    assert not (tmp_path / "data").exists()  # failed before writing anything
    return str(info.value)


@pytest.mark.parametrize(("encoding", "byte"), [("latin-1", "0xfc"), ("utf-16", "0xff")])
def test_non_utf8_file_names_its_encoding(tmp_path, monkeypatch, encoding, byte):
    file = tmp_path / "in.csv"
    file.write_bytes(_table().to_csv(index=False).encode(encoding))
    message = _prepare_error(tmp_path, monkeypatch, file)
    assert message.startswith(f"data.path {str(file)!r} is not UTF-8 text: byte ")
    assert f"looks like {encoding.upper() if encoding == 'utf-16' else encoding}" in message
    assert "iconv" in message and "CSV Error" not in message
    # Every city has a non-ASCII letter: latin-1 fails on the first data line, UTF-16 at once.
    assert f"{byte} on line {2 if encoding == 'latin-1' else 1} " in message


@pytest.mark.parametrize("block", [5, 7, 1 << 20])
def test_bad_byte_past_the_first_block_is_located(tmp_path, monkeypatch, block):
    """Read in blocks: a UTF-8 character split across two blocks is fine, and a bad byte in
    a later block is found on its own line."""
    monkeypatch.setattr(csv_checks, "_BLOCK", block)
    text = "a,b\n" + "Zürich,2\n" * 50
    file = tmp_path / "late.csv"
    file.write_bytes(text.encode("utf-8") + "Genève,3\n".encode("latin-1"))
    with pytest.raises(UserError, match=r"byte 0xe8 on line 52 \(at byte 507\)"):
        csv_checks.check_encoding(file)
    file.write_bytes(text.encode("utf-8"))
    csv_checks.check_encoding(file)


def test_utf8_with_bom_passes(tmp_path):
    file = tmp_path / "bom.csv"
    file.write_bytes(b"\xef\xbb\xbf" + _table().to_csv(index=False).encode("utf-8"))
    csv_checks.check_encoding(file)
    csv_checks.check_header(file)


def test_ragged_row_is_named_with_its_line(tmp_path, monkeypatch):
    lines = _table().to_csv(index=False).splitlines()
    lines[151] += ",extra"
    file = tmp_path / "ragged.csv"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = _prepare_error(tmp_path, monkeypatch, file)
    assert message == (
        f"data.path {str(file)!r}: line 152 has 5 fields but the header has 4 (','-separated), "
        "so the file cannot be split into columns; fix that row (or quote a value that "
        "contains the separator)"
    )


def test_a_well_split_table_is_not_scanned(tmp_path):
    file = tmp_path / "ok.csv"
    file.write_text("a;b\n" + "1;2\n" * 20 + "3\n", encoding="utf-8")
    csv_checks.check_split(pd.DataFrame({"a": [1], "b": [2]}), file)  # two columns: fine
    with pytest.raises(UserError, match="line 22 has 1 fields but the header has 2 \\(';'"):
        csv_checks.check_split(pd.DataFrame({"a;b": ["1;2"]}), file)


def test_repeated_header_names_are_reported(tmp_path, monkeypatch):
    table = _table()
    file = tmp_path / "dup.csv"
    file.write_text(
        table.assign(extra=table["tenure"]).to_csv(index=False).replace("extra", "tenure", 1)
    )
    message = _prepare_error(tmp_path, monkeypatch, file)
    assert message == (
        f"data.path {str(file)!r}: the header repeats column name(s): 'tenure' at columns "
        "[2, 5]; give each column a unique name"
    )
