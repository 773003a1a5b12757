"""The Spark engine's JDBC reader options (issue 16): what reaches Spark's JDBC reader for a
table and for a query, and the one-statement check the local SQL reader makes."""

from __future__ import annotations

import pytest

from churnlab.engine.user_sources import jdbc_options
from churnlab.errors import UserError

URL = "jdbc:postgresql://db.example:5432/crm?user=reader"


def test_a_table_is_read_as_a_query_of_its_quoted_name():
    options = jdbc_options(URL, "", 'odd "name"')
    assert options == {"url": URL, "query": 'SELECT * FROM "odd ""name"""'}


def test_a_query_passes_unchanged_when_it_is_one_statement():
    sql = "SELECT id, churned FROM customers WHERE region = 'EU; west'"
    assert jdbc_options(URL, sql, "")["query"] == sql


def test_more_than_one_statement_is_refused():
    with pytest.raises(UserError, match="exactly one SQL statement"):
        jdbc_options(URL, "SELECT 1; DROP TABLE customers", "", "data.events.path")
