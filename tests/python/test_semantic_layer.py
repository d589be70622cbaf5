"""dbt's semantic layer on the marts: MetricFlow validates it and its answers are the marts'.

Runs the CLI an analyst runs, ``mf`` (dbt-metricflow), on the demo warehouse through the
profile's read-only ``reader`` target, with this process holding the warehouse open
read-only too: were ``mf`` to open it read-write, DuckDB would refuse it. ``mf`` reads
``target/semantic_manifest.json``, which make test's demo build has just written, and
uses a stale one without a word when a parse failed: the first test checks it is newer
than every YAML file of the project. README, "Metrics: the semantic layer".
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dbt_runner import REPO_ROOT

pytestmark = pytest.mark.integration

MF = Path(sys.executable).parent / "mf"
SEMANTIC_MANIFEST = REPO_ROOT / "target" / "semantic_manifest.json"


def mf(warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "TARGETING_DUCKDB_PATH": str(warehouse),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DBT_TARGET": "reader",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return subprocess.run(
        [str(MF), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def mf_query(warehouse: Path, tmp_path: Path, *args: str) -> list[dict[str, str]]:
    out = tmp_path / "answer.csv"
    result = mf(warehouse, "query", *args, "--csv", str(out))
    assert result.returncode == 0 and out.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    with out.open() as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def reader(demo_warehouse: Path):
    """The warehouse held open read-only by this process while ``mf`` runs beside it."""
    if not SEMANTIC_MANIFEST.exists():
        pytest.fail("no target/semantic_manifest.json: run dbt parse (make test builds first)")
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        yield con


def test_the_semantic_manifest_is_current() -> None:
    built = SEMANTIC_MANIFEST.stat().st_mtime
    newer = [
        str(path.relative_to(REPO_ROOT))
        for path in [REPO_ROOT / "dbt_project.yml", *(REPO_ROOT / "models").rglob("*.yml")]
        if path.stat().st_mtime > built
    ]
    assert newer == [], "edited after the last dbt parse; mf would read the old definitions"


def test_mf_validate_configs_passes(demo_warehouse: Path, reader) -> None:
    result = mf(demo_warehouse, "validate-configs")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    # the semantic checks and the ones against the warehouse's tables
    assert "Successfully validated the semantics of built manifest (ERRORS: 0" in output
    assert "Successfully validated metrics against data warehouse (ERRORS: 0" in output


def close(a: float, b: float) -> bool:
    """The same number summed in another order: equal to 1e-9 relative."""
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def mart_values(reader, sql: str, n_keys: int) -> dict[tuple, dict[str, object]]:
    """The rows of ``sql``: its first ``n_keys`` columns as the key, the others by name
    (named as the metrics they are compared with)."""
    cursor = reader.execute(sql)
    names = [column[0] for column in cursor.description][n_keys:]
    return {
        tuple(row[:n_keys]): dict(zip(names, row[n_keys:], strict=True))
        for row in cursor.fetchall()
    }


def assert_answers_equal(
    rows: list[dict[str, str]], group_by: list[str], expected: dict[tuple, dict[str, object]]
) -> None:
    """mf's answer rows, keyed by their ``group_by`` columns, hold the marts' values: the
    same keys, each count equal, each other number close."""
    answered = {tuple(row[column] for column in group_by): row for row in rows}
    assert answered.keys() == expected.keys()
    for key, values in expected.items():
        for metric, value in values.items():
            if isinstance(value, int):
                assert int(answered[key][metric]) == value, (key, metric)
            else:
                assert close(float(answered[key][metric]), value), (key, metric)


def test_top_decile_lift_and_calibration_equal_fct_model_evaluation(
    demo_warehouse: Path, reader, tmp_path: Path
) -> None:
    expected = mart_values(
        reader,
        "select product_id, model_name, top_decile_lift,"
        " expected_to_realized as test_expected_to_realized"
        " from marts.fct_model_evaluation where status = 'ok'",
        n_keys=2,
    )
    group_by = ["product", "decile_lift__model_name"]
    rows = mf_query(
        demo_warehouse,
        tmp_path,
        "--metrics",
        "top_decile_lift,test_expected_to_realized",
        "--group-by",
        ",".join(group_by),
    )
    assert_answers_equal(rows, group_by, expected)


@pytest.mark.parametrize("percentile", [10, 37])
def test_lift_and_gain_at_a_list_size_equal_fct_gains_curve(
    demo_warehouse: Path, reader, tmp_path: Path, percentile: int
) -> None:
    expected = mart_values(
        reader,
        "select product_id, model_name, cumulative_lift, cumulative_gain,"
        f" cumulative_precision from marts.fct_gains_curve where percentile = {percentile}",
        n_keys=2,
    )
    group_by = ["product", "gains__model_name"]
    rows = mf_query(
        demo_warehouse,
        tmp_path,
        "--metrics",
        "cumulative_lift,cumulative_gain,cumulative_precision",
        "--group-by",
        ",".join(group_by),
        "--where",
        f"{{{{ Dimension('gains__percentile') }}}} <= {percentile}",
    )
    assert_answers_equal(rows, group_by, expected)


FIRST_1000_TARGETABLE = (
    "{{ Dimension('ranked_target__is_holdout') }} = false"
    " and {{ Dimension('ranked_target__targetable_rank') }} <= 1000"
)


def test_expected_adopters_of_the_first_targetable_users_equal_fct_ranked_targets(
    demo_warehouse: Path, reader, tmp_path: Path
) -> None:
    expected = mart_values(
        reader,
        "select product_id,"
        " targetable_cumulative_expected_adopters as listed_expected_adopters,"
        " 1000 as listed_users"
        " from marts.fct_ranked_targets where targetable_rank = 1000",
        n_keys=1,
    )
    rows = mf_query(
        demo_warehouse,
        tmp_path,
        "--metrics",
        "listed_expected_adopters,listed_users",
        "--group-by",
        "product",
        "--where",
        FIRST_1000_TARGETABLE,
    )
    assert_answers_equal(rows, ["product"], expected)


def test_campaign_uplift_equals_fct_campaign_results(
    demo_warehouse: Path, reader, tmp_path: Path
) -> None:
    expected = mart_values(
        reader,
        "select campaign_id, product_id, uplift, incremental_adopters,"
        " holdout_expected_to_realized from marts.fct_campaign_results",
        n_keys=2,
    )
    assert expected, "the demo world runs campaigns"
    group_by = ["campaign", "product"]
    rows = mf_query(
        demo_warehouse,
        tmp_path,
        "--metrics",
        "uplift,incremental_adopters,holdout_expected_to_realized",
        "--group-by",
        ",".join(group_by),
    )
    assert_answers_equal(rows, group_by, expected)


def test_a_list_cut_by_user_attributes_equals_a_join_of_the_marts(
    demo_warehouse: Path, reader, tmp_path: Path
) -> None:
    """Through the user and product entities, a metric is grouped by dim_users and
    dim_products columns: the same as the join an analyst would write."""
    expected = mart_values(
        reader,
        "select products.product_name, users.plan,"
        " sum(targets.probability) as listed_expected_adopters,"
        " count(*) as listed_users"
        " from marts.fct_ranked_targets as targets"
        " inner join marts.dim_users as users on targets.user_id = users.user_id"
        " inner join marts.dim_products as products"
        " on targets.product_id = products.product_id"
        " where not targets.is_holdout and targets.targetable_rank <= 1000"
        " group by all",
        n_keys=2,
    )
    group_by = ["product__product_name", "user__plan"]
    rows = mf_query(
        demo_warehouse,
        tmp_path,
        "--metrics",
        "listed_expected_adopters,listed_users",
        "--group-by",
        ",".join(group_by),
        "--where",
        FIRST_1000_TARGETABLE,
    )
    assert_answers_equal(rows, group_by, expected)
