"""Integration: generate a small demo world, build it with dbt, check the warehouse.

The generator's manifest says exactly which dirty rows it injected; fct_data_quality
must count the same, kind by kind. Also: CSV input with an empty connections file and
all-null demographics, optional columns missing, personal data hashed, and errors that
name the missing file or column.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import SMALL_WORLD_SALT
from dbt_runner import UP_TO_DATA_QUALITY, run_dbt
from warehouses import differences

pytestmark = pytest.mark.integration


def query(work_dir: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(work_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


def test_data_quality_counts_equal_the_manifest(small_world: tuple[Path, dict]) -> None:
    work_dir, manifest = small_world
    built = query(
        work_dir,
        "select source_table, dq_issue, n_rows from marts.fct_data_quality where n_rows > 0",
    )
    actual = {(row.source_table, row.dq_issue): row.n_rows for row in built.itertuples()}
    expected = {
        (table, issue): n
        for table, issues in manifest["dq_issues"].items()
        for issue, n in issues.items()
        if n > 0
    }
    assert actual == expected


def test_every_injected_kind_is_counted(small_world: tuple[Path, dict]) -> None:
    work_dir, manifest = small_world
    built = query(work_dir, "select source_table, dq_issue, n_rows from marts.fct_data_quality")
    counted = {(row.source_table, row.dq_issue) for row in built.itertuples() if row.n_rows > 0}
    injected = {
        (table, issue)
        for table, issues in manifest["dq_issues"].items()
        for issue in issues
        if issue != "clean"
    }
    assert injected, "the generator injected no dirty rows"
    assert injected <= counted


def test_shares_add_up_per_table(small_world: tuple[Path, dict]) -> None:
    work_dir, manifest = small_world
    totals = query(
        work_dir,
        """
        select source_table, sum(n_rows) as n_rows, sum(share_of_rows) as share
        from marts.fct_data_quality group by source_table
        """,
    )
    for row in totals.itertuples():
        if row.source_table not in manifest["rows"]:
            # an optional input the world does not have: its checks count nothing
            assert (row.source_table, row.n_rows, row.share) == ("campaign_assignments", 0, 0)
            continue
        assert row.n_rows == manifest["rows"][row.source_table]
        assert row.share == pytest.approx(1.0)


def test_layers_land_in_their_schemas(small_world: tuple[Path, dict]) -> None:
    work_dir, _ = small_world
    relations = query(
        work_dir,
        "select table_schema, table_name, table_type from information_schema.tables",
    )
    found = {(row.table_schema, row.table_name): row.table_type for row in relations.itertuples()}
    for name in ("stg_app__events", "stg_app__connections", "stg_app__adoptions"):
        assert found[("staging", name)] == "VIEW"
    assert found[("staging", "stg_app__users")] == "BASE TABLE"
    assert found[("intermediate", "int_events_validated")] == "VIEW"
    assert found[("intermediate", "int_events_deduplicated")] == "BASE TABLE"
    assert found[("marts", "fct_data_quality")] == "BASE TABLE"


def test_email_is_only_stored_as_salted_hash(small_world: tuple[Path, dict]) -> None:
    work_dir, _ = small_world
    raw = pd.read_parquet(work_dir / "raw" / "users.parquet")
    one = raw.dropna(subset=["user_id", "email"]).iloc[0]
    expected_hash = hashlib.sha256((SMALL_WORLD_SALT + one.email.lower()).encode()).hexdigest()
    stored = query(
        work_dir,
        f"select email_hash from staging.stg_app__users where user_id = '{one.user_id}'",
    )
    assert stored.email_hash.iloc[0] == expected_hash
    columns = query(work_dir, "select table_name, column_name from information_schema.columns")
    assert "email" not in set(columns.column_name)


def _write_csv_world(source: Path, target: Path, connections: str) -> None:
    """The Parquet world as CSV, with an empty connections file and no demographics."""
    target.mkdir()
    for name in ("users", "events", "adoptions"):
        frame = pd.read_parquet(source / f"{name}.parquet")
        if name == "users":
            demographics = ["country", "industry", "job_title", "company_size", "birth_year"]
            frame[demographics] = None
        frame.to_csv(target / f"{name}.csv", index=False)
    (target / "connections.csv").write_text(connections)


@pytest.mark.parametrize(
    ("connections", "selection"),
    [
        ("user_id,connected_user_id,connected_at\n", ()),
        # how an empty file is read is all that differs: the build up to the data quality
        # counts: 16 s, where the whole build took 32 s
        ("", UP_TO_DATA_QUALITY),
    ],
    ids=["header_only_connections", "zero_byte_connections"],
)
def test_csv_input_with_empty_connections_and_null_demographics_builds(
    small_world: tuple[Path, dict], tmp_path: Path, connections: str, selection: tuple[str, ...]
) -> None:
    source_dir = small_world[0] / "raw"
    _write_csv_world(source_dir, tmp_path / "raw", connections)
    result = run_dbt("build", tmp_path, tmp_path / "raw", *selection, raw_format="csv")
    assert result.returncode == 0, result.output[-5000:]
    built = query(
        tmp_path,
        """
        select source_table, sum(n_rows) as n_rows
        from marts.fct_data_quality group by source_table
        """,
    )
    rows = dict(zip(built.source_table, built.n_rows, strict=True))
    assert rows["connections"] == 0
    assert rows["events"] == len(pd.read_parquet(source_dir / "events.parquet"))
    # no campaign input: its checks count nothing and no campaign is measured
    assert rows["campaign_assignments"] == 0
    if not selection:
        assert query(tmp_path, "select count(*) as n from marts.fct_campaign_results").n[0] == 0


def test_missing_optional_columns_read_as_null(
    small_world: tuple[Path, dict], tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(small_world[0] / "raw", raw)
    events = pd.read_parquet(raw / "events.parquet")
    events.drop(columns=["item", "user_agent", "scroll_depth_pct"]).to_parquet(
        raw / "events.parquet"
    )
    result = run_dbt("build", tmp_path, raw)
    assert result.returncode == 0, result.output[-5000:]
    built = query(tmp_path, "select count(item) as n_items from intermediate.int_events_validated")
    assert built.n_items.iloc[0] == 0


def test_missing_required_column_names_file_and_column(
    small_world: tuple[Path, dict], tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(small_world[0] / "raw", raw)
    events = pd.read_parquet(raw / "events.parquet")
    events.rename(columns={"occurred_at": "timestamp"}).to_parquet(raw / "events.parquet")
    result = run_dbt("build", tmp_path, raw)
    assert result.returncode != 0
    message = next(line for line in result.output.splitlines() if "targeting:" in line)
    assert f"{raw}/events.parquet has no column occurred_at" in message
    assert "targeting__raw_path" in message


def test_missing_file_names_file_and_var(tmp_path: Path) -> None:
    result = run_dbt("build", tmp_path, tmp_path / "nowhere")
    assert result.returncode != 0
    message = next(line for line in result.output.splitlines() if "targeting:" in line)
    assert f"{tmp_path}/nowhere/users.parquet not found" in message
    assert "targeting__raw_path" in message


def test_an_unknown_product_fails_naming_the_known_ones(
    small_world: tuple[Path, dict], tmp_path: Path
) -> None:
    work_dir, manifest = small_world
    shutil.copy(work_dir / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    result = run_dbt(
        "run",
        tmp_path,
        work_dir / "raw",
        "--select",
        "int_products",
        extra_vars={"targeting__products": ["analytics_pro", "no_such_product"]},
    )
    assert result.returncode != 0
    message = next(line for line in result.output.splitlines() if "targeting:" in line)
    known = ", ".join(sorted(p for p, facts in manifest["products"].items() if facts["adopters"]))
    assert (
        "targeting: var targeting__products names no_such_product, which no valid adoption has;"
        f" known products: {known}"
    ) in message


def test_every_model_column_is_documented_and_exists(small_world: tuple[Path, dict]) -> None:
    """The YAML docs and the warehouse agree: no column undocumented, none documented away."""
    work_dir, _ = small_world
    nodes = json.loads((work_dir / "target" / "manifest.json").read_text())["nodes"]
    models = [node for node in nodes.values() if node["resource_type"] == "model"]
    built = query(
        work_dir, "select table_schema, table_name, column_name from information_schema.columns"
    )
    columns: dict[tuple[str, str], list[str]] = {}
    for row in built.itertuples():
        columns.setdefault((row.table_schema, row.table_name), []).append(row.column_name)
    problems = []
    for model in models:
        in_warehouse = columns.get((model["schema"], model["alias"]))
        assert in_warehouse, f"{model['name']} was not built"
        if not model["description"].strip():
            problems.append(f"{model['name']}: no description")
        documented = {
            name for name, column in model["columns"].items() if column["description"].strip()
        }
        problems += [
            f"{model['name']}.{c}: not documented" for c in in_warehouse if c not in documented
        ]
        problems += [
            f"{model['name']}.{c}: documented, not built"
            for c in model["columns"]
            if c not in in_warehouse
        ]
    assert not problems, "\n".join(problems)


def test_a_second_build_with_one_thread_is_identical(
    small_world: tuple[Path, dict], tmp_path: Path
) -> None:
    """Same input and vars, other thread count (1, the fixture's 2): the same features,
    models, scores and marts, every row of every table in the marts and ml schemas. The
    data tests, which write no table and passed on this input in the fixture, are left
    out: with one thread they took 8.6 s of the 26.4 s build (17.8 s without them)."""
    work_dir, _ = small_world
    result = run_dbt(
        "build", tmp_path, work_dir / "raw", "--threads", "1", "--exclude-resource-type", "test"
    )
    assert result.returncode == 0, result.output[-5000:]
    assert differences(work_dir / "warehouse.duckdb", tmp_path / "warehouse.duckdb") == []


def test_dbt_docs_generate_describes_every_mart(small_world: tuple[Path, dict]) -> None:
    work_dir, _ = small_world
    result = run_dbt("docs generate", work_dir, work_dir / "raw")
    assert result.returncode == 0, result.output[-5000:]
    catalog = json.loads((work_dir / "target" / "catalog.json").read_text())
    manifest = json.loads((work_dir / "target" / "manifest.json").read_text())
    marts = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    ]
    assert len(marts) >= 7
    for node in marts:
        assert node["unique_id"] in catalog["nodes"], node["name"]
        assert node["config"]["contract"]["enforced"] or node["name"] == "fct_feature_snapshots"
    exposures = {exposure["name"] for exposure in manifest["exposures"].values()}
    assert {"targeting_dashboard", "campaign_export"} <= exposures
