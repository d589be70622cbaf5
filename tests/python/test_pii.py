"""Personal data: raw emails never leave staging unhashed, the salt never leaves the
environment, and a real target needs a salt."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import SMALL_WORLD_SALT
from dbt_runner import run_dbt
from leaks import emails_in_column, file_leaks, leaks

from targeting.pii import Plugin, salted_sha256


def test_no_relation_of_the_warehouse_holds_a_raw_email(small_world: tuple[Path, dict]) -> None:
    """Every text column of every table and view, marts included, scanned for an email."""
    work_dir, _ = small_world
    emails = set(pd.read_parquet(work_dir / "raw" / "users.parquet").email.dropna().str.lower())
    assert len(emails) > 1000
    found = []
    with duckdb.connect(str(work_dir / "warehouse.duckdb"), read_only=True) as con:
        con.execute("create temp table raw_emails (email varchar)")
        con.executemany("insert into raw_emails values (?)", [[email] for email in emails])
        columns = con.execute(
            """
            select table_schema, table_name, column_name
            from information_schema.columns
            where table_schema not in ('information_schema', 'pg_catalog')
                and table_catalog = current_database()
                and data_type = 'VARCHAR'
            order by all
            """
        ).fetchall()
        assert any(schema == "marts" for schema, _, _ in columns)
        for schema, table, column in columns:
            n_matches = emails_in_column(con, f'"{schema}"."{table}"', column)
            if n_matches:
                found.append(f"{schema}.{table}.{column}: {n_matches} emails")
    assert not found, found
    assert len(columns) > 50


def test_a_non_dev_target_without_a_salt_warns_loudly(tmp_path: Path) -> None:
    env = {"TARGETING_PII_SALT": ""}
    raw = tmp_path / "raw"  # the check runs before the inputs are read
    result = run_dbt("seed", tmp_path, raw, "--target", "prod", extra_env=env)
    assert "WARNING: TARGETING_PII_SALT is not set on target 'prod'" in result.output
    result = run_dbt("seed", tmp_path, raw, "--target", "dev", extra_env=env)
    assert "TARGETING_PII_SALT is not set" not in result.output
    salted = {"TARGETING_PII_SALT": os.urandom(16).hex()}
    result = run_dbt("seed", tmp_path, raw, "--target", "prod", extra_env=salted)
    assert "TARGETING_PII_SALT is not set" not in result.output


@pytest.mark.parametrize(
    "emails",
    [["Ann@Example.com", "bob.o'neil+news@mail.example.org"], ["ÉLODIE@exemple.fr", None, ""]],
)
def test_the_hash_is_the_one_sql_gave_for_the_same_salt(emails: list[str | None]) -> None:
    # the keys of existing warehouses stay: sha256(salt || lower(email)) as the SQL had it
    salt = "some salt"
    with duckdb.connect() as con:
        expected = [
            con.execute("select sha256(? || lower(?))", [salt, email]).fetchone()[0]
            for email in emails
        ]
        lowered = [con.execute("select lower(?)", [email]).fetchone()[0] for email in emails]
    assert salted_sha256(lowered, salt) == expected


@pytest.mark.parametrize("salt", ["a secret salt", None, ""])
def test_the_function_dbt_calls_hashes_with_the_salt_of_the_environment(
    monkeypatch: pytest.MonkeyPatch, salt: str | None
) -> None:
    # registered by the dbt-duckdb plugin: the salt from TARGETING_PII_SALT, read at run
    # time; without it, the development salt the SQL passes
    if salt is None:
        monkeypatch.delenv("TARGETING_PII_SALT", raising=False)
    else:
        monkeypatch.setenv("TARGETING_PII_SALT", salt)
    used = "dev salt" if salt is None else salt
    emails = ["Ann@Example.com", None, "ZOË@example.org"]
    with duckdb.connect() as con:
        Plugin("pii", {}).configure_connection(con)
        con.execute("create table users as select * from unnest(?) as t(email)", [emails])
        hashed = con.execute(
            "select targeting_pii_hash(lower(email), 'dev salt'), sha256(? || lower(email)),"
            " targeting_pii_salt_is_set() from users",
            [used],
        ).fetchall()
    assert [row[0] for row in hashed] == [row[1] for row in hashed]
    assert sum(row[0] is None for row in hashed) == 1
    assert {row[2] for row in hashed} == {bool(salt)}


def test_the_salt_and_the_emails_are_in_no_artifact_log_or_definition(
    small_world: tuple[Path, dict],
) -> None:
    """The small world was built with an unusual salt; with dbt's docs generated too, no
    file under target/ and logs/, no table or view definition and no comment of the
    warehouse holds that salt or any raw email of the input (columns: the test above)."""
    work_dir, _ = small_world
    result = run_dbt(
        "docs generate",
        work_dir,
        work_dir / "raw",
        extra_env={"TARGETING_PII_SALT": SMALL_WORLD_SALT},
    )
    assert result.returncode == 0, result.output[-3000:]
    salt = SMALL_WORLD_SALT.encode()
    raw = pd.read_parquet(work_dir / "raw" / "users.parquet")
    emails = {email.lower().encode() for email in raw.email.dropna()}
    assert len(emails) > 1000

    files, found = file_leaks(work_dir, [work_dir / "target", work_dir / "logs"], salt, emails)
    assert any(path.name == "manifest.json" for path in files)
    assert any(path.name == "catalog.json" for path in files)

    with duckdb.connect(str(work_dir / "warehouse.duckdb"), read_only=True) as con:
        definitions = con.execute(
            """
            select 'view ' || schema_name || '.' || view_name, sql || coalesce(comment, '')
            from duckdb_views() where not internal
            union all
            select 'table ' || schema_name || '.' || table_name, sql || coalesce(comment, '')
            from duckdb_tables()
            union all
            select 'column ' || schema_name || '.' || table_name || '.' || column_name, comment
            from duckdb_columns() where comment is not null
            """
        ).fetchall()
    assert any(name == "table staging.stg_app__users" for name, _ in definitions)
    found += [
        f"{name}: {leak}"
        for name, text in definitions
        for leak in leaks(text.encode(), salt, emails)
    ]
    # the file itself, for any definition or string stored as it is
    found += [
        f"warehouse.duckdb: {leak}"
        for leak in leaks((work_dir / "warehouse.duckdb").read_bytes(), salt, set())
    ]
    assert not found, found[:20]
