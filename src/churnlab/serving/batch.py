"""Batch scoring: ``churnlab score INPUT OUTPUT`` for CSV or Parquet files of any size.

The input is a user's table with the training table's columns (for a model trained on user
data: the recorded conversions are replayed, :mod:`churnlab.data.conversions`) or prepared
customers. It is read in chunks of ``serve.chunk_rows`` rows and each chunk is written before
the next is read, so memory is bounded by the chunk size, not the file. CSV files are read as
text, with the dialect sniffed as the training reader does (``,`` ``;`` tab or ``|``
separators, quotes, a UTF-8 BOM; Latin-1 when the bytes are not UTF-8), and every value goes
through the same conversion as in training. A row that cannot be scored keeps its place in
the output with an ``error`` message and no score, and is listed with its reason in a rejects
file beside the output; the other rows are scored. The output is written to a temporary file
and renamed at the end, so a failed run leaves no half file behind, and the input is never
overwritten. ``churnlab score --engine spark`` scores on Spark instead (:func:`score_on_spark`):
the same rows and scores, written as Parquet part files.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from churnlab import io, progress
from churnlab.errors import UserError
from churnlab.serving.scorer import Scorer

log = logging.getLogger(__name__)

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 1 << 16


def file_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise UserError(f"{path}: unsupported format; use one of {sorted(FORMATS)}") from None


def _decode_head(path: Path) -> tuple[str, str]:
    """(encoding, text) of the start of a file: UTF-8 (BOM dropped), else Latin-1."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise UserError(f"{path} is empty")
    try:
        return "utf-8", head.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut at the end of the sample
            return "utf-8", head[: exc.start].decode("utf-8").removeprefix("\ufeff")
    return "latin-1", head.decode("latin-1")


def sniff_csv(path: Path) -> tuple[str, str, list[str]]:
    """(encoding, delimiter, header names) of a CSV file: the delimiter that splits the header
    into most columns and the most rows into as many (as DuckDB's sniffer does)."""
    encoding, text = _decode_head(path)
    lines = text.splitlines()
    if len(text.encode(encoding)) >= SNIFF_BYTES - 3 and len(lines) > 1:
        lines = lines[:-1]  # the last line of the sample may be cut
    best: tuple[int, int, str, list[str]] | None = None
    for delimiter in DELIMITERS:
        rows = [row for row in csv.reader(lines, delimiter=delimiter) if row]
        width = len(rows[0])
        agree = sum(len(row) == width for row in rows)
        if width > 1 and (best is None or (agree, width) > best[:2]):
            best = (agree, width, delimiter, rows[0])
    if best is None:  # one column
        return encoding, ",", next(csv.reader(lines[:1]))
    return encoding, best[2], [name.strip() for name in best[3]]


def _rebatch(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pd.DataFrame]:
    buffer: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        buffer.append(batch)
        size += batch.num_rows
        while size >= rows:
            table = pa.Table.from_batches(buffer)
            yield table.slice(0, rows).to_pandas()
            rest = table.slice(rows)
            buffer, size = rest.to_batches(), rest.num_rows
    if size:
        yield pa.Table.from_batches(buffer).to_pandas()


def _csv_chunks(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    encoding, delimiter, header = sniff_csv(path)
    # Every cell is read as text and converted like training (an empty field is missing),
    # so a bad cell rejects its row with a reason instead of failing the whole chunk.
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            encoding=encoding, column_names=header, skip_rows=1, block_size=1 << 22
        ),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            null_values=[""],
            strings_can_be_null=True,
        ),
    )
    yield from _rebatch(iter(reader), rows)


