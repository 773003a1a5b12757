"""Checks of a user's CSV file that turn a reader's misleading symptom into its real cause.

DuckDB's reader (:mod:`churnlab.data.sources`) reports a latin-1 or UTF-16 file as "CSV Error
on Line: 2", reads a file with one ragged row as a single column named after the whole header
(so the error the user sees is "target 'Churn' is not a column"), and renames a repeated
header name silently (``tenure``, ``tenure_1``). :func:`check_encoding` and
:func:`check_header` run before the read; :func:`check_split` after it, only when the result
has a single column. Each raises one :class:`~churnlab.errors.UserError` naming the file, the
line and what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from pathlib import Path

import pandas as pd

from churnlab.errors import UserError

_BLOCK = 1 << 20
_DELIMITERS = ",;\t|"
_BOMS = {codecs.BOM_UTF16_LE: "UTF-16", codecs.BOM_UTF16_BE: "UTF-16"}


def _guess_encoding(head: bytes) -> str:
    """UTF-16 (a BOM or NUL bytes between ASCII letters) or else a single-byte encoding."""
    if head[:2] in _BOMS or head[:200].count(b"\x00") > len(head[:200]) // 4:
        return "UTF-16"
    return "latin-1"


def check_encoding(path: str | Path, key: str = "data.path") -> None:
    """The file decodes as UTF-8 (a BOM is fine), else the first bad byte, its line and the
    likely encoding."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines = 0, 0
    with open(path, "rb") as file:
        head = file.read(_BLOCK)
        block = head
        while block:
            try:
                decoder.decode(block, final=len(block) < _BLOCK)
            except UnicodeDecodeError as exc:
                # The decoder may hold back up to 3 bytes of the previous block.
                start = max(exc.start - (len(exc.object) - len(block)), 0)
                line = lines + block.count(b"\n", 0, start) + 1
                guess = _guess_encoding(head)
                raise UserError(
                    f"{key} {str(path)!r} is not UTF-8 text: byte {block[start]:#04x} on line "
                    f"{line} (at byte {offset + start}) cannot be decoded ({exc.reason}); it "
                    f"looks like {guess}. Save the file as UTF-8, e.g. "
                    f"`iconv -f {guess} -t UTF-8 in.csv > out.csv`"
                ) from None
            offset += len(block)
            lines += block.count(b"\n")
            block = file.read(_BLOCK)


def _dialect(sample: str) -> csv.Dialect | None:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
    except csv.Error:
        return None


def _sample(path: str | Path) -> str:
    with open(path, encoding="utf-8-sig", newline="") as file:
        return file.read(64 * 1024)


def check_header(path: str | Path, key: str = "data.path") -> None:
    """Every header name appears once (the reader would rename a repeat silently)."""
    sample = _sample(path)
    dialect = _dialect(sample)
    if dialect is None:
        return
    header = next(csv.reader(io.StringIO(sample), dialect), [])
    names = [name.strip() for name in header]
    repeated = {name: n for name, n in Counter(names).items() if n > 1}
    if repeated:
        where = {
            name: [i + 1 for i, other in enumerate(names) if other == name] for name in repeated
        }
        shown = "; ".join(f"{name!r} at columns {cols}" for name, cols in where.items())
        raise UserError(
            f"{key} {str(path)!r}: the header repeats column name(s): {shown}; give each "
            "column a unique name"
        )


def check_split(frame: pd.DataFrame, path: str | Path, key: str = "data.path") -> None:
    """A table read as one column although its header has several: find the row that does not
    have as many fields as the header (the reader then gives up splitting the file)."""
    if frame.shape[1] != 1:
        return
    sample = _sample(path)
    dialect = _dialect(sample)
    if dialect is None:
        return
    with open(path, encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file, dialect)
        header = next(reader, [])
        if len(header) < 2:
            return
        for row in reader:
            if row and len(row) != len(header):
                raise UserError(
                    f"{key} {str(path)!r}: line {reader.line_num} has {len(row)} fields but "
                    f"the header has {len(header)} ({dialect.delimiter!r}-separated), so the "
                    "file cannot be split into columns; fix that row (or quote a value that "
                    "contains the separator)"
                )
