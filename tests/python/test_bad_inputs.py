"""Bad input, one case each, each a real dbt build on a small world of its own.

Every case ends one of two ways: the build succeeds with the bad rows quarantined and
counted in ``marts.fct_data_quality``, or it fails before any model runs with one line
that names the file, the column and what to change. (The missing file and the missing
required column are in test_warehouse_build.py; bad vars in test_configuration.py.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_runner import UP_TO_DATA_QUALITY, run_dbt

from targeting.demo import generate

# no campaigns: the campaign case below adds its own file
WORLD = {"users": 600, "days": 100, "seed": 23, "end_date": "2026-10-31", "campaigns": False}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The raw files of a small world, and the data-quality counts of a build on them."""
    work = tmp_path_factory.mktemp("bad_inputs_base")
    generate(work / "raw", **WORLD)
    result = run_dbt("build", work, work / "raw", *UP_TO_DATA_QUALITY)
    assert result.returncode == 0, result.output[-5000:]
    return work


@pytest.fixture
def raw(world: Path, tmp_path: Path) -> Path:
    """A copy of the world's raw files for one case to spoil."""
    shutil.copytree(world / "raw", tmp_path / "raw")
    return tmp_path / "raw"


def query(work_dir: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(work_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


def dq_counts(work_dir: Path, table: str) -> dict[str, int]:
    built = query(
        work_dir,
        f"select dq_issue, n_rows from marts.fct_data_quality where source_table = '{table}'",
    )
    return dict(zip(built.dq_issue, built.n_rows.astype(int), strict=True))


def clean_single_events(world: Path, n: int) -> list[float]:
    """Ids of ``n`` clean events whose id no other raw row has (so no duplicate moves up),
    as the raw file holds them (numbers; pandas reads them as floats)."""
    ids = query(
        world,
        """
        select event_id from intermediate.int_events_validated
        where dq_issue is null and event_id in (
            select event_id from staging.stg_app__events group by event_id having count(*) = 1
        )
        order by event_id
        """,
    ).event_id
    return [float(i) for i in ids.iloc[: n * 50 : 50]]


def clean_users(world: Path) -> pd.DataFrame:
    return query(
        world, "select user_id from intermediate.int_users_validated where dq_issue is null"
    )


def targeting_message(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if "targeting:" in line]
    assert lines, f"no targeting: message in\n{output[-4000:]}"
    return lines[0]


def build(work_dir: Path, raw: Path, *args: str, **kwargs: object):
    result = run_dbt("build", work_dir, raw, *args, **kwargs)
    assert "Traceback" not in result.output, result.output[-5000:]
    return result


# --- fail fast, naming the file, the column and the fix -------------------------------


def test_a_column_of_the_wrong_type_names_file_column_and_fix(raw: Path, tmp_path: Path) -> None:
    events = pq.read_table(raw / "events.parquet")
    epoch_seconds = pa.array(range(len(events)), pa.int64())  # seconds, not a timestamp
    position = events.schema.get_field_index("occurred_at")
    events = events.set_column(position, "occurred_at", epoch_seconds)
    pq.write_table(events, raw / "events.parquet")
    result = build(tmp_path, raw)
    assert result.returncode != 0
    assert targeting_message(result.output) == (
        f"targeting: column occurred_at of input file {raw}/events.parquet is BIGINT; it must"
        " be a timestamp, a date, or text like 2026-03-01 14:05:09 (UTC). Convert the column"
        " in the file (source app.events)."
    )


def test_an_empty_events_file_says_what_is_missing(raw: Path, tmp_path: Path) -> None:
    events = pq.read_table(raw / "events.parquet")
    pq.write_table(events.slice(0, 0), raw / "events.parquet")
    result = build(tmp_path, raw)
    assert result.returncode != 0
    message = targeting_message(result.output)
    assert message.startswith(f"targeting: input file {raw}/events.parquet has no rows"), message
    assert "targeting__raw_path" in message


# --- build, with the bad rows quarantined and counted ---------------------------------


def test_unparseable_and_far_future_times_are_quarantined_and_counted(
    world: Path, raw: Path, tmp_path: Path
) -> None:
    picked = clean_single_events(world, 12)
    events = pd.read_parquet(raw / "events.parquet")
    events.loc[events.event_id.isin(picked[:5]), "occurred_at"] = "31/02/2026 25:61"
    events.loc[events.event_id.isin(picked[5:]), "occurred_at"] = "2999-01-01 00:00:00"
    events.to_parquet(raw / "events.parquet", index=False)
    result = build(tmp_path, raw, *UP_TO_DATA_QUALITY)
    assert result.returncode == 0, result.output[-5000:]
    before, after = dq_counts(world, "events"), dq_counts(tmp_path, "events")
    assert after["unparseable_occurred_at"] == before["unparseable_occurred_at"] + 5
    assert after["future_occurred_at"] == before["future_occurred_at"] + 7
    assert after["clean"] == before["clean"] - 12
    assert sum(after.values()) == sum(before.values())  # nothing lost, nothing made up


def test_duplicate_user_rows_keep_one_and_count_the_rest(
    world: Path, raw: Path, tmp_path: Path
) -> None:
    users = pd.read_parquet(raw / "users.parquet")
    clean = clean_users(world)
    repeated = users[users.user_id.isin(clean.user_id)].sort_values("user_id").head(15).copy()
    repeated.loc[repeated.index[10:], "plan"] = "a different plan"  # not even identical
    pd.concat([users, repeated]).to_parquet(raw / "users.parquet", index=False)
    result = build(tmp_path, raw, *UP_TO_DATA_QUALITY)
    assert result.returncode == 0, result.output[-5000:]
    before, after = dq_counts(world, "users"), dq_counts(tmp_path, "users")
    assert after["duplicate_user_id"] == before["duplicate_user_id"] + 15
    assert after["clean"] == before["clean"]
    kept = query(
        tmp_path,
        "select count(*) as n, count(distinct user_id) as n_ids"
        " from intermediate.int_users_validated where dq_issue is null",
    )
    assert kept.n.iloc[0] == kept.n_ids.iloc[0] == before["clean"]


def test_a_csv_with_semicolons_and_upper_case_headers_reads_like_the_parquet(
    world: Path, tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("users", "events", "connections", "adoptions"):
        frame = pd.read_parquet(world / "raw" / f"{name}.parquet")
        frame.columns = [column.upper() for column in frame.columns]
        frame.to_csv(raw / f"{name}.csv", sep=";", index=False)
    result = build(tmp_path, raw, *UP_TO_DATA_QUALITY, raw_format="csv")
    assert result.returncode == 0, result.output[-5000:]
    for table in ("users", "events", "connections", "adoptions"):
        assert dq_counts(tmp_path, table) == dq_counts(world, table), table


def test_campaign_assignments_are_read_when_there_and_bad_rows_counted(
    world: Path, raw: Path, tmp_path: Path
) -> None:
    """The optional fifth input: absent, its checks count nothing (the world's build); there,
    every row is counted, bad ones by reason; with the var false, the file is not read."""
    assert sum(dq_counts(world, "campaign_assignments").values()) == 0
    users = clean_users(world).user_id.tolist()
    bot = query(
        world, "select user_id from intermediate.int_users_validated where dq_issue = 'bot_user'"
    ).user_id.iloc[0]
    rows = [
        # 20 valid assignments, both arms, and one of them again (a repeat)
        *[("c1", user, "p1", "2026-09-01 10:00:00", "contacted") for user in users[:15]],
        *[("c1", user, "p1", "2026-09-01 10:00:00", "HOLDOUT") for user in users[15:20]],
        ("c1", users[0], "p1", "2026-09-02 10:00:00", "holdout"),
        ("c1", "nobody", "p1", "2026-09-01 10:00:00", "contacted"),
        ("c1", bot, "p1", "2026-09-01 10:00:00", "contacted"),
        ("c1", users[21], "p1", "2026-09-01 10:00:00", "emailed"),
        ("c1", users[22], "p1", "2031-01-01 00:00:00", "contacted"),
        ("c1", users[23], "p1", "next week", "contacted"),
        (None, users[24], "p1", "2026-09-01 10:00:00", "contacted"),
        ("c2", users[25], None, "2026-09-01 10:00:00", "contacted"),
    ]
    columns = ["campaign_id", "user_id", "product_id", "assigned_at", "arm"]
    pd.DataFrame(rows, columns=columns).to_parquet(raw / "campaign_assignments.parquet")
    result = build(tmp_path, raw, *UP_TO_DATA_QUALITY)
    assert result.returncode == 0, result.output[-5000:]
    expected = {
        "clean": 20,
        "duplicate_assignment": 1,
        "unknown_user": 1,
        "bot_user": 1,
        "unknown_arm": 1,
        "future_assigned_at": 1,
        "unparseable_assigned_at": 1,
        "null_campaign_id": 1,
        "null_product_id": 1,
    }
    counted = {k: v for k, v in dq_counts(tmp_path, "campaign_assignments").items() if v}
    assert counted == expected
    # targeting__campaign_assignments: false leaves the file unread
    off = tmp_path / "off"
    off.mkdir()
    result = build(
        off, raw, *UP_TO_DATA_QUALITY, extra_vars={"targeting__campaign_assignments": False}
    )
    assert result.returncode == 0, result.output[-5000:]
    assert sum(dq_counts(off, "campaign_assignments").values()) == 0


# --- full builds: the models and marts cope too ----------------------------------------


def test_an_all_null_column_builds_and_is_profiled(raw: Path, tmp_path: Path) -> None:
    events = pq.read_table(raw / "events.parquet")
    position = events.schema.get_field_index("item")
    no_items = pa.nulls(len(events), pa.string())
    pq.write_table(events.set_column(position, "item", no_items), raw / "events.parquet")
    users = pq.read_table(raw / "users.parquet")
    position = users.schema.get_field_index("birth_year")
    no_years = pa.nulls(len(users), pa.null())  # not even a type: a column of nothing
    pq.write_table(users.set_column(position, "birth_year", no_years), raw / "users.parquet")
    result = build(tmp_path, raw)
    assert result.returncode == 0, result.output[-5000:]
    built = query(
        tmp_path,
        """
        select count(*) as n_rows, count(age_years) as n_ages, sum(item_affinity_score) as affinity
        from marts.fct_feature_snapshots
        """,
    )
    assert built.n_rows.iloc[0] > 0
    assert built.n_ages.iloc[0] == 0
    scored = query(tmp_path, "select count(*) as n from marts.fct_ranked_targets")
    assert scored.n.iloc[0] > 0


def test_zero_adopters_for_every_product_builds_empty_targets_and_says_why(
    raw: Path, tmp_path: Path
) -> None:
    adoptions = pq.read_table(raw / "adoptions.parquet")
    pq.write_table(adoptions.slice(0, 0), raw / "adoptions.parquet")
    result = build(tmp_path, raw)
    assert result.returncode == 0, result.output[-5000:]
    assert "targeting: WARNING: no product has a valid adoption in" in result.output
    assert query(tmp_path, "select count(*) as n from marts.fct_ranked_targets").n.iloc[0] == 0
    segments = query(tmp_path, "select count(*) as n from marts.dim_user_segments")
    assert segments.n.iloc[0] > 0  # the behavior side still serves analysts


def test_non_ascii_and_very_long_ids_flow_through_to_the_targets(
    world: Path, raw: Path, tmp_path: Path
) -> None:
    clean = clean_users(world)
    renamed = {
        user_id: f"utilisatrice-é-名前-🙂-{user_id}-" + "x" * 500
        for user_id in sorted(clean.user_id)[:40]
    }
    for name, columns in {
        "users": ["user_id"],
        "events": ["user_id"],
        "connections": ["user_id", "connected_user_id"],
        "adoptions": ["user_id"],
    }.items():
        frame = pd.read_parquet(raw / f"{name}.parquet")
        for column in columns:
            frame[column] = frame[column].replace(renamed)
        frame.to_parquet(raw / f"{name}.parquet", index=False)
    result = build(tmp_path, raw)
    assert result.returncode == 0, result.output[-5000:]
    assert dq_counts(tmp_path, "users") == dq_counts(world, "users")
    targets = query(tmp_path, "select user_id from marts.fct_ranked_targets")
    arrived = set(targets.user_id) & set(renamed.values())
    assert arrived, "none of the renamed users reached the ranked targets"
    assert all(len(user_id) > 500 for user_id in arrived)