def _parquet_chunks(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    reader = pq.ParquetFile(path)
    for batch in reader.iter_batches(batch_size=rows):
        yield batch.to_pandas()


def read_chunks(path: Path | str, rows: int) -> Iterator[pd.DataFrame]:
    """The rows of a CSV or Parquet file in chunks; unreadable files are a UserError naming
    the file (also when the problem is found further down, e.g. a ragged line)."""
    path = Path(path)
    kind = file_format(path)
    if not path.is_file():
        raise UserError(f"{path} does not exist")
    reader = _csv_chunks if kind == "csv" else _parquet_chunks
    empty = True
    try:
        for chunk in reader(path, rows):
            empty = empty and chunk.empty
            if not chunk.empty:
                yield chunk
    except (pa.ArrowException, OSError, UnicodeDecodeError, csv.Error) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{path} is not a readable {kind} file: {first}") from None
    if empty:
        raise UserError(f"{path} has no data rows")


def read_table(path: Path | str, rows: int = 1_000_000) -> pd.DataFrame:
    """A whole CSV or Parquet file, read as :func:`read_chunks` reads it."""
    return pd.concat(list(read_chunks(path, rows)), ignore_index=True)


def rejects_path(target: Path) -> Path:
    """Where the rejected rows of ``churnlab score ... target`` are listed."""
    return target.with_name(f"{target.stem}.rejects.csv")


class _Summary:
    """Counts over the chunks: rows, scored, rejected, unseen categories, rejected rows."""

    def __init__(self) -> None:
        self.counts = {"rows": 0, "scored": 0, "rejected": 0}
        self.unseen: dict[str, Counter] = {}
        self.as_missing: Counter = Counter()
        self.rejects: list[pd.DataFrame] = []

    def add(self, replayed) -> None:
        rejects = replayed.rejects
        rejects["row"] += self.counts["rows"] + 1  # 1 = the first data row of the file
        if len(rejects):
            self.rejects.append(rejects)
        for column, values in replayed.unseen.items():
            self.unseen.setdefault(column, Counter()).update(values)
        self.as_missing.update(replayed.as_missing)
        self.counts["rows"] += len(replayed.errors)
        self.counts["rejected"] += len(rejects)
        self.counts["scored"] += len(replayed.errors) - len(rejects)

    def report(self) -> dict:
        reasons: Counter = Counter()
        for frame in self.rejects:
            for reason in frame["reason"]:  # "tenure: expected a number, got 'x'; ..."
                reasons.update(part.split(", got ")[0] for part in reason.split("; "))
        return {
            **self.counts,
            "unseen_categories": {c: dict(sorted(v.items())) for c, v in self.unseen.items()},
            "read_as_missing": dict(self.as_missing),
            "reject_reasons": dict(reasons.most_common(10)),
        }


def _write_rejects(summary: _Summary, path: Path) -> str | None:
    if not summary.rejects:
        path.unlink(missing_ok=True)  # from an earlier run: this one rejected nothing
        return None
    io.write_csv(pd.concat(summary.rejects, ignore_index=True), path)
    return str(path)


def score_file(scorer: Scorer, source: Path | str, target: Path | str) -> dict[str, int]:
    """Score ``source`` into ``target``; returns counts of scored and rejected rows."""
    report = score_report(scorer, source, target)
    return {key: report[key] for key in ("rows", "scored", "rejected")}


def score_report(scorer: Scorer, source: Path | str, target: Path | str) -> dict:
    """:func:`score_file`, returning also the unseen categories, the commonest reasons for
    rejecting a row and where the rejected rows are listed (``churnlab score`` prints it)."""
    source, target = Path(source), Path(target)
    out_format = file_format(target)
    for output in (target, rejects_path(target)):
        if output.resolve() == source.resolve():
            raise UserError(f"{output} is the input file: choose another output")
    summary = _Summary()
    chunks = read_chunks(source, scorer.serve.chunk_rows)
    shown = progress.bar(desc="scoring", unit="row")  # a terminal shows it, a log does not
    with io.atomic_path(target) as tmp, shown as bar:
        writer = None
        try:
            for chunk in chunks:
                replayed = scorer.inputs(chunk)
                try:
                    result = scorer.score_replayed(replayed)
                except ValueError as exc:  # a whole chunk the featurizer cannot read
                    first = summary.counts["rows"] + 1
                    raise UserError(f"{source}: rows {first}+: {exc}") from None
                if replayed.ids is not None:
                    result.insert(0, replayed.id_column, replayed.ids.to_numpy())
                table = pa.Table.from_pandas(result.reset_index(drop=True), preserve_index=False)
                writer = writer or _Writer(tmp, out_format, table.schema)
                writer.write(table)
                summary.add(replayed)
                bar.update(len(chunk))
        finally:
            if writer is not None:
                writer.close()
    report = {**summary.report(), "rejects_file": _write_rejects(summary, rejects_path(target))}
    log.info("scored %(scored)d of %(rows)d rows, %(rejected)d rejected", report)
    for column, values in report["unseen_categories"].items():
        log.warning("%s: categories not seen in training (scored): %s", column, values)
    return report


class _Writer:
    """Parquet or CSV writer that casts every chunk to the first chunk's schema (a column
    that is all null in one chunk would otherwise have another type)."""

    def __init__(self, tmp: Path, out_format: str, schema: pa.Schema):
        self.schema = schema
        if out_format == "parquet":
            self.writer = pq.ParquetWriter(tmp, schema, compression="zstd")
        else:
            self.writer = pacsv.CSVWriter(tmp, schema)

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table.cast(self.schema))

    def close(self) -> None:
        self.writer.close()


def score_on_spark(scorer: Scorer, source: str, target: str, spark_params) -> dict:
    """Score ``source`` (CSV/Parquet file or directory, any Spark-readable URI) on Spark into a
    Parquet directory ``target`` (:mod:`churnlab.engine.score`)."""
    from churnlab.engine.score import score_table
    from churnlab.engine.session import spark_session

    rows = score_table(spark_session(spark_params), scorer, str(source), str(target))
    log.info("scored %d rows on Spark into %s", rows, target)
    return {"engine": "spark", "rows": rows, "target": str(target)}
