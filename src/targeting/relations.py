"""Handing pandas frames back to dbt as typed DuckDB relations.

A dbt Python model returns a relation; a pandas frame would leave DuckDB to guess each
column's type (an all-null column has none). These helpers cast every column to the type
the model's YAML documents, and collect frames that come in batches into one temporary
table, so the whole result never has to sit in pandas at once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from targeting.encoding import USAGE_COLUMNS, Usage

# The user x item usage of each row, as a list beside it (Spark's rows: split_usage).
ITEM_USES = "item_uses"


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
    batches: Iterable[tuple[int, pd.DataFrame]],
    types: Mapping[str, str],
    table: str,
) -> duckdb.DuckDBPyRelation:
    """All batches, typed, in temporary tables named after ``table`` (replaced if they
    exist). Each batch comes with the number of the part it belongs to (a job of
    ``side_by_side``): the relation returned holds the parts in the order of their
    numbers, each part's batches in the order they came, however the parts interleaved."""
    columns = ", ".join(f'"{name}" {sql_type}' for name, sql_type in types.items())
    parts: dict[int, str] = {}
    for part, batch in batches:
        if batch.empty:
            continue
        if part not in parts:
            parts[part] = f"{table}__{part}"
            session.execute(f'create or replace temp table "{parts[part]}" ({columns})')
        typed_relation(session, batch, types).insert_into(parts[part])
    if not parts:
        session.execute(f'create or replace temp table "{table}" ({columns})')
        return session.table(table)
    relations = [session.table(parts[part]) for part in sorted(parts)]
    return functools.reduce(lambda left, right: left.union(right), relations)


