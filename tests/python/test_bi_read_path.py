"""How BI tools and analysts read the marts: read-only, while no build holds the file.

A BI tool (Superset, Metabase, a notebook) connects the way these tests do: through
SQLAlchemy with duckdb-engine, or through the DuckDB client, in read-only mode. Any
number of read-only readers can share the file; a build needs it alone, so dbt waits for
readers to let go (profile ``retries``: 5 attempts, 1 + 2 + 4 + 8 + 16 s) and then fails
with DuckDB's lock message. README, "Reading the marts from a BI tool".
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import sqlalchemy
from dbt_runner import run_dbt

pytestmark = pytest.mark.integration

MARTS = (
    "fct_data_quality",
    "fct_decile_lift",
    "fct_model_evaluation",
    "fct_ranked_targets",
    "dim_user_segments",
    "fct_feature_drift",
    "fct_feature_snapshots",
)


def test_sqlalchemy_reads_every_mart_read_only(small_world) -> None:
    work_dir, _ = small_world
    engine = sqlalchemy.create_engine(
        f"duckdb:///{work_dir / 'warehouse.duckdb'}", connect_args={"read_only": True}
    )
    with engine.connect() as connection:
        tables = set(sqlalchemy.inspect(connection).get_table_names(schema="marts"))
        assert set(MARTS) <= tables
        for mart in MARTS:
            n_rows = connection.execute(sqlalchemy.text(f"select count(*) from marts.{mart}"))
            assert n_rows.scalar() > 0, mart
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only"):
            connection.execute(sqlalchemy.text("create table marts.scratch as select 1 as x"))
    engine.dispose()


def test_sqlalchemy_lists_every_marts_columns_and_comments(small_world) -> None:
    """What a BI tool calls to browse a table: the inspector's columns and comments.

    SQLAlchemy 2.0.45 and later fail here ("pg_collation does not exist"), hence the pin
    in requirements.in; this test is what catches an upgrade that breaks it again.
    """
    work_dir, _ = small_world
    engine = sqlalchemy.create_engine(
        f"duckdb:///{work_dir / 'warehouse.duckdb'}", connect_args={"read_only": True}
    )
    inspector = sqlalchemy.inspect(engine)
    marts = inspector.get_table_names(schema="marts")
    assert set(MARTS) <= set(marts)
    for mart in marts:
        columns = inspector.get_columns(mart, schema="marts")
        with engine.connect() as connection:
            expected = (
                connection.execute(
                    sqlalchemy.text(
                        "select column_name from information_schema.columns"
                        " where table_schema = 'marts' and table_name = :mart"
                        " order by ordinal_position"
                    ),
                    {"mart": mart},
                )
                .scalars()
                .all()
            )
        assert [column["name"] for column in columns] == expected, mart
        undescribed = [column["name"] for column in columns if not column.get("comment")]
        assert undescribed == [], f"{mart}: columns without a comment"
        assert inspector.get_table_comment(mart, schema="marts")["text"], mart
    engine.dispose()


def test_the_duckdb_client_reads_every_mart_read_only(small_world) -> None:
    work_dir, _ = small_world
    with duckdb.connect(str(work_dir / "warehouse.duckdb"), read_only=True) as con:
        for mart in MARTS:
            (n_rows,) = con.execute(f"select count(*) from marts.{mart}").fetchone()
            assert n_rows > 0, mart


def test_readers_in_other_processes_share_the_file(small_world) -> None:
    """Two read-only readers at once, each in its own process, as two BI tools would be."""
    work_dir, _ = small_world
    reader = (
        "import duckdb, sys; "
        "con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(con.execute('select count(*) from marts.fct_ranked_targets').fetchone()[0])"
    )
    path = str(work_dir / "warehouse.duckdb")
    with duckdb.connect(path, read_only=True):  # this process holds it too
        counts = [
            subprocess.run(
                [sys.executable, "-c", reader, path], capture_output=True, text=True, check=True
            ).stdout.strip()
            for _ in range(2)
        ]
    assert counts[0] == counts[1] and int(counts[0]) > 0


def test_a_writer_is_refused_while_a_reader_holds_the_file(small_world, tmp_path: Path) -> None:
    """What dbt meets when a reader is connected: a lock error (dbt retries it, then fails)."""
    work_dir, _ = small_world
    path = str(work_dir / "warehouse.duckdb")
    writer = "import duckdb, sys; duckdb.connect(sys.argv[1])"
    with duckdb.connect(path, read_only=True):
        result = subprocess.run(
            [sys.executable, "-c", writer, path], capture_output=True, text=True, check=False
        )
    assert result.returncode != 0
    assert "lock" in result.stderr.lower()


# A reader in its own process: opens the warehouse read-only, says so, holds it, lets go.
READER = (
    "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=True); "
    "print('holding', flush=True); time.sleep(float(sys.argv[2])); con.close()"
)


def _hold(path: Path, seconds: float) -> subprocess.Popen:
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert reader.stdout.readline().strip() == "holding"
    return reader


def test_dbt_waits_for_a_reader_that_lets_go(small_world, tmp_path: Path) -> None:
    """A reader holds the file for 4 s as dbt starts: dbt retries, then builds."""
    work_dir, _ = small_world
    shutil.copy(work_dir / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    reader = _hold(tmp_path / "warehouse.duckdb", 4)
    started = time.monotonic()
    result = run_dbt("run", tmp_path, work_dir / "raw", "--select", "int_products")
    waited = time.monotonic() - started
    reader.wait(timeout=60)
    assert result.returncode == 0, result.output[-3000:]
    assert waited >= 3, "dbt did not meet the reader's lock"


def test_dbt_gives_up_after_its_retries_with_the_lock_message(small_world, tmp_path: Path) -> None:
    """A reader that stays: dbt waits its bound (2 attempts: 1 + 2 s) and fails, naming the lock."""
    work_dir, _ = small_world
    shutil.copy(work_dir / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    reader = _hold(tmp_path / "warehouse.duckdb", 120)
    try:
        started = time.monotonic()
        result = run_dbt(
            "run",
            tmp_path,
            work_dir / "raw",
            "--select",
            "int_products",
            extra_env={"TARGETING_DBT_CONNECT_ATTEMPTS": "2"},
        )
        waited = time.monotonic() - started
    finally:
        reader.kill()
        reader.wait()
    assert result.returncode != 0
    assert "Could not set lock on file" in result.output, result.output[-3000:]
    assert 3 <= waited < 60
    # the reader saw the previous marts all along; they are still there, unchanged
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        (n_rows,) = con.execute("select count(*) from marts.fct_ranked_targets").fetchone()
    assert n_rows > 0
