"""Reading built warehouses: a query, and two warehouses compared row for row."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd


def query(warehouse: Path, sql: str) -> pd.DataFrame:
    """``sql``'s rows from the warehouse file, opened read-only."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).df()


# what may differ between two builds of the same input: when and why the models were
# trained (a warehouse built day by day reuses models a fresh build trains), when a list
# was written
VOLATILE_COLUMNS = {"trained_at", "training_reason", "model_trained_at", "listed_at"}
# history tables: a warehouse built day by day holds the earlier days' rows too, so only
# the latest day's rows are compared
HISTORY_TABLES = {"marts.fct_target_lists": "snapshot_date"}


# What a build killed mid-model can leave beside a table, neither of them a mart: dbt-duckdb's
# table materialization renames the old table to <name>__dbt_backup, puts the new one in
# its place, commits, and only then drops the backup; a Python model's rows are first
# written to <name>__dbt_tmp on a connection of their own (committed at once), which dbt
# renames or drops only after. The next build drops both before it reuses the names.
DBT_LEFTOVER_SUFFIXES = ("__dbt_backup", "__dbt_tmp")


def published_tables(
    con: duckdb.DuckDBPyConnection, catalog: str, dbt_leftovers: bool = True
) -> list[str]:
    """The marts and ml tables; without what a killed build can leave of dbt's copies
    (``DBT_LEFTOVER_SUFFIXES``) when ``dbt_leftovers`` is false."""
    return [
        f"{schema}.{table}"
        for schema, table in con.execute(
            f"""
            select table_schema, table_name from information_schema.tables
            where table_catalog = '{catalog}' and table_schema in ('marts', 'ml')
                and table_type = 'BASE TABLE'
            order by all
            """
        ).fetchall()
        if dbt_leftovers or not table.endswith(DBT_LEFTOVER_SUFFIXES)
    ]


def differences(left: Path, right: Path, dbt_leftovers: bool = True) -> list[str]:
    """Tables of the marts and ml schemas that differ between two warehouses, row for row.
    ``dbt_leftovers=False``: a copy that a killed build left (``DBT_LEFTOVER_SUFFIXES``) is
    not a difference."""
    problems = []
    with duckdb.connect() as con:
        con.execute(f"attach '{left}' as left_db (read_only)")
        con.execute(f"attach '{right}' as right_db (read_only)")
        tables = published_tables(con, "left_db")
        assert len(tables) >= 10, tables
        right_tables = published_tables(con, "right_db", dbt_leftovers)
        if tables != right_tables:
            return [f"tables differ: {tables} vs {right_tables}"]
        for table in tables:
            schema, name = table.split(".")
            columns = [
                column
                for (column,) in con.execute(
                    "select column_name from information_schema.columns"
                    f" where table_catalog = 'left_db' and table_schema = '{schema}'"
                    f" and table_name = '{name}' order by ordinal_position"
                ).fetchall()
                if column not in VOLATILE_COLUMNS
            ]
            select = ", ".join(f'"{column}"' for column in columns)
            rows = {db: f"select {select} from {db}.{table}" for db in ("left_db", "right_db")}
            if table in HISTORY_TABLES:
                day = HISTORY_TABLES[table]
                rows = {
                    db: f"{query} where {day} = (select max({day}) from {db}.{table})"
                    for db, query in rows.items()
                }
            (n_differing,) = con.execute(
                f"""
                select count(*) from (
                    ({rows["left_db"]} except all {rows["right_db"]})
                    union all
                    ({rows["right_db"]} except all {rows["left_db"]})
                )
                """
            ).fetchone()
            if n_differing:
                problems.append(f"{table}: {n_differing} rows differ")
    return problems
