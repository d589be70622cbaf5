"""The comparison of test_spark_equivalence finds what differs between two engines'
tables, and only that (no Spark needed: the other engine's files are written here)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from table_comparison import table_differences

# DuckDB's table: text, a whole number, fractions (double and decimal), a time, a flag,
# a stored model (JSON) and when the row was written (volatile: never compared)
ROWS = """
    select * from (values
        ('u1', 1, 0.5, 1.25, timestamp '2024-01-01 10:00:00', true,
            '{"w": 0.1, "model_text": "tree a"}', timestamp '2024-03-01 00:00:00'),
        ('u2', 2, null, 2.5, timestamp '2024-01-02 11:30:00', false,
            null, timestamp '2024-03-01 00:00:00'),
        ('u3', 2, 0.75, 2.5, null, null,
            '{"w": [1, 2.5]}', timestamp '2024-03-01 00:00:00')
    ) as v(user_id, n_events, share, amount, seen_at, is_active, evaluation_model, built_at)
"""
# the same rows as Spark writes them: in another order, the decimal as a double, the time
# with its time zone, written later
SPARK_ROWS = """
    select
        user_id, n_events, share, cast(amount as double) as amount,
        cast(seen_at as timestamptz) as seen_at, is_active, evaluation_model,
        timestamp '2024-03-02 00:00:00' as built_at
    from duck.marts.t
    order by user_id desc
"""


@pytest.fixture
def compare(tmp_path):
    database = tmp_path / "duck.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.t as select user_id, n_events, share,"
            " cast(amount as decimal(18, 6)) as amount, seen_at, is_active,"
            f" evaluation_model, built_at from ({ROWS})"
        )
    con = duckdb.connect()
    con.execute(f"attach '{database}' as duck (read_only)")
    con.execute("set TimeZone = 'UTC'")

    def differences(spark_sql: str) -> list[str]:
        folder = tmp_path / "spark" / "marts.db" / "t"
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.parquet"):
            old.unlink()
        con.execute(f"copy ({spark_sql}) to '{Path(folder) / 'part-0.parquet'}' (format parquet)")
        return table_differences(con, "marts.t", folder)

    yield differences
    con.close()


def test_the_same_rows_written_otherwise_are_equal(compare):
    assert compare(SPARK_ROWS) == []


def test_fractions_within_1e_9_are_equal_and_a_nan_is_a_null(compare):
    spark = SPARK_ROWS.replace(
        "user_id, n_events, share,",
        "user_id, n_events, coalesce(share * (1 + 1e-12), 'NaN'::double) as share,",
    )
    assert compare(spark) == []
    assert compare(_model_text_replaced('"w": 0.1', '"w": 0.1000000000001')) == []


def test_a_fraction_off_by_more_is_found(compare):
    spark = SPARK_ROWS.replace(
        "user_id, n_events, share,",
        "user_id, n_events, case when user_id = 'u3' then share + 1e-6 else share end as share,",
    )
    assert compare(spark) == [
        "marts.t.share: 1 of 3 rows differ, e.g. DuckDB 0.75 vs Spark 0.750001"
    ]


def test_text_times_flags_and_nulls_are_compared_exactly(compare):
    spark = (
        SPARK_ROWS.replace(
            "cast(seen_at as timestamptz) as seen_at,",
            "cast(seen_at as timestamptz) + interval 1 second as seen_at,",
        )
        .replace("is_active,", "coalesce(is_active, true) as is_active,")
        .replace("user_id, n_events,", "user_id, n_events + (user_id = 'u1')::int as n_events,")
    )
    problems = compare(spark)
    assert len(problems) == 3
    assert problems[0].startswith(
        "marts.t.n_events: 1 of 3 rows differ, e.g. DuckDB 1.0 vs Spark 2.0"
    )
    assert problems[1].startswith("marts.t.seen_at: 2 of 3 rows differ")
    assert problems[2] == "marts.t.is_active: 1 of 3 rows differ, e.g. DuckDB None vs Spark True"


def _model_text_replaced(old: str, new: str) -> str:
    return SPARK_ROWS.replace(
        "is_active, evaluation_model,",
        f"is_active, replace(evaluation_model, '{old}', '{new}') as evaluation_model,",
    )


def test_a_stored_models_numbers_are_compared_but_not_its_trees(compare):
    assert compare(_model_text_replaced('"tree a"', '"tree b"')) == []
    problems = compare(_model_text_replaced('"w": [1, 2.5]', '"w": [1, 2.6]'))
    assert len(problems) == 1
    assert problems[0].startswith("marts.t.evaluation_model: 1 of 3 rows differ")


def test_missing_rows_or_columns_are_said(compare):
    assert compare(SPARK_ROWS + " limit 2") == ["marts.t: 3 rows on DuckDB, 2 on Spark"]
    no_flag = SPARK_ROWS.replace("is_active,", "")
    assert compare(no_flag) == ["marts.t: Spark lacks columns ['is_active']"]
