"""Incremental runs equal a full build, and late events are taken in or counted.

A small world's events arrive in three batches (by time, some of the first batch's last
days held back to arrive late with the second); after each batch `dbt build` runs
incrementally on the same warehouse. Every table built incrementally, and the features
and data-quality counts built from them, must equal those of one full build of all the
events, row for row. Events older than the late window are kept out and counted as
late_event until a full refresh takes them in.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from dbt_runner import run_dbt

from targeting.demo import generate

pytestmark = pytest.mark.integration

WORLD = {"users": 1000, "days": 90, "seed": 13, "end_date": "2026-10-31"}
START = dt.date(2026, 8, 2)  # end_date - days
CUTS = ["2026-09-01", "2026-10-01"]
# a few events of the first batch's last two days arrive with the second: 2 days late
LATE_FROM = "2026-08-30"
# the build: models and seeds, the features and the data quality (not the ML)
SELECTION = (
    "--exclude-resource-type",
    "test",
    "--exclude-resource-type",
    "unit_test",
    "--select",
    "+fct_feature_snapshots",
    "+fct_data_quality",
    "+int_sessions",
)
INCREMENTAL_TABLES = (
    "intermediate.int_events_deduplicated",
    "intermediate.int_user_hourly_activity",
    "intermediate.int_events_sessionized",
    "intermediate.int_sessions",
    "intermediate.int_user_daily_activity",
    "intermediate.int_user_item_daily_activity",
)
DOWNSTREAM_TABLES = (
    "intermediate.int_users_validated",
    "marts.fct_feature_snapshots",
    "marts.fct_data_quality",
)


def _batches(events: pa.Table) -> list[pa.Table]:
    """Three batches by time; rows without a parseable time go with the first; a third of
    the first batch's rows from LATE_FROM on arrive with the second instead."""
    time = events.column("occurred_at")
    parseable = pc.fill_null(pc.match_substring_regex(time, r"^\d{4}-\d\d-\d\d "), False)
    before_first_cut = pc.or_(pc.invert(parseable), pc.less(time, CUTS[0]))
    held_back = pc.and_(
        pc.and_(before_first_cut, pc.fill_null(pc.greater_equal(time, LATE_FROM), False)),
        pc.equal(
            pc.bit_wise_and(pc.cast(pc.fill_null(events.column("event_id"), 0), pa.int64()), 3), 0
        ),
    )
    first = pc.and_(before_first_cut, pc.invert(held_back))
    in_second = pc.and_(pc.greater_equal(time, CUTS[0]), pc.less(time, CUTS[1]))
    second = pc.or_(held_back, pc.and_(parseable, in_second))
    third = pc.and_(parseable, pc.fill_null(pc.greater_equal(time, CUTS[1]), False))
    return [events.filter(pc.fill_null(mask, False)) for mask in (first, second, third)]


def _build(work_dir: Path, *args: str) -> None:
    result = run_dbt("build", work_dir, work_dir / "raw", *SELECTION, *args)
    assert result.returncode == 0, result.output[-5000:]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    source = tmp_path_factory.mktemp("world")
    generate(source / "raw", **WORLD)
    events = pq.read_table(source / "raw" / "events.parquet")
    batches = _batches(events)
    assert sum(len(batch) for batch in batches) == len(events)

    full = tmp_path_factory.mktemp("full")
    (full / "raw").mkdir()
    incremental = tmp_path_factory.mktemp("incremental")
    (incremental / "raw").mkdir()
    for name in ("users", "connections", "adoptions"):
        for work_dir in (full, incremental):
            (work_dir / "raw" / f"{name}.parquet").write_bytes(
                (source / "raw" / f"{name}.parquet").read_bytes()
            )
    pq.write_table(events, full / "raw" / "events.parquet")
    _build(full)

    for n_batches in range(1, len(batches) + 1):
        arrived = pa.concat_tables(batches[:n_batches])
        pq.write_table(arrived, incremental / "raw" / "events.parquet")
        _build(incremental)
    return full, incremental, len(batches[1])


def _differing_rows(first: Path, second: Path, table: str) -> tuple[int, int]:
    with duckdb.connect() as con:
        con.execute(f"attach '{first / 'warehouse.duckdb'}' as first (read_only)")
        con.execute(f"attach '{second / 'warehouse.duckdb'}' as second (read_only)")
        (n_rows,) = con.execute(f"select count(*) from first.{table}").fetchone()
        # every column but when the run that wrote a row started
        schema, name = table.split(".")
        columns = ", ".join(
            f'"{column}"'
            for (column,) in con.execute(
                "select column_name from information_schema.columns where table_catalog ="
                f" 'first' and table_schema = '{schema}' and table_name = '{name}'"
                " and column_name <> 'built_at' order by ordinal_position"
            ).fetchall()
        )
        rows = {db: f"select {columns} from {db}.{table}" for db in ("first", "second")}
        (differing,) = con.execute(
            f"""
            select count(*) from (
                ({rows["first"]} except all {rows["second"]})
                union all
                ({rows["second"]} except all {rows["first"]})
            )
            """
        ).fetchone()
    return n_rows, differing


