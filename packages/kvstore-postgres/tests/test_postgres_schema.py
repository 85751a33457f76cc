"""The table's definition and the check of an existing table's shape."""

from __future__ import annotations

from kvstore.postgres._schema import COLUMNS, COMMENT, qualified, shape_problems, statements

KEY = "PRIMARY KEY (collection, key)"


def test_a_version_1_table_has_no_problems() -> None:
    assert shape_problems(dict(COLUMNS), COMMENT, KEY) == []
    assert shape_problems(dict(COLUMNS), None, KEY) == []


def test_another_shape_is_described() -> None:
    columns = {"id": "integer", "value": "jsonb"}
    problems = "; ".join(shape_problems(columns, None, "PRIMARY KEY (id)"))
    assert "missing columns collection, key" in problems
    assert "unexpected columns id" in problems
    assert "column value is jsonb, expected text" in problems
    assert "primary key is PRIMARY KEY (id)" in problems


def test_a_newer_schema_version_is_refused_with_the_way_forward() -> None:
    problems = shape_problems(dict(COLUMNS), "kvstore schema 2", KEY)
    assert len(problems) == 1
    assert "kvstore schema 2" in problems[0]
    assert "docs/postgres.md" in problems[0]


def test_names_are_quoted() -> None:
    assert qualified("kv") == '"kv"'
    assert qualified("app.kv") == '"app"."kv"'
    assert qualified('we"ird') == '"we""ird"'


def test_unlogged_only_changes_the_create_statement() -> None:
    logged, unlogged = statements("kv", unlogged=False), statements("kv", unlogged=True)
    assert unlogged.create[0].startswith('CREATE UNLOGGED TABLE IF NOT EXISTS "kv"')
    assert logged.create[0].startswith('CREATE TABLE IF NOT EXISTS "kv"')
    assert logged._replace(create=()) == unlogged._replace(create=())


def test_no_read_ignores_expiry() -> None:
    sql = statements("kv", unlogged=False)
    for read in (sql.get, sql.exists, sql.get_with_ttl, sql.get_many, sql.scan, sql.collections):
        assert "expires_at > now()" in read
    assert "OFFSET" not in sql.scan
