"""The manifest of a table kept outside the repository (``engine.spark.storage`` set).

The table's Parquet part files stay in the storage; the stage writes this small JSON in the
repository as its DVC output: the location, the row count, the schema and a content fingerprint
(each part file's name and size, with its SHA-256 when the storage is a local file system, its
modification time otherwise). ``dvc status`` then sees the table change, and only then.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from churnlab import io


def part_files(where: str) -> list[dict]:
    """The table's data files, sorted by name, with their fingerprint (pyarrow's file system:
    local, ``file://``, ``s3://``, ``hdfs://``, ``gs://``)."""
    from pyarrow import fs

    filesystem, root = fs.FileSystem.from_uri(
        where if "://" in where else Path(where).resolve().as_uri()
    )
    infos = filesystem.get_file_info(fs.FileSelector(root, recursive=True))
    parts = []
    for info in sorted(infos, key=lambda i: i.path):
        name = info.path[len(root) :].lstrip("/")
        if info.type != fs.FileType.File or Path(name).name.startswith(("_", ".")):
            continue
        entry = {"file": name, "bytes": info.size}
        if isinstance(filesystem, fs.LocalFileSystem):
            entry["sha256"] = hashlib.sha256(Path(info.path).read_bytes()).hexdigest()
        else:
            entry["mtime"] = info.mtime.isoformat() if info.mtime else None
        parts.append(entry)
    return parts


def manifest(spark, where: str) -> dict:
    """Location, rows (a Spark count), schema and fingerprint of the table at ``where``."""
    frame = spark.read.parquet(where)
    parts = part_files(where)
    # Part names hold a random id of each write: the fingerprint is of their contents.
    digest = hashlib.sha256(
        json.dumps([{k: v for k, v in p.items() if k != "file"} for p in parts]).encode()
    ).hexdigest()
    return {
        "location": where,
        "rows": frame.count(),
        "schema": json.loads(frame.schema.json()),
        "files": parts,
        "fingerprint": digest,
    }


def manifest_path(relative: Path | str) -> Path:
    """``data/split/train.parquet`` → ``data/split/train.manifest.json`` (in the repository)."""
    relative = Path(relative)
    return relative.with_name(f"{relative.stem}.manifest.json")


def write_manifest(spark, where: str, relative: Path | str) -> None:
    io.write_json(manifest(spark, where), manifest_path(relative))