@pytest.mark.parametrize("table", INCREMENTAL_TABLES + DOWNSTREAM_TABLES)
def test_three_incremental_runs_equal_one_full_build(builds, table: str) -> None:
    full, incremental, _ = builds
    n_rows, differing = _differing_rows(full, incremental, table)
    assert n_rows > 0
    assert differing == 0, f"{table}: {differing} of {n_rows} rows differ"


def test_the_uniqueness_tests_find_a_latest_row_repeating_an_earlier_one(
    builds, tmp_path: Path
) -> None:
    """The incremental tables' uniqueness tests check only the latest run's keys
    (``latest_batch``), but against every row: a new row repeating a row written runs
    before fails them, as does a repeat inside the latest day."""
    _, incremental, _ = builds
    work = tmp_path / "copy"
    shutil.copytree(incremental, work)
    tables = {
        "int_events_deduplicated": "where dq_issue is null",
        "int_events_sessionized": "where true",
        "int_user_item_daily_activity": "where true",
    }
    selection = ("--select", *tables)

    def tested() -> str:
        return run_dbt("test", work, work / "raw", *selection).output

    assert "FAIL" not in tested()
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        for table, clean in tables.items():
            relation = f"intermediate.{table}"
            (first, latest) = con.execute(
                f"select min(built_at), max(built_at) from {relation}"
            ).fetchone()
            assert first < latest  # rows of several runs
            # the item table's key holds its day: a repeat of the latest day's row;
            # the event tables': a row of the first run again, as if written by the latest
            written = "latest" if table == "int_user_item_daily_activity" else "first"
            con.execute(
                f"insert into {relation} select * replace (cast(? as timestamp) as built_at)"
                f" from {relation} {clean} and built_at = ? limit 1",
                [latest, {"first": first, "latest": latest}[written]],
            )
    output = tested()
    for table in tables:
        assert f"FAIL 1 unique_combination_of_columns_{table}_" in output, output[-3000:]


def test_the_uniqueness_tests_find_a_repeat_in_a_table_of_one_run(builds, tmp_path: Path) -> None:
    """A table whose rows all share one ``built_at`` (a full build) gets the plain check
    (no semi join of every row against the latest run's): a repeated key still fails it."""
    full, _, _ = builds
    work = tmp_path / "copy"
    shutil.copytree(full, work)
    tables = {"int_events_deduplicated": "where dq_issue is null", "int_events_sessionized": ""}

    def tested() -> str:
        return run_dbt("test", work, work / "raw", "--select", *tables).output

    assert "FAIL" not in tested()
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        for table, clean in tables.items():
            relation = f"intermediate.{table}"
            (n_runs,) = con.execute(f"select count(distinct built_at) from {relation}").fetchone()
            assert n_runs == 1
            con.execute(f"insert into {relation} select * from {relation} {clean} limit 1")
    output = tested()
    for table in tables:
        assert f"FAIL 1 unique_combination_of_columns_{table}_" in output, output[-3000:]


def test_events_older_than_the_late_window_are_counted_until_a_full_refresh(builds) -> None:
    _, incremental, _ = builds
    raw = incremental / "raw" / "events.parquet"
    events = pq.read_table(raw)
    # ten copies of early events with fresh ids: weeks older than the last built day
    stale = events.filter(pc.fill_null(pc.less(events.column("occurred_at"), "2026-08-10"), False))
    stale = stale.slice(0, 10)
    stale = stale.set_column(
        stale.schema.get_field_index("event_id"),
        "event_id",
        pa.array(range(10**9, 10**9 + len(stale)), pa.int64()),
    )
    pq.write_table(pa.concat_tables([events, stale]), raw)

    def counted(*args: str) -> tuple[int, int]:
        _build(incremental, *args)
        with duckdb.connect(str(incremental / "warehouse.duckdb"), read_only=True) as con:
            (late,) = con.execute(
                "select n_rows from marts.fct_data_quality where dq_issue = 'late_event'"
            ).fetchone()
            (kept,) = con.execute(
                "select count(*) from intermediate.int_events_deduplicated "
                "where cast(event_id as bigint) >= 1000000000"
            ).fetchone()
        return late, kept

    assert counted() == (len(stale), 0)
    assert counted("--full-refresh") == (0, len(stale))
