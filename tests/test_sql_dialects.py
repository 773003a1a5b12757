"""SQL read safety in MySQL's dialect (issue 15, item 1): names quoted by SQLAlchemy's MySQL
dialect, and MySQL's lexing (backslash escapes, ``#`` and ``-- `` comments, ``/*! */``) in the
one-statement check. No MySQL server runs here: the checks are on the SQL text churnlab sends.
"""

from __future__ import annotations

import pytest
import sqlalchemy
from sqlalchemy.dialects import mysql

from churnlab.data import sources
from churnlab.errors import UserError

# A table name with a backslash, a backtick and both quote characters.
ODD_NAME = "cust\\`o'm\"ers"


def test_mysql_table_name_is_one_identifier_quoted_by_the_dialect():
    quoted = sources.quote_table(ODD_NAME, "mysql")
    # MySQL escapes a backtick by doubling it; a backslash inside backticks is literal.
    assert quoted == "`cust\\``o'm\"ers`"
    compiled = sqlalchemy.select(sqlalchemy.text("*")).select_from(sqlalchemy.table(ODD_NAME))
    assert str(compiled.compile(dialect=mysql.dialect())).endswith(f"FROM {quoted}")
    assert sources._sql_text("", ODD_NAME, "data.path", "mysql") == f"SELECT * FROM {quoted}"


# Each is two or more statements for MySQL, though the standard lexer hides the semicolons.
MYSQL_SMUGGLED = [
    "SELECT 'a\\''; DROP TABLE canary; SELECT '",  # \' ends nothing: '' then ends the string
    'SELECT "a\\""; DROP TABLE canary; SELECT "',
    "SELECT 1 # '\n; DROP TABLE canary; -- '",  # '#' comments out the opening quote
    "SELECT 1--1; DROP TABLE canary",  # '--' without a space is arithmetic in MySQL
    "SELECT 1 /*!; DROP TABLE canary */",  # MySQL runs what /*! */ holds
    # Under sql_mode NO_BACKSLASH_ESCAPES the backslash is literal: two statements then.
    "SELECT 'a\\'; DROP TABLE canary; -- '",
]


@pytest.mark.parametrize("sql", MYSQL_SMUGGLED)
def test_mysql_lexing_sees_the_smuggled_statement(sql):
    assert sources.statement_count(sql, "mysql") >= 2
    assert sources.statement_count(sql, "mariadb") >= 2
    with pytest.raises(UserError, match="exactly one SQL statement"):
        sources._sql_text(sql, "", "data.path", "mysql")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 'it''s; fine' FROM t",
        "SELECT `a;b` FROM t -- c; d\n",
        "SELECT 'C:\\\\dir\\\\' AS p;",
    ],
)
def test_one_mysql_statement_is_accepted(sql):
    """One statement in every reading (with and without backslash escapes) passes; a query
    whose count depends on the server's sql_mode is refused (above)."""
    assert sources.statement_count(sql, "mysql") == 1
