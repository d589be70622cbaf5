"""Leakage: the features of a snapshot use only data from before it.

A small world is built twice with the same vars. The second build gets, on top of the
first one's data, events, edges, adoptions and users dated on or after the test
snapshot: on the snapshot's first second, minutes after midnight inside a session that
began the evening before, and over the following days. Every feature of every snapshot up
to the test snapshot must come out identical, and so must the train labels (their windows
end on or before the test snapshot); the score snapshot, which may see the new data, must
change, which proves the new rows were read and not quarantined.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_runner import run_dbt

from targeting.demo import generate

pytestmark = pytest.mark.integration

WORLD = {"users": 1500, "days": 120, "seed": 11, "end_date": "2026-10-31"}
AS_OF = dt.date(2026, 10, 31)
# With the default grid (2024-01-01 + k x 28 days) and horizon (28): the latest grid date
# whose label window ends by as_of.
TEST_SNAPSHOT = dt.date(2026, 9, 7)
# Late enough that the default cut-off (the world's end) does not quarantine them.
FUTURE_DAYS = 20
TS = "%Y-%m-%d %H:%M:%S"
PINNED = {"targeting__as_of": AS_OF.isoformat()}
# Models and seeds only: the data tests run in the other builds.
MODELS_ONLY = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
# The user whose session runs from the evening before the snapshot past midnight.
NIGHT_OWL_EVENT_ID = 9_000_000_000


def _at(day: dt.date, seconds: int = 0) -> str:
    return (dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)).strftime(TS)


def _append(path: Path, rows: pa.Table) -> None:
    table = pq.read_table(path)
    pq.write_table(pa.concat_tables([table, rows.cast(table.schema)]), path)


def _rows_like(path: Path, take: np.ndarray, **columns: list) -> pa.Table:
    """Copies of rows ``take`` of a raw file, with some columns replaced."""
    table = pq.read_table(path).take(pa.array(take))
    for name, values in columns.items():
        index = table.schema.get_field_index(name)
        table = table.set_column(index, name, pa.array(values, type=table.schema.field(name).type))
    return table


def _clean_ids(warehouse: Path, sql: str) -> list:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [row[0] for row in con.execute(sql).fetchall()]


def _add_night_owl_evening(raw: Path) -> str:
    """One event at 23:50 the day before the test snapshot, for a user with activity."""
    events = pq.read_table(raw / "events.parquet").to_pandas()
    human = events[events.user_agent.str.contains("Mozilla", na=False) & events.user_id.notna()]
    user_id = human.user_id.value_counts().sort_index().index[0]
    position = int(human.index[human.user_id == user_id][0])
    evening = _at(TEST_SNAPSHOT - dt.timedelta(days=1), 23 * 3600 + 50 * 60)
    _append(
        raw / "events.parquet",
        _rows_like(
            raw / "events.parquet",
            np.array([position]),
            event_id=[NIGHT_OWL_EVENT_ID],
            occurred_at=[evening],
            event_type=["page_view"],
            duration_ms=[60_000],
        ),
    )
    return user_id


def _add_future(raw: Path, warehouse: Path, night_owl: str) -> dict[str, int]:
    """Rows dated on or after the test snapshot, each a valid row of its table."""
    rng = np.random.default_rng(2026)
    t0 = dt.datetime.combine(TEST_SNAPSHOT, dt.time())
    span = FUTURE_DAYS * 86_400

    def future_times(n: int) -> list[str]:
        # the snapshot's very first second, then anywhere in the next FUTURE_DAYS days
        seconds = np.concatenate([[0], rng.integers(0, span, n - 1)])
        return [(t0 + dt.timedelta(seconds=int(s))).strftime(TS) for s in seconds]

    clean_event_ids = set(
        _clean_ids(
            warehouse,
            "select event_id from intermediate.int_events_validated where dq_issue is null",
        )
    )
    event_ids = pq.read_table(raw / "events.parquet", columns=["event_id"]).column(0)
    as_text = pd.Series(event_ids.cast(pa.string()).to_pylist())
    positions = np.flatnonzero(as_text.isin(clean_event_ids).to_numpy())
    take = np.sort(rng.choice(positions, 3000, replace=False))
    night_owl_position = int(np.flatnonzero(as_text == str(NIGHT_OWL_EVENT_ID))[0])
    new_ids = list(range(NIGHT_OWL_EVENT_ID + 1, NIGHT_OWL_EVENT_ID + 1 + len(take)))
    _append(
        raw / "events.parquet",
        pa.concat_tables(
            [
                _rows_like(
                    raw / "events.parquet",
                    take,
                    event_id=new_ids,
                    occurred_at=future_times(len(take)),
                ),
                # 20 minutes after the evening event: the same session, past midnight
                _rows_like(
                    raw / "events.parquet",
                    np.array([night_owl_position]),
                    event_id=[new_ids[-1] + 1],
                    occurred_at=[_at(TEST_SNAPSHOT, 10 * 60)],
                    user_id=[night_owl],
                ),
            ]
        ),
    )

    users = _clean_ids(
        warehouse,
        f"""
        select user_id from intermediate.int_users_validated
        where dq_issue is null and signup_at < '{TEST_SNAPSHOT}'
        order by user_id
        """,
    )
    pairs = rng.choice(len(users), size=(600, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    _append(
        raw / "connections.parquet",
        pa.table(
            {
                "user_id": [users[i] for i in pairs[:, 0]],
                "connected_user_id": [users[j] for j in pairs[:, 1]],
                "connected_at": future_times(len(pairs)),
            }
        ),
    )

    never_adopted = _clean_ids(
        warehouse,
        f"""
        select users.user_id || '|' || products.product_id
        from intermediate.int_users_validated as users
        cross join intermediate.int_products as products
        anti join intermediate.int_adoptions_validated as adoptions
            on users.user_id = adoptions.user_id and products.product_id = adoptions.product_id
        where users.dq_issue is null and users.signup_at < '{TEST_SNAPSHOT}'
        order by 1
        """,
    )
    chosen = [never_adopted[i].split("|") for i in sorted(rng.choice(len(never_adopted), 400))]
    chosen = list({tuple(pair): None for pair in chosen})
    _append(
        raw / "adoptions.parquet",
        pa.table(
            {
                "user_id": [user for user, _ in chosen],
                "product_id": [product for _, product in chosen],
                "adopted_at": future_times(len(chosen)),
            }
        ),
    )

    # new teammates and connections of existing users, signing up on or after the snapshot
    teams = _clean_ids(
        warehouse,
        "select distinct team_id from intermediate.int_users_validated "
        "where dq_issue is null and team_id is not null order by 1",
    )
    n_new = 50
    first_user = pq.read_table(raw / "users.parquet", columns=["user_id"]).column(0)
    template = np.zeros(n_new, dtype="int64") + int(
        np.flatnonzero(pd.Series(first_user.to_pylist()).notna())[0]
    )
    new_users = [f"future-user-{i}" for i in range(n_new)]
    _append(
        raw / "users.parquet",
        _rows_like(
            raw / "users.parquet",
            template,
            user_id=new_users,
            signup_at=future_times(n_new),
            email=[f"{user}@example.com" for user in new_users],
            team_id=[teams[i] for i in rng.choice(len(teams), n_new)],
        ),
    )
    _append(
        raw / "connections.parquet",
        pa.table(
            {
                "user_id": new_users,
                "connected_user_id": [users[i] for i in rng.choice(len(users), n_new)],
                "connected_at": [None] * n_new,
            }
        ),
    )
    return {"events": len(take) + 1, "adoptions": len(chosen)}


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, int]]:
    past = tmp_path_factory.mktemp("past")
    generate(past / "raw", **WORLD)
    night_owl = _add_night_owl_evening(past / "raw")
    result = run_dbt("build", past, past / "raw", *MODELS_ONLY, extra_vars=PINNED)
    assert result.returncode == 0, result.output[-5000:]

    future = tmp_path_factory.mktemp("future")
    shutil.copytree(past / "raw", future / "raw")
    appended = _add_future(future / "raw", past / "warehouse.duckdb", night_owl)
    result = run_dbt("build", future, future / "raw", *MODELS_ONLY, extra_vars=PINNED)
    assert result.returncode == 0, result.output[-5000:]
    return past / "warehouse.duckdb", future / "warehouse.duckdb", appended


def _features(warehouse: Path, where: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute(
            f"select * from marts.fct_feature_snapshots where {where} "
            "order by product_id, snapshot_date, user_id"
        ).df()
    return frame.reset_index(drop=True)


def test_features_up_to_the_test_snapshot_do_not_see_later_data(two_builds) -> None:
    past, future, _ = two_builds
    where = f"snapshot_date <= '{TEST_SNAPSHOT}'"
    before, after = _features(past, where), _features(future, where)
    assert len(before) > 0
    assert before.snapshot_date.max() == pd.Timestamp(TEST_SNAPSHOT)
    features = before.columns.drop("label")
    pd.testing.assert_frame_equal(before[features], after[features], check_exact=True)


def test_train_labels_do_not_reach_into_the_test_period(two_builds) -> None:
    past, future, _ = two_builds
    where = f"snapshot_date < '{TEST_SNAPSHOT}'"
    before, after = _features(past, where), _features(future, where)
    pd.testing.assert_series_equal(before.label, after.label, check_exact=True)


def test_the_later_data_was_read_and_counted_clean(two_builds) -> None:
    past, future, appended = two_builds
    query = (
        "select sum(n_rows) from marts.fct_data_quality "
        "where source_table = '{}' and dq_issue = 'clean'"
    )
    for table, n_rows in appended.items():
        (clean_before,) = _clean_ids(past, query.format(table))
        (clean_after,) = _clean_ids(future, query.format(table))
        assert clean_after - clean_before == n_rows, table
    # ... and it reaches the test labels and the score snapshot's features
    where = f"snapshot_date = '{AS_OF}'"
    before, after = _features(past, where), _features(future, where)
    assert not before.drop(columns="label").equals(after.drop(columns="label"))
    where = f"snapshot_date = '{TEST_SNAPSHOT}'"
    assert _features(future, where).label.sum() > _features(past, where).label.sum()


def test_a_session_past_midnight_keeps_its_later_minutes_out_of_the_day_before(
    two_builds,
) -> None:
    past, future, _ = two_builds
    evening = _at(TEST_SNAPSHOT - dt.timedelta(days=1), 23 * 3600 + 50 * 60)
    session_sql = (
        "select user_id, duration_seconds from intermediate.int_sessions "
        f"where started_at = '{evening}'"
    )
    with duckdb.connect(str(future), read_only=True) as con:
        user_id, duration_seconds = con.execute(session_sql).fetchone()
    # the evening session runs past midnight in the second build ...
    assert duration_seconds == 20 * 60

    eve = TEST_SNAPSHOT - dt.timedelta(days=1)

    def daily_seconds(warehouse: Path) -> dict[dt.date, int]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select activity_date, session_seconds from intermediate.int_user_daily_activity "
                f"where user_id = '{user_id}' and activity_date >= '{eve}'"
            ).fetchall()
        return dict(rows)

    before, after = daily_seconds(past), daily_seconds(future)
    # ... yet the day before the snapshot keeps its time; the 20 minutes count on the snapshot day
    assert after[eve] == before[eve]
    assert after[TEST_SNAPSHOT] >= 20 * 60