def frames_in_batches(
    relation: duckdb.DuckDBPyRelation,
    batch_size: int,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> Iterator[pd.DataFrame]:
    """The relation's rows as pandas frames of at most ``batch_size`` rows, in its order.

    Pass a ``connection`` of its own (``session.cursor()``) when the caller runs other
    queries while reading: a query on the reading connection would end the stream. The
    Arrow reader is closed when the iteration ends, early or not.
    """
    if connection is not None:
        relation = connection.sql(relation.sql_query())
    reader = relation.to_arrow_reader(batch_size)
    try:
        for batch in reader:
            yield batch.to_pandas(date_as_object=False)
    finally:
        reader.close()


def usage_at(rows: duckdb.DuckDBPyRelation, usage: duckdb.DuckDBPyRelation) -> Usage:
    """The usage (``int_user_items_windowed``) of every user at the snapshot dates of
    ``rows`` (feature snapshots), read once, flat.

    One such ``Usage`` serves every product scored or judged at those dates (``batches``).
    A list of uses beside each row, aggregated in DuckDB for each product's rows and split
    again in each batch, cost the M world's daily scoring 8 s of each product's 10 s read
    and 15 s of splitting, the same usage four times over. Read in the caller's thread,
    before the products' threads start."""
    dates = rows.select("snapshot_date").distinct()
    used = usage.join(dates, "snapshot_date", how="semi")
    table = used.select(", ".join(USAGE_COLUMNS)).to_arrow_table()
    read = Usage(table.to_pandas(date_as_object=False))
    # pandas fills an index's hash table on its first lookup (without the GIL for numbers):
    # a first lookup now, not in two of the threads that share it at once
    read.rows(pd.DataFrame({"user_id": [""], "snapshot_date": [pd.Timestamp(0)]}), read.items[:1])
    return read


def batches(
    relation: duckdb.DuckDBPyRelation,
    usage: Usage,
    batch_size: int,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> Iterator[tuple[pd.DataFrame, Usage]]:
    """The relation's rows (feature snapshots) in batches, each with ``usage`` (``usage_at``
    of their dates), as the scoring functions take them."""
    for frame in frames_in_batches(relation, batch_size, connection):
        yield frame, usage


def table_and_usage(
    rows: duckdb.DuckDBPyRelation,
    usage: duckdb.DuckDBPyRelation,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> tuple[pd.DataFrame, Usage]:
    """All of ``rows`` (feature snapshots, in their order) and the usage
    (``int_user_items_windowed``) of their (user, snapshot) pairs: (the rows, their usage).

    For rows read whole, the usage is read flat, beside them: a list per row (as Spark
    reads it, ``split_usage``) cost the demo's training read 4x more.
    Pass a ``connection`` of its own to read from another thread than the relations'.
    """
    if connection is not None:
        rows, usage = connection.sql(rows.sql_query()), connection.sql(usage.sql_query())
    frame = rows.to_arrow_table().to_pandas(date_as_object=False)
    pairs = rows.select("user_id, snapshot_date")
    used = usage.join(pairs, "user_id, snapshot_date", how="semi")
    table = used.select(", ".join(USAGE_COLUMNS)).to_arrow_table()
    return frame, Usage(table.to_pandas(date_as_object=False))


def split_usage(table: pa.Table) -> tuple[pd.DataFrame, Usage]:
    """Arrow rows with an ``item_uses`` list column (from DuckDB or Spark): (the rows, their
    usage), converted to pandas the same way whichever engine produced them."""
    lists = table.column(ITEM_USES).combine_chunks()
    parents = pc.list_parent_indices(lists)
    items = pc.list_flatten(lists)
    usage = pd.DataFrame(
        {
            "user_id": table.column("user_id").take(parents).to_pandas(),
            "snapshot_date": table.column("snapshot_date")
            .take(parents)
            .to_pandas(date_as_object=False),
            "item_kind": items.field("item_kind").to_pandas(),
            "item": items.field("item").to_pandas(),
            "uses_90d": items.field("uses_90d").to_pandas(),
        },
        columns=list(USAGE_COLUMNS),
    )
    frame = table.drop_columns([ITEM_USES]).to_pandas(date_as_object=False)
    return frame, Usage(usage)


def stored_rows(
    session: duckdb.DuckDBPyConnection, table: str, where: str = "true"
) -> duckdb.DuckDBPyRelation | None:
    """The rows of a table this model wrote on an earlier run (``dbt.this``), or None when
    there is no such table yet."""
    try:
        return session.sql(f"select * from {table} where {where}")
    except duckdb.CatalogException:
        return None


def kept_test_scores(
    models: pd.DataFrame, previous: duckdb.DuckDBPyRelation | None
) -> tuple[pd.DataFrame, duckdb.DuckDBPyRelation | None]:
    """Which test scores of the last run ``ml_propensity_scores`` keeps.

    A model row kept from an earlier run (``ml_propensity_models``, same ``trained_at``)
    whose test snapshot the last run scored has the same test scores now: they are kept,
    and its evaluation fit is taken out of ``models`` so that it scores nothing again.
    Returns (the models to score, the kept rows or None)."""
    if previous is None or "trained_at" not in previous.columns or models.empty:
        return models, None
    scored = {
        (product_id, model_name, pd.Timestamp(trained_at), pd.Timestamp(snapshot_date))
        for product_id, model_name, trained_at, snapshot_date in previous.aggregate(
            "product_id, model_name, trained_at, snapshot_date",
            "product_id, model_name, trained_at, snapshot_date",
        ).fetchall()
        if trained_at is not None
    }
    keep = np.array(
        [
            row.status == "ok"
            and not pd.isna(row.trained_at)
            and not pd.isna(row.test_snapshot_date)
            and (
                row.product_id,
                row.model_name,
                pd.Timestamp(row.trained_at),
                pd.Timestamp(row.test_snapshot_date),
            )
            in scored
            for row in models.itertuples()
        ],
        dtype=bool,
    )
    if not keep.any():
        return models, None
    pairs = models.loc[keep, ["product_id", "model_name"]].itertuples(index=False)
    kept = previous.filter(f"(product_id, model_name) in ({_pair_list(pairs)})")
    to_score = models.copy()
    to_score["evaluation_model"] = to_score["evaluation_model"].where(~keep, None)
    return to_score, kept


def replace_all_but(
    session: duckdb.DuckDBPyConnection,
    table: str,
    kept: duckdb.DuckDBPyRelation | None,
    rows: duckdb.DuckDBPyRelation,
) -> duckdb.DuckDBPyRelation:
    """``table`` left holding only ``kept``'s rows (a filter of its own test rows, as
    ``kept_test_scores`` returns it: whole product x model pairs at role test) and
    ``rows``, in one transaction of ``session``; returns what dbt should still append.

    dbt appends a Python model's rows on a connection of its own, after the model's code
    has run: a delete made here and dbt's insert were two commits, and a build killed
    between them left the table without the rows it was about to replace (seen in
    ``test_interrupted_runs``). Here a kill at any point leaves the table as it was or as
    it should be; dbt is handed no row. When ``rows`` has other columns than the table
    (a new version of the model), dbt must change the table's columns before it
    appends: the old rows are then deleted and ``rows`` handed to dbt, as before."""
    columns = session.sql(f"select * from {table} limit 0").columns
    if sorted(columns) != sorted(rows.columns):
        _delete_all_but(session, table, kept)
        return rows
    session.begin()
    try:
        _delete_all_but(session, table, kept)
        rows.select(", ".join(f'"{column}"' for column in columns)).insert_into(table)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return rows.limit(0)


def _delete_all_but(
    session: duckdb.DuckDBPyConnection, table: str, kept: duckdb.DuckDBPyRelation | None
) -> None:
    """Delete every row of ``table`` but those of ``kept``."""
    if kept is None:
        session.execute(f"delete from {table}")
        return
    pairs = kept.aggregate("product_id, model_name", "product_id, model_name").fetchall()
    session.execute(
        f"delete from {table} where role <> 'test'"
        f" or (product_id, model_name) not in ({_pair_list(pairs)})"
    )


def _pair_list(pairs: Iterable[tuple[str, str]]) -> str:
    """(product_id, model_name) pairs as a SQL list of quoted tuples."""
    return ", ".join(
        "('{}', '{}')".format(*(value.replace("'", "''") for value in pair)) for pair in pairs
    )
