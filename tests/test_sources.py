"""Reading user data: CSV variants, Parquet, SQLite and DuckDB files, and clear failures."""

from __future__ import annotations

import sqlite3

import duckdb
import numpy as np
import pandas as pd
import pytest

from churnlab.config.params import parse_params
from churnlab.data import sources
from churnlab.errors import UserError


def data_params(**data):
    return parse_params({"data": {"target": "Churn", "positive": "Yes", **data}}).data


def frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": [f"C{i:04d}" for i in range(n)],
            "fee": np.round(rng.uniform(10, 100, n), 2),
            "plan": rng.choice(["basic", "pro"], n),
            "Churn": rng.choice(["Yes", "No"], n),
        }
    )


@pytest.mark.parametrize(
    ("sep", "encoding", "trailer"),
    [(",", "utf-8", ""), (";", "utf-8", "\n\n"), ("\t", "utf-8-sig", "\n"), (",", "utf-8-sig", "")],
)
def test_csv_dialects_read_the_same_table(tmp_path, sep, encoding, trailer):
    expected = frame()
    path = tmp_path / "t.csv"
    path.write_text(expected.to_csv(sep=sep, index=False) + trailer, encoding=encoding)
    got = sources.read_source(data_params(source="csv", path=str(path), id="id"))
    assert list(got.columns) == list(expected.columns)  # no BOM in the first name
    assert len(got) == len(expected)
    assert got["fee"].astype(float).tolist() == expected["fee"].tolist()
    assert got["Churn"].tolist() == expected["Churn"].tolist()  # kept as text, not booleans


def test_quoted_fields_with_separators_inside(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,note,Churn\n1,"a, b; c",Yes\n2,"say ""hi""",No\n')
    got = sources.read_source(data_params(source="csv", path=str(path)))
    assert got["note"].tolist() == ["a, b; c", 'say "hi"']


def test_parquet_source(tmp_path):
    path = tmp_path / "t.parquet"
    frame().to_parquet(path)
    got = sources.read_source(data_params(source="parquet", path=str(path)))
    assert got.shape == (40, 4)


def test_sqlite_and_duckdb_sources(tmp_path):
    expected = frame()
    lite = tmp_path / "c.sqlite"
    with sqlite3.connect(lite) as con:
        expected.to_sql("customers", con, index=False)
    duck = tmp_path / "c.duckdb"
    con = duckdb.connect(str(duck))
    con.execute("CREATE TABLE customers AS SELECT * FROM expected")
    con.close()
    by_table = sources.read_source(
        data_params(source="sql", path=f"sqlite:///{lite}", table="customers")
    )
    by_query = sources.read_source(
        data_params(
            source="sql", path=f"duckdb:///{duck}", query="SELECT * FROM customers ORDER BY id"
        )
    )
    pd.testing.assert_frame_equal(by_table, expected, check_dtype=False)
    pd.testing.assert_frame_equal(by_query, expected, check_dtype=False)


def test_sql_error_names_the_source(tmp_path):
    lite = tmp_path / "c.sqlite"
    with sqlite3.connect(lite) as con:
        frame().to_sql("customers", con, index=False)
    with pytest.raises(UserError, match=r"sqlite:///.*c\.sqlite: SQL error: .*no such table"):
        sources.read_source(data_params(source="sql", path=f"sqlite:///{lite}", table="nope"))
    with pytest.raises(UserError, match=r"no such database file"):
        sources.read_source(
            data_params(source="sql", path=f"duckdb:///{tmp_path}/x.duckdb", table="t")
        )


def test_password_is_not_shown_in_messages():
    assert sources._redact("postgresql://u:secret@h:5/db") == "postgresql://u:***@h:5/db"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty"), (b"\xff\xfe\x00garbage\x00\x01", "not a readable csv"), (None, "no such")],
)
def test_bad_files_name_the_source(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError, match=message) as info:
        sources.read_source(data_params(source="csv", path=str(path)))
    assert "bad.csv" in str(info.value)


def test_header_only_file_has_no_rows(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("id,Churn\n")
    with pytest.raises(UserError, match="no data rows"):
        sources.read_source(data_params(source="csv", path=str(path)))


@pytest.fixture
def databases(tmp_path) -> dict[str, str]:
    """A SQLite, a DuckDB file and a SQLAlchemy SQLite URL, each with a churn table under a
    name holding a double quote and a canary table."""
    lite, churn = tmp_path / "c.sqlite", frame()
    with sqlite3.connect(lite) as con:
        churn.to_sql('odd"name', con, index=False)
        con.execute("CREATE TABLE canary (n integer)")
        con.execute("INSERT INTO canary VALUES (1)")
    duck = duckdb.connect(str(tmp_path / "c.duckdb"))
    duck.execute('CREATE TABLE "odd""name" AS SELECT * FROM churn')
    duck.execute("CREATE TABLE canary AS SELECT 1 AS n")
    duck.close()
    return {
        "sqlite": f"sqlite:///{lite}",
        "duckdb": f"duckdb:///{tmp_path / 'c.duckdb'}",
        "sqlalchemy": f"sqlite+pysqlite:///{lite}",
    }


def _canary_rows(url: str) -> int:
    path = url.split(":///", 1)[1]
    if url.startswith("duckdb"):
        con = duckdb.connect(path, read_only=True)
        try:
            return con.execute("SELECT count(*) FROM canary").fetchone()[0]
        finally:
            con.close()
    with sqlite3.connect(path) as con:
        return con.execute("SELECT count(*) FROM canary").fetchone()[0]


READ_ONLY = r"SQL error: .*(?i:read-?only|read only)"


@pytest.mark.parametrize("kind", ["sqlite", "duckdb", "sqlalchemy"])
@pytest.mark.parametrize(
    ("table", "query", "problem"),
    [
        ('odd"name"; DROP TABLE canary; --', "", "SQL error"),
        ("", 'SELECT * FROM "odd""name"; DROP TABLE canary', "exactly one SQL statement"),
        ("", "SELECT 1; DELETE FROM canary;", "one SQL statement \\(a SELECT\\), found 2"),
        ("", "DELETE FROM canary", READ_ONLY),
        ("", "DROP TABLE canary", READ_ONLY),
    ],
)
def test_sql_reads_never_modify_the_database(databases, kind, table, query, problem):
    url = databases[kind]
    with pytest.raises(UserError, match=problem):
        sources.read_source(data_params(source="sql", path=url, table=table, query=query))
    assert _canary_rows(url) == 1


@pytest.mark.parametrize("kind", ["sqlite", "duckdb", "sqlalchemy"])
def test_any_table_name_is_read_as_a_name(databases, kind):
    got = sources.read_source(data_params(source="sql", path=databases[kind], table='odd"name'))
    pd.testing.assert_frame_equal(got, frame(), check_dtype=False)


@pytest.mark.parametrize(
    ("sql", "count"),
    [
        ("SELECT 1;", 1),
        ("SELECT 'a;b', \"c;d\" -- e; f\n", 1),
        ("SELECT $body$ ; $body$ /* ; */", 1),
        ("SELECT E'\\'' ; COMMIT; DROP TABLE canary; --'", 3),
        ("SELECT 'unterminated; DROP TABLE canary", 2),
        ("SELECT 1; SELECT 2", 2),
    ],
)
def test_statement_count_sees_through_strings_and_comments(sql, count):
    assert sources.statement_count(sql) == count
