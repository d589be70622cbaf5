"""Handing pandas frames back to dbt as typed DuckDB relations.

A dbt Python model returns a relation; a pandas frame would leave DuckDB to guess each
column's type (an all-null column has none). These helpers cast every column to the type
the model's YAML documents, and collect frames that come in batches into one temporary
table, so the whole result never has to sit in pandas at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import duckdb
import pandas as pd


def typed_select(types: Mapping[str, str]) -> str:
    """A select list casting each column to its type, in the given order."""
    return ", ".join(
        f'cast("{name}" as {sql_type}) as "{name}"' for name, sql_type in types.items()
    )


def empty_relation(
    session: duckdb.DuckDBPyConnection, types: Mapping[str, str]
) -> duckdb.DuckDBPyRelation:
    columns = ", ".join(f'cast(null as {sql_type}) as "{name}"' for name, sql_type in types.items())
    return session.sql(f"select {columns} where false")


def typed_relation(
    session: duckdb.DuckDBPyConnection, frame: pd.DataFrame, types: Mapping[str, str]
) -> duckdb.DuckDBPyRelation:
    if frame.empty:
        return empty_relation(session, types)
    return session.from_df(frame[list(types)]).project(typed_select(types))


def collect_batches(
    session: duckdb.DuckDBPyConnection,
    batches: Iterable[pd.DataFrame],
    types: Mapping[str, str],
    table: str,
) -> duckdb.DuckDBPyRelation:
    """All batches, typed, in one temporary table ``table`` (replaced if it exists)."""
    columns = ", ".join(f'"{name}" {sql_type}' for name, sql_type in types.items())
    session.execute(f'create or replace temp table "{table}" ({columns})')
    for batch in batches:
        if not batch.empty:
            typed_relation(session, batch, types).insert_into(table)
    return session.table(table)
