"""Runs dbt on the project against raw files of a test's own, into a warehouse of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from targeting.demo import DEFAULT_END_DATE

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"
DEMO_END = f"{DEFAULT_END_DATE} 00:00:00"
# the arguments that leave the unit tests out of a build, or not
NO_UNIT_TESTS = {True: ("--exclude-resource-type", "unit_test"), False: ()}
# a build's selection up to the data-quality counts (staging, validation, their tests): for
# the tests of what the raw files hold, which need no features or models
UP_TO_DATA_QUALITY = ("--select", "+fct_data_quality", "--indirect-selection", "cautious")


@dataclass(frozen=True)
class DbtResult:
    returncode: int
    output: str


def run_dbt(
    command: str,
    work_dir: Path,
    raw_path: Path,
    *args: str,
    raw_format: str = "parquet",
    future_cutoff_at: str = DEMO_END,
    extra_vars: Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
    unit_tests: bool = False,
) -> DbtResult:
    """Run one dbt command (``build``, ``docs generate``) on raw files in ``raw_path``, into
    ``work_dir/warehouse.duckdb``.

    ``future_cutoff_at`` pins what counts as a future timestamp (by default the demo
    world's end), so the result does not depend on the day the test runs;
    ``extra_vars`` adds or overrides other ``targeting__*`` vars, ``extra_env`` environment
    variables (the profile reads some). A ``build`` runs no unit test unless
    ``unit_tests``: they read fixtures, not the raw files, so one run of them (the demo
    build of ``make test``) says all they can; each took its second or so in every build.

    The project's own target/ and logs/ are left alone; the run is in the repo root, as
    dbt must be (the profile's relative paths resolve from the current directory).
    """
    env = {
        **os.environ,
        "TARGETING_DUCKDB_PATH": str(work_dir / "warehouse.duckdb"),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(extra_env or {}),
    }
    dbt_vars = {
        "targeting__raw_path": str(raw_path),
        "targeting__raw_format": raw_format,
        "targeting__future_cutoff_at": future_cutoff_at,
        **(extra_vars or {}),
    }
    completed = subprocess.run(
        [
            str(DBT),
            *command.split(),
            "--project-dir",
            str(REPO_ROOT),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
            "--vars",
            json.dumps(dbt_vars),
            *args,
            *NO_UNIT_TESTS[command == "build" and not unit_tests],
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return DbtResult(completed.returncode, completed.stdout + completed.stderr)
