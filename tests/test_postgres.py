"""PostgreSQL through its SQLAlchemy URL, against a real server this module starts on loopback.

The server is Debian's (``.ci/run`` installs the ``postgresql`` package): ``initdb`` and
``pg_ctl`` from ``/usr/lib/postgresql/<version>/bin`` start a throw-away cluster in a temporary
folder on a free port, with its unix socket in that folder. PostgreSQL refuses to run as root,
so under root the server runs as the ``postgres`` (or ``nobody``) user through ``runuser``.
Without the binaries the module is skipped, except under CI, where that is a failure.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from churnlab import io
from churnlab.data import events, privacy, sources
from churnlab.errors import UserError
from churnlab.stages import prepare
from conftest import SALT, WINDOWS
from test_events import customers_of, event_log, events_params
from test_userdata import N, churn_table, user_params

pytestmark = pytest.mark.e2e

sqlalchemy = pytest.importorskip("sqlalchemy")
pytest.importorskip("psycopg")


def server_binaries() -> Path | None:
    """The newest Debian PostgreSQL bin folder, else initdb/pg_ctl on PATH."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for folder in reversed(found):
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path and shutil.which("pg_ctl") else None


def _server_user() -> pwd.struct_passwd | None:
    """Under root, an unprivileged account to run the server as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.skip("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    binaries = server_binaries()
    if binaries is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) not found; .ci/run installs them"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    user = _server_user()
    prefix = ["runuser", "-u", user.pw_name, "--"] if user else []
    base = Path(tempfile.mkdtemp(prefix="churnlab-pg-"))  # in /tmp: short socket path
    if user:
        os.chown(base, user.pw_uid, user.pw_gid)
    data, port = base / "data", _free_port()

    def run(*args: str) -> None:
        done = subprocess.run(
            [*prefix, *args], cwd=base, capture_output=True, text=True, timeout=120
        )
        if done.returncode:
            log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}{log}")

    pg_ctl = str(binaries / "pg_ctl")
    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", "churnlab", "--auth=trust")
        options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(pg_ctl, "-D", str(data), "-l", str(base / "server.log"), "-w", "-o", options, "start")
        yield f"postgresql+psycopg://churnlab:not-a-secret@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            run(pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def loaded(postgres_url, tmp_path_factory) -> tuple[str, Path]:
    """A churn table in the server, and a repository in which prepare ran on its CSV twin."""
    table = churn_table()
    engine = sqlalchemy.create_engine(postgres_url)
    try:
        table.to_sql("churn_customers", engine, index=False)
    finally:
        engine.dispose()
    root = tmp_path_factory.mktemp("pg")
    table.to_csv(root / "twin.csv", index=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv(privacy.SALT_ENV, SALT.decode())
        prepare.main(user_params(root / "twin.csv"))
        (root / "csv").mkdir()
        for name in ("customers.parquet", "schema.json"):
            shutil.copy(root / "data/prepared" / name, root / "csv" / name)
    return postgres_url, root


def _sql_params(url: str, **data):
    return user_params(url, source="sql", **data)  # str(url) is the URL itself


def test_prepare_reads_postgresql_like_the_csv(loaded):
    url, root = loaded
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv(privacy.SALT_ENV, SALT.decode())
        prepare.main(_sql_params(url, table="churn_customers"))
    prepared = pd.read_parquet(root / "data/prepared/customers.parquet")
    assert len(prepared) == N
    from_csv = pd.read_parquet(root / "csv/customers.parquet")
    pd.testing.assert_frame_equal(prepared, from_csv, check_dtype=False)
    assert io.read_json(root / "data/prepared/schema.json") == {
        **io.read_json(root / "csv/schema.json"),
        "source": "sql",
    }


def test_query_selects_rows(loaded):
    url, root = loaded
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        query = "SELECT * FROM churn_customers WHERE \"CustomerRef\" < 'K-00400'"
        prepare.main(_sql_params(url, query=query))
    assert len(pd.read_parquet(root / "data/prepared/customers.parquet")) == 400


def test_sql_error_names_the_source_and_keeps_outputs(loaded):
    url, root = loaded
    before = (root / "data/prepared/customers.parquet").read_bytes()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        with pytest.raises(UserError) as info:
            prepare.main(_sql_params(url, table="no_such_table"))
    message = str(info.value)
    assert message.startswith("data.path postgresql+psycopg://churnlab:***@127.0.0.1:")
    assert "SQL error" in message and "no_such_table" in message
    assert "not-a-secret" not in message
    assert (root / "data/prepared/customers.parquet").read_bytes() == before


def test_customers_and_event_log_from_postgresql(loaded, raw_data, tmp_path):
    url, _ = loaded
    customers = customers_of(raw_data).iloc[:400]
    log = event_log(raw_data)
    log = log[log["cust"].isin(customers["customer_id"])]
    engine = sqlalchemy.create_engine(url)
    try:
        customers.to_sql("crm_customers", engine, index=False)
        log.to_sql("crm_events", engine, index=False, method="multi", chunksize=5000)
    finally:
        engine.dispose()
    params = events_params(
        source="sql",
        path=url,
        table="crm_customers",
        events={"path": url, "table": "crm_events", "source": "sql"},
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        prepare.main(params)
    prepared = pd.read_parquet(tmp_path / "data/prepared/customers.parquet")
    expected = events.snapshot_table(customers, log, params.data, WINDOWS)[0]
    assert len(prepared) == len(expected) > 300
    assert prepared["churned"].sum() == expected["churned"].sum() > 0
    assert prepared["logins_90d"].sum() == expected["logins_90d"].sum() > 0
    assert prepared["spend_90d"].sum() == pytest.approx(expected["spend_90d"].sum())


@pytest.fixture
def canary(loaded) -> Iterator[str]:
    """A table with one row that no read may drop or change, and a table whose name holds a
    double quote."""
    url, _ = loaded
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as con:
            con.exec_driver_sql("CREATE TABLE canary (n integer)")
            con.exec_driver_sql("INSERT INTO canary VALUES (1)")
            con.exec_driver_sql('CREATE TABLE "odd""name" (n integer, "Churn" text)')
            con.exec_driver_sql("""INSERT INTO "odd""name" VALUES (7, 'Yes')""")
        yield url
        with engine.connect() as con:
            left = con.exec_driver_sql("SELECT count(*) FROM canary").scalar_one()
        assert left == 1  # the canary survived and kept its row
    finally:
        with engine.begin() as con:
            con.exec_driver_sql('DROP TABLE IF EXISTS canary, "odd""name"')
        engine.dispose()


ATTACKS = [
    # (table, query, what the message must name)
    ('customers"; DROP TABLE canary; COMMIT; --', "", "does not exist"),
    ("", "SELECT * FROM churn_customers; DROP TABLE canary; COMMIT", "exactly one SQL statement"),
    ("", "SELECT E'\\'' ; COMMIT; DROP TABLE canary; --'", "exactly one SQL statement"),
    ("", "DROP TABLE canary", "read-only transaction"),
    ("", "DELETE FROM canary", "read-only transaction"),
    ("", "WITH d AS (DELETE FROM canary RETURNING n) SELECT * FROM d", "read-only transaction"),
    ("", "SELECT * FROM canary FOR UPDATE", "read-only transaction"),
]


@pytest.mark.parametrize(("table", "query", "problem"), ATTACKS)
def test_sql_sources_never_modify_the_database(canary, table, query, problem):
    with pytest.raises(UserError) as info:
        sources.read_sql_at(canary, query, table)
    assert problem in str(info.value)


def test_prepare_refuses_a_second_statement_and_keeps_outputs(canary, loaded):
    _, root = loaded
    before = (root / "data/prepared/customers.parquet").read_bytes()
    query = "SELECT * FROM churn_customers; DROP TABLE canary; COMMIT"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        with pytest.raises(UserError, match=r"data\.query must be exactly one SQL statement"):
            prepare.main(_sql_params(canary, query=query))
    assert (root / "data/prepared/customers.parquet").read_bytes() == before


def test_a_table_name_with_a_double_quote_is_read(canary):
    frame = sources.read_sql_at(canary, "", 'odd"name')
    assert frame.to_dict("list") == {"n": [7], "Churn": ["Yes"]}
