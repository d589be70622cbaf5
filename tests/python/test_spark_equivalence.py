"""The demo world built on Spark equals the one built on DuckDB, table for table.

`make test-spark` builds the demo on Spark (dbt build --target spark, then
targeting.spark_ml, then the marts) into TARGETING_SPARK_HOME, beside the DuckDB demo
warehouse TARGETING_DEMO_WAREHOUSE. Spark's tables are Parquet files under
``<TARGETING_SPARK_HOME>/warehouse/<schema>.db/<table>``; DuckDB reads them here, so the
comparison needs no JVM. Every table both engines built is compared row for row, in
DuckDB (table_comparison): text, times and flags exactly, numbers to 1e-9.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from table_comparison import table_differences

pytestmark = pytest.mark.spark

# tables Spark must have built for the comparison to mean anything
EXPECTED = {
    "staging.stg_app__users",
    "intermediate.int_events_deduplicated",
    "intermediate.int_events_sessionized",
    "intermediate.int_sessions",
    "intermediate.int_users_behavior_windowed",
    "intermediate.int_users_social_scored",
    "marts.fct_feature_snapshots",
    "marts.fct_training_sample",
    "marts.fct_data_quality",
    "marts.fct_feature_drift",
    "marts.fct_decile_lift",
    "marts.fct_model_evaluation",
    "marts.fct_ranked_targets",
    "marts.fct_target_lists",
    "marts.dim_user_segments",
    "marts.dim_users",
    "marts.dim_products",
}


def _spark_warehouse() -> Path:
    home = Path(os.environ.get("TARGETING_SPARK_HOME", "data/spark")) / "warehouse"
    if not home.is_dir():
        pytest.skip(f"no Spark warehouse at {home}: run make test-spark")
    return home


def _duckdb_warehouse() -> Path:
    path = Path(os.environ.get("TARGETING_DEMO_WAREHOUSE", "data/test.duckdb"))
    if not path.exists():
        pytest.skip(f"no DuckDB demo warehouse at {path}: run make test")
    return path


def _duckdb_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        f"{schema}.{table}"
        for schema, table in con.execute(
            """
            select table_schema, table_name from information_schema.tables
            where table_catalog = 'duck'
                and table_schema in ('staging', 'intermediate', 'marts', 'ml')
                and table_type = 'BASE TABLE'
            order by all
            """
        ).fetchall()
    ]


def _spark_files(warehouse: Path, table: str) -> Path | None:
    schema, name = table.split(".")
    folder = warehouse / f"{schema}.db" / name
    return folder if any(folder.glob("**/*.parquet")) else None


@pytest.fixture(scope="module")
def engines():
    warehouse = _spark_warehouse()
    con = duckdb.connect()
    con.execute(f"attach '{_duckdb_warehouse()}' as duck (read_only)")
    con.execute("set TimeZone = 'UTC'")
    tables = {
        table: folder
        for table in _duckdb_tables(con)
        if (folder := _spark_files(warehouse, table)) is not None
    }
    yield con, tables
    con.close()


def test_spark_built_every_table_it_should(engines):
    _, tables = engines
    assert set(tables) >= EXPECTED, sorted(EXPECTED - set(tables))


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_table_equals_duckdb(engines, table):
    con, tables = engines
    if table not in tables:
        pytest.fail(f"Spark did not build {table}")
    assert table_differences(con, table, tables[table]) == []


def test_every_other_shared_table_equals_duckdb(engines):
    con, tables = engines
    problems = [
        problem
        for table, folder in sorted(tables.items())
        if table not in EXPECTED
        for problem in table_differences(con, table, folder)
    ]
    assert problems == []
