"""Personal data: raw emails never leave staging unhashed, and a real target needs a salt."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
from dbt_runner import run_dbt

EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"


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
            (n_matches,) = con.execute(
                f"""
                select count(*) from "{schema}"."{table}"
                where regexp_matches("{column}", '{EMAIL_PATTERN}')
                    or lower("{column}") in (select email from raw_emails)
                """
            ).fetchone()
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
