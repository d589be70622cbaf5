"""How BI tools and analysts read the marts: read-only, while no build holds the file.

A BI tool (Superset, Metabase, a notebook) connects the way these tests do: through
SQLAlchemy with duckdb-engine, or through the DuckDB client, in read-only mode. Any
number of read-only readers can share the file; a build needs it alone, so dbt waits for
readers to let go (profile ``retries``: 5 attempts, 1 + 2 + 4 + 8 + 16 s) and then fails
with DuckDB's lock message. README, "Reading the marts from a BI tool".
"""

from __future__ import annotations

import json
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
    "dim_users",
    "dim_products",
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


# The one table in marts without a declared key: the ML matrix the Python models read
# (user x product x snapshot, tens of millions of rows at M), whose index would cost the
# build memory for no reader's benefit; its grain is tested (unique_combination_of_columns).
WITHOUT_PRIMARY_KEY = {"fct_feature_snapshots"}


def test_sqlalchemy_lists_every_marts_primary_key(small_world) -> None:
    """A mart's grain as a BI tool reads it: the inspector's primary key.

    Through this package's dialect (duckdb+targeting, src/targeting/sqlalchemy_dialect.py)
    the inspector and Table reflection return the key each contract declares; stock
    duckdb-engine returns none (it reads an empty pg_index, Mause/duckdb_engine#594).
    """
    work_dir, _ = small_world
    nodes = json.loads((work_dir / "target" / "manifest.json").read_text())["nodes"]
    declared = {
        node["name"]: constraint["columns"]
        for node in nodes.values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
        for constraint in node.get("constraints", [])
        if constraint["type"] == "primary_key"
    }
    path = work_dir / "warehouse.duckdb"
    engine = sqlalchemy.create_engine(
        f"duckdb+targeting:///{path}", connect_args={"read_only": True}
    )
    inspector = sqlalchemy.inspect(engine)
    marts = set(inspector.get_table_names(schema="marts"))
    assert marts - WITHOUT_PRIMARY_KEY == declared.keys()
    for mart in sorted(marts):
        key = inspector.get_pk_constraint(mart, schema="marts")["constrained_columns"]
        assert key == declared.get(mart, []), mart
    table = sqlalchemy.Table(
        "fct_decile_lift", sqlalchemy.MetaData(), schema="marts", autoload_with=engine
    )
    assert list(table.primary_key.columns.keys()) == ["product_id", "model_name", "decile"]
    engine.dispose()
    stock = sqlalchemy.create_engine(f"duckdb:///{path}", connect_args={"read_only": True})
    stock_key = sqlalchemy.inspect(stock).get_pk_constraint("fct_decile_lift", schema="marts")
    assert stock_key["constrained_columns"] == [], "duckdb-engine reflects keys now: README"
    stock.dispose()


def test_the_seeds_carry_their_descriptions(small_world) -> None:
    """The reference tables a dashboard joins (product names, data-quality verdicts) are
    described in the warehouse like the models (seeds' persist_docs)."""
    work_dir, _ = small_world
    nodes = json.loads((work_dir / "target" / "manifest.json").read_text())["nodes"]
    seeds = [node for node in nodes.values() if node["resource_type"] == "seed"]
    assert seeds
    with duckdb.connect(str(work_dir / "warehouse.duckdb"), read_only=True) as con:
        for seed in seeds:
            (comment,) = con.execute(
                "select comment from duckdb_tables() where schema_name = ? and table_name = ?",
                [seed["schema"], seed["alias"]],
            ).fetchone()
            assert comment, seed["name"]
            undescribed = con.execute(
                "select column_name from duckdb_columns()"
                " where schema_name = ? and table_name = ? and coalesce(comment, '') = ''",
                [seed["schema"], seed["alias"]],
            ).fetchall()
            assert undescribed == [], seed["name"]


def test_a_list_column_reflects_as_an_array(small_world) -> None:
    """dim_users.adopted_product_ids (varchar[]): stock duckdb-engine reflects it as an
    unknown type, with a warning; this package's dialect as an ARRAY of strings."""
    work_dir, _ = small_world
    engine = sqlalchemy.create_engine(
        f"duckdb+targeting:///{work_dir / 'warehouse.duckdb'}", connect_args={"read_only": True}
    )
    columns = {
        column["name"]: column["type"]
        for column in sqlalchemy.inspect(engine).get_columns("dim_users", schema="marts")
    }
    engine.dispose()
    assert isinstance(columns["adopted_product_ids"], sqlalchemy.ARRAY)
    assert isinstance(columns["adopted_product_ids"].item_type, sqlalchemy.String)
    assert isinstance(columns["tenure_days"], sqlalchemy.BigInteger)


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
    # held far longer than dbt can take, even on a loaded machine: the lock message then
    # proves dbt gave up while the reader held the file (no wall-clock bound to flake on)
    reader = _hold(tmp_path / "warehouse.duckdb", 600)
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
    assert waited >= 3, "dbt did not wait out its retries (1 + 2 s)"
    # the reader saw the previous marts all along; they are still there, unchanged
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        (n_rows,) = con.execute("select count(*) from marts.fct_ranked_targets").fetchone()
    assert n_rows > 0


def _storage_version(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        (version,) = con.execute(
            "select tags['storage_version'] from duckdb_databases()"
            " where database_name = current_database()"
        ).fetchone()
    return version


def test_a_new_warehouse_is_written_for_older_readers_on_request(
    small_world, tmp_path: Path
) -> None:
    """TARGETING_DUCKDB_STORAGE_VERSION=v1.1.0: a new file in the format DuckDB 1.1 reads
    (tagged v1.0.0+, the format 1.0 and 1.1 share), without a warning."""
    work_dir, _ = small_world
    result = run_dbt(
        "seed",
        tmp_path,
        work_dir / "raw",
        "--select",
        "dq_issues",
        extra_env={"TARGETING_DUCKDB_STORAGE_VERSION": "v1.1.0"},
    )
    assert result.returncode == 0, result.output[-3000:]
    assert "TARGETING_DUCKDB_STORAGE_VERSION" not in result.output
    assert _storage_version(tmp_path / "warehouse.duckdb") == "v1.0.0+"


def test_asking_an_existing_warehouse_for_an_older_format_warns(
    small_world, tmp_path: Path
) -> None:
    """DuckDB ignores the setting for a file that exists: the run says so and how to copy it."""
    work_dir, _ = small_world
    shutil.copy(work_dir / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    result = run_dbt(
        "run",
        tmp_path,
        work_dir / "raw",
        "--select",
        "int_products",
        extra_env={"TARGETING_DUCKDB_STORAGE_VERSION": "v1.1.0"},
    )
    assert result.returncode == 0, result.output[-3000:]
    assert "was created in the format of v2.0.0+ and keeps it" in result.output
    assert "STORAGE_VERSION 'v1.1.0'); COPY FROM DATABASE warehouse TO compatible" in result.output
    assert _storage_version(tmp_path / "warehouse.duckdb") == "v2.0.0+"
