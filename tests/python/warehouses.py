"""Comparing two built warehouses, row for row."""

from __future__ import annotations

from pathlib import Path

import duckdb

# what may differ between two builds of the same input: when and why the models were
# trained (a warehouse built day by day reuses models a fresh build trains)
VOLATILE_COLUMNS = {"trained_at", "training_reason"}


def published_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
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
    ]


def differences(left: Path, right: Path) -> list[str]:
    """Tables of the marts and ml schemas that differ between two warehouses, row for row."""
    problems = []
    with duckdb.connect() as con:
        con.execute(f"attach '{left}' as left_db (read_only)")
        con.execute(f"attach '{right}' as right_db (read_only)")
        tables = published_tables(con, "left_db")
        assert len(tables) >= 10, tables
        if tables != published_tables(con, "right_db"):
            return [f"tables differ: {tables} vs {published_tables(con, 'right_db')}"]
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
            (n_differing,) = con.execute(
                f"""
                select count(*) from (
                    (select {select} from left_db.{table} except all
                     select {select} from right_db.{table})
                    union all
                    (select {select} from right_db.{table} except all
                     select {select} from left_db.{table})
                )
                """
            ).fetchone()
            if n_differing:
                problems.append(f"{table}: {n_differing} rows differ")
    return problems
