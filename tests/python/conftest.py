"""Fixtures shared by the integration tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from dbt_runner import run_dbt

from targeting.demo import generate

SMALL_WORLD = {"users": 1500, "days": 120, "seed": 7}
# The PII salt the small world is built with: unusual, so that test_pii can search dbt's
# artifacts, logs and the warehouse for it and know any hit is a leak.
SMALL_WORLD_SALT = "small-world-salt-3f9c2e71d04b"


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A small Parquet world built once with `dbt build` (models, seeds, unit and data tests).

    Returns the work folder (raw files in ``raw/``, the warehouse ``warehouse.duckdb``,
    dbt's ``target/`` and ``logs/``) and the generator's manifest. Emails are hashed with
    ``SMALL_WORLD_SALT``. Tests read it; none may change it (test_pii adds dbt's docs).
    """
    work_dir = tmp_path_factory.mktemp("small_world")
    manifest = generate(work_dir / "raw", **SMALL_WORLD)
    salted = {"TARGETING_PII_SALT": SMALL_WORLD_SALT}
    # the unit tests too: test_pii searches their compiled SQL for the salt
    result = run_dbt("build", work_dir, work_dir / "raw", extra_env=salted, unit_tests=True)
    assert result.returncode == 0, result.output[-5000:]
    return work_dir, manifest


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's demo (default size and seed) built with `dbt build`: the warehouse in
    TARGETING_DEMO_WAREHOUSE (make test builds it first), else built here (about 4 min)."""
    given = os.environ.get("TARGETING_DEMO_WAREHOUSE")
    if given:
        assert Path(given).exists(), f"TARGETING_DEMO_WAREHOUSE={given}: no warehouse there"
        return Path(given)
    work_dir = tmp_path_factory.mktemp("demo")
    generate(work_dir / "raw")
    # everything make test's demo build runs, unit tests included
    result = run_dbt("build", work_dir, work_dir / "raw", unit_tests=True)
    assert result.returncode == 0, result.output[-5000:]
    return work_dir / "warehouse.duckdb"


@pytest.fixture(scope="session")
def demo_manifest(demo_warehouse: Path) -> dict:
    """The generator's manifest of the demo world behind ``demo_warehouse``: in
    TARGETING_DEMO_RAW when make test built it, else next to the warehouse built here."""
    given = os.environ.get("TARGETING_DEMO_RAW")
    if os.environ.get("TARGETING_DEMO_WAREHOUSE"):
        assert given, "TARGETING_DEMO_WAREHOUSE is set: set TARGETING_DEMO_RAW to its raw folder"
    raw = Path(given) if given else demo_warehouse.parent / "raw"
    return json.loads((raw / "manifest.json").read_text())
