"""Where the Spark engine reads and writes its Parquet tables.

With an empty ``engine.spark.storage`` a table lives at its usual path in the repository
(``data/split/train.parquet`` becomes a directory of part files that pandas and pyarrow read as
one table); otherwise under the storage URI, at the same path below ``data/``. Tables are
written sorted by a key, so that the part files read in name order give the same row order as
the local engine. A local write goes to a temporary directory renamed at the end (a failed run
leaves the previous table); a remote write overwrites in place.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

from churnlab.config.columns import CUSTOMER_KEY
from churnlab.config.engine import SparkParams
from churnlab.engine import manifest
from churnlab.errors import UserError


def _local_root(storage: str) -> Path | None:
    """The local directory of a storage location, None for a remote URI."""
    url = urlparse(storage)
    if url.scheme == "file":
        return Path(url.path)
    return Path(storage) if url.scheme in ("", None) or len(url.scheme) == 1 else None


def location(p: SparkParams, relative: Path | str) -> str:
    """The URI or absolute path of a table given by its repository path (``data/...``)."""
    relative = Path(relative)
    if not p.storage:
        return str(relative.resolve())
    root = _local_root(p.storage)
    if root is not None and not root.is_dir():
        raise UserError(f"engine.spark.storage {p.storage!r} does not exist (create it first)")
    inner = relative.relative_to("data") if relative.parts[:1] == ("data",) else relative
    return f"{p.storage.rstrip('/')}/{inner.as_posix()}"


def read(spark, where: str):
    """A Parquet table as a Spark DataFrame; a missing one is a user error."""
    root = _local_root(where)
    if root is not None and not root.exists():
        raise UserError(f"{where} is missing: run the stage that produces it first (dvc repro)")
    return spark.read.parquet(where)


def external(p: SparkParams) -> bool:
    """Large tables live outside the repository (the stage writes manifests there instead)."""
    return bool(p.storage)


def write_sorted(frame, where: str, key: str, drop_key: bool = False) -> None:
    """Write ``frame`` sorted by ``key`` (the key column dropped after sorting if asked)."""
    ordered = frame.orderBy(key)
    if drop_key:
        ordered = ordered.drop(key)
    root = _local_root(where)
    if root is None:
        ordered.write.mode("overwrite").parquet(where)
        return
    tmp = root.with_name(f".{root.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    ordered.write.mode("overwrite").option("compression", "zstd").parquet(str(tmp))
    if root.is_dir():
        shutil.rmtree(root)
    elif root.exists():
        root.unlink()
    tmp.rename(root)


def write_stage_table(
    spark, p: SparkParams, frame, relative, drop_key: bool = False, key: str = CUSTOMER_KEY
) -> None:
    """Write a stage's table (sorted by ``key``, the customer key unless told) where the
    storage says; outside the repository, its manifest in the repository (the stage's DVC
    output)."""
    where = location(p, relative)
    write_sorted(frame, where, key, drop_key)
    if external(p):
        manifest.write_manifest(spark, where, relative)
