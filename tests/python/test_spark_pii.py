"""On Spark too, the PII salt never leaves the environment and no raw email is stored.

`make test-spark` builds the demo on Spark with an unusual salt (TARGETING_PII_SALT, set
by the Makefile): the JVM reads it (macro pii_hash), so it is in no file of the Spark
warehouse or its metastore, of dbt's Spark target or of the logs, and no table holds a
raw email of the input.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt_runner import REPO_ROOT
from leaks import emails_in_column, file_leaks

pytestmark = pytest.mark.spark

RAW_USERS = REPO_ROOT / "data" / "demo" / "users.parquet"


@pytest.fixture(scope="module")
def spark_build() -> tuple[Path, str]:
    home = Path(os.environ.get("TARGETING_SPARK_HOME", "data/spark"))
    salt = os.environ.get("TARGETING_PII_SALT", "")
    if not (home / "warehouse").is_dir():
        pytest.skip(f"no Spark warehouse at {home}: run make test-spark")
    if not salt or salt == "targeting-dev-salt":
        pytest.skip("make test-spark builds with a test salt: run it through make")
    return home, salt


def test_the_spark_hash_uses_the_salt_of_the_environment(spark_build) -> None:
    home, salt = spark_build
    raw = pd.read_parquet(RAW_USERS).dropna(subset=["user_id", "email"])
    one = raw.sort_values("user_id").iloc[0]
    users = home / "warehouse" / "staging.db" / "stg_app__users"
    stored = duckdb.execute(
        f"select email_hash from read_parquet('{users}/**/*.parquet')"
        " where user_id = ? and dq_issue is null",
        [one.user_id],
    ).fetchall()
    assert stored == [(hashlib.sha256((salt + one.email.lower()).encode()).hexdigest(),)]


def test_no_spark_file_holds_the_salt_or_a_raw_email(spark_build) -> None:
    home, salt = spark_build
    emails = {email.lower().encode() for email in pd.read_parquet(RAW_USERS).email.dropna()}
    folders = [home, REPO_ROOT / "target", REPO_ROOT / "logs"]
    files, found = file_leaks(REPO_ROOT, [f for f in folders if f.is_dir()], salt.encode(), emails)
    assert any(path.suffix == ".parquet" for path in files)
    assert not found, found[:20]


def test_no_spark_table_holds_a_raw_email(spark_build) -> None:
    # Parquet pages are compressed: the files' bytes may hide an email, the values do not
    home, _ = spark_build
    con = duckdb.connect()
    con.execute(
        "create table raw_emails as select distinct lower(email) as email from read_parquet(?)",
        [str(RAW_USERS)],
    )
    tables = sorted(
        folder for folder in (home / "warehouse").glob("*.db/*") if any(folder.glob("**/*.parquet"))
    )
    assert len(tables) > 10
    found = []
    for folder in tables:
        relation = f"read_parquet('{folder}/**/*.parquet', union_by_name = true)"
        columns = [
            name
            for name, kind, *_ in con.execute(f"describe select * from {relation}").fetchall()
            if kind == "VARCHAR"
        ]
        for column in columns:
            n_matches = emails_in_column(con, relation, column)
            if n_matches:
                found.append(f"{folder.name}.{column}: {n_matches} emails")
    assert not found, found
