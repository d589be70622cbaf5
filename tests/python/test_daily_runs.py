"""A warehouse built day by day equals one built in full, and keeps what it can.

A small world's events arrive a day at a time over three runs of `dbt build` on one
warehouse: the last two days are a day on which the snapshot grid stays put (the models
are reused and only the score snapshot is computed) and a day on which it moves (the
test snapshot moves on, the models retrain). After each of the last two runs every table
of the marts and ml schemas must equal, row for row, that of a full build of the same
events into a new warehouse (when and why the models were trained aside). Changing a var
that shapes the features recomputes every snapshot and retrains, never mixing versions.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from dbt_runner import run_dbt
from warehouses import differences

from targeting.demo import generate
from targeting.reuse import NO_STORED_MODEL, RETRAIN_REQUESTED

pytestmark = pytest.mark.integration

# Grid dates (origin 2024-01-01, every 28 days) around the end: 2026-09-07, 2026-10-05.
# as_of 2026-10-31 and 2026-11-01: test snapshot 2026-09-07; as_of 2026-11-02: 2026-10-05.
WORLD = {"users": 1000, "days": 150, "seed": 17, "end_date": "2026-11-02"}
FUTURE_CUTOFF = "2026-11-02 00:00:00"
# events before each day: the three runs' as_of are these days
DAYS = ("2026-10-31", "2026-11-01", "2026-11-02")
# no data or unit tests: the other suites run them; this one compares tables
NO_TESTS = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
# fct_training_sample's code on a run that finds the stored sample current: no row read
NOTHING_SAMPLED = re.compile(r"or not is_eligible\)\s+and false")


def _build(work_dir: Path, *args: str, **extra_vars) -> None:
    result = run_dbt(
        "build",
        work_dir,
        work_dir / "raw",
        *NO_TESTS,
        *args,
        future_cutoff_at=FUTURE_CUTOFF,
        extra_vars=extra_vars,
    )
    assert result.returncode == 0, result.output[-5000:]


def _with_events_before(work_dir: Path, source: Path, day: str) -> None:
    """``work_dir/raw``: the source world with only the events before ``day``."""
    (work_dir / "raw").mkdir(exist_ok=True)
    for name in ("users", "connections", "adoptions"):
        shutil.copyfile(source / f"{name}.parquet", work_dir / "raw" / f"{name}.parquet")
    events = pq.read_table(source / "events.parquet")
    before = pc.fill_null(pc.less(events.column("occurred_at"), day), False)
    pq.write_table(events.filter(before), work_dir / "raw" / "events.parquet")


def _query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def _models(warehouse: Path) -> list[tuple]:
    return _query(
        warehouse,
        "select product_id, model_name, trained_at, training_reason, test_snapshot_date,"
        " score_snapshot_date from ml.ml_propensity_models order by all",
    )


def _compiled(work_dir: Path, model: str) -> str:
    """The code the last run compiled for ``model`` (its filters: what it computed)."""
    results = json.loads((work_dir / "target" / "run_results.json").read_text())
    (code,) = [r["compiled_code"] for r in results["results"] if r["unique_id"].endswith(model)]
    return code


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    source = tmp_path_factory.mktemp("world") / "raw"
    generate(source, **WORLD)
    daily = tmp_path_factory.mktemp("daily")
    out: dict[str, object] = {"daily": daily}
    for position, day in enumerate(DAYS):
        _with_events_before(daily, source, day)
        # the last run keeps one day of list history before its own (the default is 90)
        _build(daily, **({"targeting__list_history_days": 1} if day == DAYS[-1] else {}))
        out[day] = _models(daily / "warehouse.duckdb")
        out[f"{day} lists"] = _query(
            daily / "warehouse.duckdb", "select * from marts.fct_target_lists order by all"
        )
        out[f"{day} compiled"] = _compiled(daily, "fct_feature_snapshots")
        out[f"{day} sampled"] = _compiled(daily, "fct_training_sample")
        out[f"{day} copies"] = _query(
            daily / "warehouse.duckdb",
            "select table_schema, table_name from information_schema.tables"
            " where contains(table_name, '__dbt_') order by all",
        )
        out[f"{day} evaluated"] = {
            mart: _compiled(daily, mart) for mart in ("fct_decile_lift", "fct_model_evaluation")
        }
        if position:
            # the same events built in full, into a warehouse of their own
            full = tmp_path_factory.mktemp(f"full_{day}")
            _with_events_before(full, source, day)
            _build(full)
            out[f"{day} differences"] = differences(
                full / "warehouse.duckdb", daily / "warehouse.duckdb"
            )
    return out


def test_a_day_on_which_the_grid_stays_put_equals_a_full_build(runs) -> None:
    assert runs["2026-11-01 differences"] == []


def test_each_day_adds_its_lists_to_the_history_and_keeps_the_earlier_ones(runs) -> None:
    first, second = runs["2026-10-31 lists"], runs["2026-11-01 lists"]
    assert first and {str(row[2]) for row in first} == {"2026-10-31"}
    # the earlier day's rows as they were, listed_at included; the new day's beside them
    assert [row for row in second if str(row[2]) == "2026-10-31"] == first
    new = [row for row in second if str(row[2]) == "2026-11-01"]
    assert new and {row[0] for row in new} == {f"{row[1]}:2026-11-01" for row in new}
    assert {row[1] for row in new} == {row[1] for row in first}
    # with one day of history kept, the third run deletes the first day's lists
    third = runs["2026-11-02 lists"]
    assert {str(row[2]) for row in third} == {"2026-11-01", "2026-11-02"}
    assert [row for row in third if str(row[2]) == "2026-11-01"] == new


def test_that_day_reuses_the_models_and_computes_only_the_score_snapshot(runs) -> None:
    before, after = runs["2026-10-31"], runs["2026-11-01"]
    # the same fits (trained_at, reason, test snapshot), now scoring the new score snapshot
    assert [row[:5] for row in after] == [row[:5] for row in before]
    assert {row[3] for row in after} == {NO_STORED_MODEL}
    assert {str(row[4]) for row in after} == {"2026-09-07"}
    assert {str(row[5]) for row in after} == {"2026-11-01"}
    compiled = runs["2026-11-01 compiled"]
    assert "snapshot_date in (cast('2026-11-01' as date))" in compiled
    assert "2026-09-07" not in compiled
    # the train and test rows are the same: the training sample draws nothing
    assert NOTHING_SAMPLED.search(runs["2026-11-01 sampled"])
    # the test scores are the same: the evaluation marts compute no model and keep their rows
    for mart, code in runs["2026-11-01 evaluated"].items():
        assert "where role = 'test' and false" in code, mart


def test_no_run_leaves_a_copy_of_dbt_behind(runs) -> None:
    # an incremental Python model's new rows, <name>__dbt_tmp<timestamp> in the main
    # schema, stayed after every incremental run until its post-hook dropped them
    assert {day: runs[f"{day} copies"] for day in DAYS} == {day: [] for day in DAYS}


def test_a_day_on_which_the_grid_moves_equals_a_full_build(runs) -> None:
    assert runs["2026-11-02 differences"] == []


def test_that_day_retrains_and_says_why(runs) -> None:
    before, after = runs["2026-11-01"], runs["2026-11-02"]
    assert {row[3] for row in after} == {"the grid moved: test snapshot 2026-09-07 -> 2026-10-05"}
    assert {row[2] for row in after}.isdisjoint({row[2] for row in before})
    # the new test snapshot and the new score snapshot are computed; the rest are kept
    compiled = runs["2026-11-02 compiled"]
    assert "cast('2026-10-05' as date)" in compiled
    assert "cast('2026-11-02' as date)" in compiled
    assert "2026-08-10" not in compiled
    # the sample is drawn again from the new test and train snapshots
    assert not NOTHING_SAMPLED.search(runs["2026-11-02 sampled"])
    # every model retrained: the evaluation marts compute each of them again
    n_models = len(after)
    for mart, code in runs["2026-11-02 evaluated"].items():
        assert "where role = 'test' and (product_id, model_name) in (" in code, mart
        assert code.count("', '") >= n_models, mart


def test_a_changed_evaluation_var_computes_every_model_again(runs) -> None:
    daily = runs["daily"]
    warehouse = daily / "warehouse.duckdb"
    marts = "fct_decile_lift fct_gains_curve fct_model_evaluation"
    # a row of a model no longer in ml_propensity_models, as a product dropped leaves it
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into marts.fct_decile_lift select * replace ('gone' as product_id)"
            " from marts.fct_decile_lift limit 1"
        )
    _build(daily, "--select", marts, targeting__top_k=7)
    assert _query(warehouse, "select * from marts.fct_decile_lift where product_id = 'gone'") == []
    versions = _query(
        warehouse,
        "select distinct evaluation_version from marts.fct_model_evaluation"
        " union select distinct evaluation_version from marts.fct_decile_lift"
        " union select distinct evaluation_version from marts.fct_gains_curve",
    )
    assert len(versions) == 1
    assert _query(warehouse, "select distinct top_k from marts.fct_model_evaluation") == [(7,)]
    # and back: the default's rows again, none of top_k 7 left beside them
    _build(daily, "--select", marts)
    assert _query(warehouse, "select distinct top_k from marts.fct_model_evaluation") == [(500,)]


def test_a_changed_sample_var_draws_the_sample_again_and_back(runs) -> None:
    daily = runs["daily"]
    warehouse = daily / "warehouse.duckdb"
    sample = "select * from marts.fct_training_sample order by all"
    versions = "select distinct sample_version from marts.fct_training_sample"
    before = _query(warehouse, sample)
    _build(daily, "--select", "fct_training_sample", targeting__max_training_rows=500)
    assert not NOTHING_SAMPLED.search(_compiled(daily, "fct_training_sample"))
    assert len(_query(warehouse, versions)) == 1
    assert _query(warehouse, "select min(kept_share) < 1 from marts.fct_training_sample") == [
        (True,)
    ]
    # and back: the same rows as before, none of the smaller sample left beside them
    _build(daily, "--select", "fct_training_sample")
    assert _query(warehouse, sample) == before


def test_a_changed_feature_var_recomputes_everything_and_retrains(runs) -> None:
    daily = runs["daily"]
    warehouse = daily / "warehouse.duckdb"
    (old_version,) = _query(
        warehouse, "select distinct feature_version from marts.fct_feature_snapshots"
    )[0]
    _build(daily, targeting__session_gap_minutes=20)
    versions = _query(
        warehouse,
        "select distinct feature_version from marts.fct_feature_snapshots"
        " union select distinct feature_version from intermediate.int_users_behavior_windowed",
    )
    assert len(versions) == 1 and versions[0][0] != old_version
    reasons = {row[3] for row in _models(warehouse)}
    assert reasons == {"changed since the stored models: feature_version"}

    # and the retrain switch trains again with nothing changed
    _build(
        daily,
        "--select",
        "ml_propensity_models",
        targeting__session_gap_minutes=20,
        targeting__retrain=True,
    )
    assert {row[3] for row in _models(warehouse)} == {RETRAIN_REQUESTED}
