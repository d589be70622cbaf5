"""Tests for the demo-world generator (``python -m targeting.demo``).

The data-quality recount below is deliberately independent of the generator: it applies
the rules as the warehouse states them (codes in precedence order, bots by user agent or
hourly volume) to the written files with DuckDB and compares with the manifest.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from targeting import demo

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"users": 1500, "days": 120, "seed": 7}
TS = "%Y-%m-%d %H:%M:%S"
NUMERIC = {
    "users": {"birth_year": "BIGINT"},
    "events": {
        "event_id": "BIGINT",
        "duration_ms": "BIGINT",
        "scroll_depth_pct": "DOUBLE",
        "revenue": "DOUBLE",
    },
    "connections": {},
    "adoptions": {},
    "campaign_assignments": {},
}


def _bot_patterns() -> list[str]:
    with (ROOT / "seeds" / "bot_user_agent_patterns.csv").open() as f:
        return [row["pattern"] for row in csv.DictReader(f)]


def _connect(out: Path, manifest: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """Typed views users/events/connections/adoptions (and campaign_assignments) over the
    written files."""
    con = duckdb.connect()
    for table, name in manifest["files"].items():
        path = out / name
        if name.endswith(".csv"):
            casts = ", ".join(f"{c}::{t} AS {c}" for c, t in NUMERIC[table].items())
            replace = f" REPLACE ({casts})" if casts else ""
            source = f"SELECT *{replace} FROM read_csv('{path}', header = true, all_varchar = true)"
        else:
            source = f"SELECT * FROM read_parquet('{path}')"
        con.execute(f"CREATE VIEW {table} AS {source}")
    return con


def _recount(con: duckdb.DuckDBPyConnection, end_date: str) -> dict[str, dict[str, int]]:
    """Flag every row with the first issue that applies, as the warehouse rules say."""
    tables = {name for (name,) in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
    bot_ua = " OR ".join(f"contains(lower(user_agent), '{p}')" for p in _bot_patterns())
    cutoff = f"TIMESTAMP '{end_date}'"
    con.execute(f"""
        CREATE TEMP TABLE bots AS
        WITH e AS (
            SELECT user_id, try_strptime(occurred_at, '{TS}') AS ts, ({bot_ua}) AS is_bot_ua
            FROM events WHERE user_id IS NOT NULL
        ),
        share AS (SELECT user_id, avg(is_bot_ua::INT) AS s FROM e GROUP BY 1),
        hourly AS (
            SELECT user_id, max(n) AS n FROM (
                SELECT user_id, date_trunc('hour', ts) AS h, count(*) AS n
                FROM e WHERE ts IS NOT NULL GROUP BY 1, 2
            ) GROUP BY 1
        )
        SELECT user_id FROM share JOIN hourly USING (user_id) WHERE s >= 0.5 OR n > 400
    """)
    queries = {
        "users": f"""
            WITH r AS (
                SELECT *, try_strptime(signup_at, '{TS}') AS ts,
                       row_number() OVER (PARTITION BY user_id) AS rn
                FROM users
            )
            SELECT CASE
                WHEN user_id IS NULL THEN 'null_user_id'
                WHEN rn > 1 THEN 'duplicate_user_id'
                WHEN ts IS NULL THEN 'unparseable_signup_at'
                WHEN ts >= {cutoff} THEN 'future_signup_at'
                WHEN user_id IN (SELECT user_id FROM bots) THEN 'bot_user'
                ELSE 'clean' END AS code, count(*) AS n
            FROM r GROUP BY 1""",
        "events": f"""
            WITH r AS (
                SELECT *, try_strptime(occurred_at, '{TS}') AS ts FROM events
            ), s AS (
                SELECT *, CASE
                    WHEN event_id IS NULL THEN 'null_event_id'
                    WHEN user_id IS NULL THEN 'null_user_id'
                    WHEN event_type IS NULL THEN 'null_event_type'
                    WHEN ts IS NULL THEN 'unparseable_occurred_at'
                    WHEN ts >= {cutoff} THEN 'future_occurred_at'
                    WHEN revenue < 0 THEN 'negative_revenue' END AS early_code
                FROM r
            ), d AS (
                SELECT *, CASE WHEN early_code IS NULL
                    THEN row_number() OVER (PARTITION BY early_code, event_id) END AS rn
                FROM s
            )
            SELECT CASE
                WHEN early_code IS NOT NULL THEN early_code
                WHEN rn > 1 THEN 'duplicate_event_id'
                WHEN user_id NOT IN (SELECT user_id FROM users WHERE user_id IS NOT NULL)
                    THEN 'unknown_user'
                WHEN user_id IN (SELECT user_id FROM bots) THEN 'bot_user'
                ELSE 'clean' END AS code, count(*) AS n
            FROM d GROUP BY 1""",
        "connections": f"""
            WITH r AS (
                SELECT *, try_strptime(connected_at, '{TS}') AS ts FROM connections
            ), s AS (
                SELECT *, CASE
                    WHEN user_id IS NULL OR connected_user_id IS NULL THEN 'null_user_id'
                    WHEN user_id = connected_user_id THEN 'self_loop'
                    WHEN ts IS NULL THEN 'unparseable_connected_at'
                    WHEN ts >= {cutoff} THEN 'future_connected_at' END AS early_code
                FROM r
            ), d AS (
                SELECT *, CASE WHEN early_code IS NULL THEN row_number() OVER (
                    PARTITION BY early_code, least(user_id, connected_user_id),
                        greatest(user_id, connected_user_id) ORDER BY ts) END AS rn
                FROM s
            ), known AS (SELECT user_id FROM users WHERE user_id IS NOT NULL)
            SELECT CASE
                WHEN early_code IS NOT NULL THEN early_code
                WHEN rn > 1 THEN 'duplicate_edge'
                WHEN user_id NOT IN (SELECT * FROM known)
                    OR connected_user_id NOT IN (SELECT * FROM known) THEN 'unknown_user'
                ELSE 'clean' END AS code, count(*) AS n
            FROM d GROUP BY 1""",
        "adoptions": f"""
            WITH r AS (
                SELECT *, try_strptime(adopted_at, '{TS}') AS ts FROM adoptions
            ), s AS (
                SELECT *, CASE
                    WHEN user_id IS NULL THEN 'null_user_id'
                    WHEN product_id IS NULL THEN 'null_product_id'
                    WHEN ts IS NULL THEN 'unparseable_adopted_at'
                    WHEN ts >= {cutoff} THEN 'future_adopted_at' END AS early_code
                FROM r
            ), d AS (
                SELECT *, CASE WHEN early_code IS NULL THEN row_number() OVER (
                    PARTITION BY early_code, user_id, product_id ORDER BY ts) END AS rn
                FROM s
            )
            SELECT CASE
                WHEN early_code IS NOT NULL THEN early_code
                WHEN rn > 1 THEN 'duplicate_adoption'
                WHEN user_id NOT IN (SELECT user_id FROM users WHERE user_id IS NOT NULL)
                    THEN 'unknown_user'
                ELSE 'clean' END AS code, count(*) AS n
            FROM d GROUP BY 1""",
        "campaign_assignments": f"""
            WITH r AS (
                SELECT *, try_strptime(assigned_at, '{TS}') AS ts FROM campaign_assignments
            ), s AS (
                SELECT *, CASE
                    WHEN campaign_id IS NULL THEN 'null_campaign_id'
                    WHEN user_id IS NULL THEN 'null_user_id'
                    WHEN product_id IS NULL THEN 'null_product_id'
                    WHEN assigned_at IS NULL THEN 'null_assigned_at'
                    WHEN ts IS NULL THEN 'unparseable_assigned_at'
                    WHEN ts >= {cutoff} THEN 'future_assigned_at'
                    WHEN lower(arm) NOT IN ('contacted', 'holdout') OR arm IS NULL
                        THEN 'unknown_arm' END AS early_code
                FROM r
            ), d AS (
                SELECT *, CASE WHEN early_code IS NULL THEN row_number() OVER (
                    PARTITION BY early_code, campaign_id, user_id ORDER BY ts) END AS rn
                FROM s
            )
            SELECT CASE
                WHEN early_code IS NOT NULL THEN early_code
                WHEN rn > 1 THEN 'duplicate_assignment'
                WHEN user_id NOT IN (SELECT user_id FROM users WHERE user_id IS NOT NULL)
                    THEN 'unknown_user'
                WHEN user_id IN (SELECT user_id FROM bots) THEN 'bot_user'
                ELSE 'clean' END AS code, count(*) AS n
            FROM d GROUP BY 1""",
    }
    return {
        table: dict(con.execute(q).fetchall()) for table, q in queries.items() if table in tables
    }


def _clean_views(con: duckdb.DuckDBPyConnection, end_date: str) -> None:
    """Views of the clean rows (the recount's 'clean' rules) for the behaviour checks."""
    ts = f"try_strptime({{}}, '{TS}')"
    con.execute(f"""
        CREATE TEMP VIEW clean_users AS
        SELECT user_id, {ts.format("signup_at")} AS signup FROM users
        WHERE user_id IS NOT NULL AND {ts.format("signup_at")} < TIMESTAMP '{end_date}'
          AND user_id NOT IN (SELECT user_id FROM bots)
        QUALIFY row_number() OVER (PARTITION BY user_id) = 1
    """)
    con.execute(f"""
        CREATE TEMP VIEW clean_events AS
        SELECT e.*, {ts.format("occurred_at")} AS ts FROM events e
        WHERE event_id IS NOT NULL AND event_type IS NOT NULL
          AND user_id IN (SELECT user_id FROM clean_users)
          AND {ts.format("occurred_at")} < TIMESTAMP '{end_date}' AND coalesce(revenue, 0) >= 0
        QUALIFY row_number() OVER (PARTITION BY event_id) = 1
    """)
    con.execute(f"""
        CREATE TEMP VIEW clean_edges AS
        SELECT user_id AS a, connected_user_id AS b, {ts.format("connected_at")} AS ts
        FROM connections
        WHERE user_id <> connected_user_id
          AND user_id IN (SELECT user_id FROM clean_users)
          AND connected_user_id IN (SELECT user_id FROM clean_users)
          AND {ts.format("connected_at")} < TIMESTAMP '{end_date}'
        QUALIFY row_number() OVER (
            PARTITION BY least(user_id, connected_user_id), greatest(user_id, connected_user_id)
            ORDER BY ts) = 1
    """)
    con.execute(f"""
        CREATE TEMP VIEW clean_adoptions AS
        SELECT user_id, product_id, {ts.format("adopted_at")} AS ts FROM adoptions
        WHERE product_id IS NOT NULL AND user_id IN (SELECT user_id FROM clean_users)
          AND {ts.format("adopted_at")} < TIMESTAMP '{end_date}'
        QUALIFY row_number() OVER (PARTITION BY user_id, product_id ORDER BY ts) = 1
    """)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """The same small world written once as Parquet and once as CSV."""
    worlds = {}
    for fmt in demo.FORMATS:
        out = tmp_path_factory.mktemp(f"small_{fmt}")
        worlds[fmt] = (out, demo.generate(out, fmt=fmt, **SMALL))
    return worlds


@pytest.fixture(scope="module")
def moderate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Half the default size over the default 270 days, for adoption and signal checks."""
    out = tmp_path_factory.mktemp("moderate")
    return out, demo.generate(out, users=10_000, days=270, seed=42)


def test_same_seed_gives_identical_files_and_other_seed_differs(tmp_path: Path) -> None:
    args = {"users": 400, "days": 40}
    demo.generate(tmp_path / "a", seed=3, **args)
    demo.generate(tmp_path / "b", seed=3, **args)
    demo.generate(tmp_path / "c", seed=4, **args)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    tables = [*demo.TABLES, demo.CAMPAIGN_TABLE]
    assert names == sorted([*(f"{t}.parquet" for t in tables), "manifest.json"])
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    for name in names:
        if name != "manifest.json":
            assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()


def test_a_weaker_signal_gives_fewer_adopters_and_the_manifest_says_so(tmp_path: Path) -> None:
    args = {"users": 1500, "days": 90, "seed": 3}
    default = demo.generate(tmp_path / "a", **args)
    explicit = demo.generate(tmp_path / "b", signal=1.0, **args)
    weak = demo.generate(tmp_path / "c", signal=0.3, **args)

    # signal 1 is the world itself, bit for bit
    assert explicit == default
    for name in default["files"].values():
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (default["params"]["signal"], weak["params"]["signal"]) == (1.0, 0.3)
    # behavior and contagion say less, so fewer users adopt; users and events stay
    assert sum(p["adopters"] for p in weak["products"].values()) < sum(
        p["adopters"] for p in default["products"].values()
    )
    assert weak["rows"]["users"] == default["rows"]["users"]


def test_recorded_hazards_change_nothing_and_cover_who_can_adopt(tmp_path: Path) -> None:
    args = {"users": 1500, "days": 90, "seed": 3}
    plain = demo.generate(tmp_path / "a", **args)
    # every 7th day of the window (it starts on 2026-08-02), to 2026-10-25
    dates = [str(dt.date(2026, 8, 9) + dt.timedelta(days=7 * k)) for k in range(12)]
    recorded = demo.generate(tmp_path / "b", hazard_dates=dates, **args)

    # the world is the same, bit for bit; the hazards are a file beside it
    assert recorded == plain | {"hazards": demo.HAZARD_FILE}
    for name in plain["files"].values():
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    con = duckdb.connect()
    con.execute(
        f"create view hazards as select * from '{tmp_path / 'b' / demo.HAZARD_FILE}';"
        f" create view users as select * from '{tmp_path / 'b' / 'users.parquet'}';"
        f" create view adoptions as select * from '{tmp_path / 'b' / 'adoptions.parquet'}'"
    )
    assert con.execute(
        "select distinct snapshot_date::varchar, product_id from hazards order by all"
    ).fetchall() == [(d, p) for d in dates for p in sorted(plain["products"])]
    # who is recorded: signed up before the day, not yet an adopter of the product
    assert con.execute(
        """
        select count(*) from hazards as h
        where not exists (
            select 1 from users as u
            where u.user_id = h.user_id and try_cast(u.signup_at as timestamp) < h.snapshot_date
        ) or exists (
            select 1 from adoptions as a
            where a.user_id = h.user_id and a.product_id = h.product_id
              and try_cast(a.adopted_at as timestamp) < h.snapshot_date
        )
        """
    ).fetchall() == [(0,)]
    # every user who adopted on a recorded day was recorded that day, and ranked high:
    # their hazard's percentile among the day's users is well above a random user's 0.5
    [(adopters, recorded_adopters, percentile)] = con.execute(
        """
        with ranked as (
            select *, percent_rank() over (
                partition by snapshot_date, product_id order by hazard_logit
            ) as percentile
            from hazards
        )
        select count(*), count(r.user_id), avg(r.percentile)
        from adoptions as a
        left join ranked as r
            on r.user_id = a.user_id and r.product_id = a.product_id
            and r.snapshot_date = try_cast(a.adopted_at as timestamp)::date
        where try_cast(a.adopted_at as timestamp)::date::varchar in ?
        """,
        [dates],
    ).fetchall()
    assert adopters >= 10 and recorded_adopters == adopters
    assert percentile > 0.7, percentile
    # the exposure adds up the hazard without the taste, day after day: it grows for a
    # user recorded a week apart, and is zero the day after the signup
    [(pairs, not_grown)] = con.execute(
        """
        select count(*), count(*) filter (where later.exposure <= earlier.exposure)
        from hazards as earlier
        join hazards as later using (product_id, user_id)
        where later.snapshot_date = earlier.snapshot_date + 7
        """
    ).fetchall()
    assert pairs > 1000 and not_grown == 0
    [(newcomers, most)] = con.execute(
        """
        select count(*), max(exposure) from hazards as h
        join users as u using (user_id)
        where try_cast(u.signup_at as timestamp)::date = h.snapshot_date - 1
        """
    ).fetchall()
    assert newcomers > 0 and most == 0
    # the taste is the unobserved N(0, 0.8) part of it
    assert abs(con.execute("select stddev(taste) from hazards").fetchall()[0][0] - 0.8) < 0.05

    with pytest.raises(ValueError, match="hazard_dates must lie from 2026-08-02 to 2026-10-30"):
        demo.generate(tmp_path / "c", hazard_dates=["2026-10-31"], **args)


def test_csv_and_parquet_hold_the_same_rows(small: dict[str, tuple[Path, dict[str, Any]]]) -> None:
    (p_out, p_manifest), (c_out, c_manifest) = small["parquet"], small["csv"]
    assert p_manifest["rows"] == c_manifest["rows"]
    assert p_manifest["dq_issues"] == c_manifest["dq_issues"]
    assert p_manifest["products"] == c_manifest["products"]
    p_con, c_con = _connect(p_out, p_manifest), _connect(c_out, c_manifest)
    assert demo.CAMPAIGN_TABLE in p_manifest["files"]
    for table in p_manifest["files"]:
        p_rows = p_con.execute(f"SELECT * FROM {table}").fetchall()
        c_rows = c_con.execute(f"SELECT * FROM {table}").fetchall()
        assert p_rows == c_rows, table


@pytest.mark.parametrize("fmt", demo.FORMATS)
def test_manifest_counts_match_an_independent_recount(
    small: dict[str, tuple[Path, dict[str, Any]]], fmt: str
) -> None:
    out, manifest = small[fmt]
    con = _connect(out, manifest)
    counts = _recount(con, manifest["params"]["end_date"])
    tables = [*demo.TABLES, demo.CAMPAIGN_TABLE]
    assert list(manifest["dq_issues"]) == tables
    for table in tables:
        expected = manifest["dq_issues"][table]
        assert list(expected) == ["clean", *demo.ISSUE_CODES[table]]
        assert all(n >= 1 for n in expected.values()), table
        assert sum(expected.values()) == manifest["rows"][table], table
        assert counts[table] == expected, table
        (rows,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert rows == manifest["rows"][table]
    assert manifest["files"] == {t: f"{t}.{fmt}" for t in tables}
    assert json.loads((out / "manifest.json").read_text()) == manifest


def test_clean_rows_follow_the_world_rules(small: dict[str, tuple[Path, dict[str, Any]]]) -> None:
    out, manifest = small["parquet"]
    params = manifest["params"]
    con = _connect(out, manifest)
    _recount(con, params["end_date"])
    _clean_views(con, params["end_date"])
    start, end = f"TIMESTAMP '{params['start_date']}'", f"TIMESTAMP '{params['end_date']}'"

    def one(sql: str) -> Any:
        return con.execute(sql).fetchone()[0]

    assert one("SELECT count(*) FROM bots") == manifest["dq_issues"]["users"]["bot_user"]
    # Events: inside the window, never near the bot volume, never a bot user agent.
    assert one(f"SELECT count(*) FROM clean_events WHERE ts < {start} OR ts >= {end}") == 0
    max_per_hour = one(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM clean_events "
        "GROUP BY user_id, date_trunc('hour', ts))"
    )
    assert max_per_hour <= 200
    bot_ua = " OR ".join(f"contains(lower(user_agent), '{p}')" for p in _bot_patterns())
    assert one(f"SELECT count(*) FROM clean_events WHERE {bot_ua}") == 0
    assert one("SELECT count(*) FROM clean_events WHERE revenue IS NOT NULL") == one(
        "SELECT count(*) FROM clean_events WHERE event_type = 'purchase' AND revenue > 0"
    )
    assert (
        one(
            "SELECT count(*) FROM clean_events WHERE scroll_depth_pct IS NOT NULL "
            "AND (event_type <> 'scroll' OR scroll_depth_pct NOT BETWEEN 0 AND 100)"
        )
        == 0
    )
    # Events after the user's signup.
    assert (
        one("SELECT count(*) FROM clean_events JOIN clean_users USING (user_id) WHERE ts < signup")
        == 0
    )
    # Edges after both signups, inside the window; adoptions after signup.
    assert (
        one(
            f"""SELECT count(*) FROM clean_edges e
        JOIN clean_users ua ON ua.user_id = e.a JOIN clean_users ub ON ub.user_id = e.b
        WHERE e.ts < ua.signup OR e.ts < ub.signup OR e.ts < {start}"""
        )
        == 0
    )
    assert (
        one(
            "SELECT count(*) FROM clean_adoptions JOIN clean_users USING (user_id) "
            f"WHERE ts < signup OR ts < {start}"
        )
        == 0
    )
    # The bots have no edges and no adoptions.
    assert (
        one(
            "SELECT count(*) FROM connections WHERE user_id IN (SELECT user_id FROM bots) "
            "OR connected_user_id IN (SELECT user_id FROM bots)"
        )
        == 0
    )
    assert one("SELECT count(*) FROM adoptions WHERE user_id IN (SELECT user_id FROM bots)") == 0


def test_campaigns_are_randomized_and_the_manifest_holds_their_truth(
    moderate: tuple[Path, dict[str, Any]],
) -> None:
    out, manifest = moderate
    params = manifest["params"]
    con = _connect(out, manifest)
    _recount(con, params["end_date"])
    _clean_views(con, params["end_date"])
    plans = {plan.campaign_id: plan for plan in demo.CAMPAIGNS}
    assert list(manifest["campaigns"]) == list(plans)
    rows = con.execute(f"""
        SELECT a.campaign_id, any_value(a.product_id) AS product_id,
            count(DISTINCT a.product_id) AS products,
            count(DISTINCT try_strptime(a.assigned_at, '{TS}')::DATE) AS days,
            min(try_strptime(a.assigned_at, '{TS}')::DATE)::VARCHAR AS assigned_on,
            count(*) FILTER (WHERE a.arm = 'holdout') AS holdout, count(*) AS users,
            count(*) FILTER (WHERE u.signup >= try_strptime(a.assigned_at, '{TS}')::DATE)
                AS not_signed_up,
            count(*) FILTER (WHERE ad.ts < try_strptime(a.assigned_at, '{TS}')::DATE)
                AS adopted_before
        FROM campaign_assignments a
        JOIN clean_users u USING (user_id)
        LEFT JOIN clean_adoptions ad USING (user_id, product_id)
        WHERE a.campaign_id IS NOT NULL AND a.arm IN ('contacted', 'holdout')
            AND try_strptime(a.assigned_at, '{TS}') < TIMESTAMP '{params["end_date"]}'
        GROUP BY a.campaign_id
    """).df()
    rows = rows.set_index("campaign_id")
    for campaign_id, truth in manifest["campaigns"].items():
        plan, row = plans[campaign_id], rows.loc[campaign_id]
        assert (row.product_id, row.products, row.days) == (plan.product_id, 1, 1)
        assert row.assigned_on == truth["assigned_on"]
        # the audience: users signed up before the day who had not adopted the product
        assert (row.not_signed_up, row.adopted_before) == (0, 0)
        # a random holdout of the expected share (within 3.29 standard deviations)
        share = demo.CAMPAIGN_HOLDOUT_SHARE
        assert abs(row.holdout - share * row.users) < 3.29 * np.sqrt(
            row.users * share * (1 - share)
        )
        # the truth: effect x (1 - the baseline of the contacted it did not act on)
        assert truth["planted_effect"] == plan.effect
        assert truth["true_uplift"] == round(plan.effect * (1 - truth["baseline_rate"]), 6)
        assert 0 < truth["baseline_rate"] < 0.2
        responded = truth["adopted_because_of_campaign"]
        if plan.effect == 0:
            assert (responded, truth["true_uplift"]) == (0, 0.0)
        else:
            expected = plan.effect * truth["contacted"]
            assert abs(responded - expected) < 4 * np.sqrt(expected)


def test_campaigns_change_nothing_before_they_start(tmp_path: Path) -> None:
    args = {"users": 400, "days": 60, "seed": 3}
    with_campaigns = demo.generate(tmp_path / "a", **args)
    without = demo.generate(tmp_path / "b", campaigns=False, **args)
    assert demo.CAMPAIGN_TABLE not in without["files"]
    assert not without["campaigns"]
    assert not (tmp_path / "b" / f"{demo.CAMPAIGN_TABLE}.parquet").exists()
    # the clean rows before the first campaign are the same (dirty rows are drawn from the
    # whole window, so they differ)
    first = min(c["assigned_on"] for c in with_campaigns["campaigns"].values())
    cons = []
    for folder, manifest in (("a", with_campaigns), ("b", without)):
        con = _connect(tmp_path / folder, manifest)
        _recount(con, manifest["params"]["end_date"])
        _clean_views(con, manifest["params"]["end_date"])
        cons.append(con)
    for table in ("clean_events", "clean_adoptions"):
        sql = f"SELECT * FROM {table} WHERE ts < TIMESTAMP '{first}' ORDER BY ALL"
        a, b = (con.execute(sql).fetchall() for con in cons)
        assert a and a == b, table
    assert with_campaigns["rows"]["users"] == without["rows"]["users"]


def test_a_tiny_world_runs_the_campaigns_that_fit(tmp_path: Path) -> None:
    """31 days hold only the last campaign; 28 none; fewer clean assignments than dirty
    rows to derive from still gives every kind, recounted."""
    tiny = demo.generate(tmp_path / "tiny", users=100, days=31, seed=1)
    assert list(tiny["campaigns"]) == ["assistant_banner"]
    counts = _recount(_connect(tmp_path / "tiny", tiny), tiny["params"]["end_date"])
    assert counts[demo.CAMPAIGN_TABLE] == tiny["dq_issues"][demo.CAMPAIGN_TABLE]
    assert all(n >= 1 for n in counts[demo.CAMPAIGN_TABLE].values())
    none = demo.generate(tmp_path / "none", users=100, days=28, seed=1)
    assert not none["campaigns"] and demo.CAMPAIGN_TABLE not in none["files"]


def test_adoption_rates_and_cold_start(
    small: dict[str, tuple[Path, dict[str, Any]]], moderate: tuple[Path, dict[str, Any]]
) -> None:
    for manifest in (small["parquet"][1], moderate[1]):
        products = manifest["products"]
        assert list(products) == [p.product_id for p in demo.PRODUCTS[:4]]
        for info in products.values():
            assert info["early_adopters"] >= 1
            assert info["adopters"] >= info["early_adopters"]
            if not info["cold_start"]:
                assert 0.005 <= info["mean_28d_adoption_rate"] <= 0.08
    # Half the default size: the cold-start product stays below half of the default's 50.
    cold = moderate[1]["products"]["api_access"]
    assert cold["cold_start"]
    assert 5 <= cold["adopters"] < 25


def test_signal_is_learnable_but_not_trivial(moderate: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = moderate
    params = manifest["params"]
    con = _connect(out, manifest)
    _recount(con, params["end_date"])
    _clean_views(con, params["end_date"])
    regular = [p for p, v in manifest["products"].items() if not v["cold_start"]]
    related = {p: manifest["products"][p]["related_features"] for p in regular}
    con.execute(
        "CREATE TEMP TABLE related AS SELECT * FROM (VALUES "
        + ", ".join(f"('{p}', '{f}')" for p, fs in related.items() for f in fs)
        + ") t(product_id, feature)"
    )
    # One row per (window start, product, eligible user): adopted in the next 28 days?
    # Features from before the window start only.
    rows = con.execute(f"""
        WITH cuts AS (
            SELECT TIMESTAMP '{params["start_date"]}' + to_days(28 * k) AS c
            FROM range(1, {params["days"] // 28}) t(k)
        ), eligible AS (
            SELECT c, p.product_id, u.user_id FROM cuts, clean_users u,
                (SELECT DISTINCT product_id FROM related) p
            WHERE u.signup < c AND NOT EXISTS (
                SELECT 1 FROM clean_adoptions a
                WHERE a.user_id = u.user_id AND a.product_id = p.product_id AND a.ts < c)
        ), uses AS (
            SELECT c, r.product_id, e.user_id, count(*) AS n
            FROM clean_events e JOIN related r ON e.item = r.feature
            JOIN cuts ON e.ts < c AND e.ts >= c - INTERVAL 28 DAY
            WHERE e.event_type = 'feature_use' GROUP BY ALL
        ), links AS (
            SELECT c, a.product_id, x.me AS user_id, count(*) AS n
            FROM (SELECT a AS me, b AS other, ts FROM clean_edges
                  UNION ALL SELECT b, a, ts FROM clean_edges) x
            JOIN clean_adoptions a ON a.user_id = x.other
            JOIN cuts ON a.ts < c AND x.ts < c GROUP BY ALL
        )
        SELECT EXISTS (
                SELECT 1 FROM clean_adoptions a WHERE a.user_id = el.user_id
                AND a.product_id = el.product_id AND a.ts >= el.c
                AND a.ts < el.c + INTERVAL 28 DAY) AS adopted,
            coalesce(uses.n, 0) AS prior_uses, coalesce(links.n, 0) AS adopter_links
        FROM eligible el
        LEFT JOIN uses USING (c, product_id, user_id)
        LEFT JOIN links USING (c, product_id, user_id)
    """).fetchnumpy()
    adopted = rows["adopted"].astype(bool)
    assert 100 <= adopted.sum() < 0.1 * len(adopted)
    for name in ("prior_uses", "adopter_links"):
        x = rows[name].astype(float)
        assert x[adopted].mean() > 1.2 * x[~adopted].mean(), name
        # Not a giveaway: the rank AUC of any single feature stays far from 1.
        ranks = np.argsort(np.argsort(x, kind="stable"), kind="stable") + 1.0
        for value in np.unique(x):  # average ranks over ties
            tie = x == value
            ranks[tie] = ranks[tie].mean()
        n_pos, n_neg = adopted.sum(), (~adopted).sum()
        auc = (ranks[adopted].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
        assert 0.52 < auc < 0.8, (name, auc)


def test_bot_patterns_match_the_seed_and_agents_are_classified() -> None:
    patterns = _bot_patterns()
    assert list(demo.BOT_USER_AGENT_PATTERNS) == patterns

    def is_bot(ua: str) -> bool:
        return any(p in ua.lower() for p in patterns)

    assert all(is_bot(ua) for ua in demo.BOT_USER_AGENTS)
    assert not any(is_bot(ua) for uas in demo.BROWSER_USER_AGENTS.values() for ua in uas)


def test_main_writes_and_summarises(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "raw"
    argv = ["--users", "300", "--days", "35", "--products", "2", "--format", "csv"]
    assert demo.main([*argv, "--out", str(out), "--end-date", "2026-01-01"]) == 0
    summary = capsys.readouterr().out
    assert summary.startswith("targeting.demo: users=") and "analytics_pro=" in summary
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["params"]["start_date"] == "2025-11-27"
    assert list(manifest["products"]) == ["analytics_pro", "team_workspace"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*manifest["files"].values(), "manifest.json"]
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--users", "-5"], "users must be between"),
        (["--format", "xml"], "format must be one of"),
        (["--products", "0"], "products must be between"),
        (["--days", "3"], "days must be between"),
        (["--end-date", "31/10/2026"], "end date must look like"),
        (["--users", "many"], "invalid int value"),
        (["--signal", "-1"], "signal must be between 0 and 3"),
    ],
)
def test_main_rejects_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        demo.main([*argv, "--out", str(tmp_path / "raw")])
    assert exit_info.value.code != 0
    assert message in capsys.readouterr().err
    assert not (tmp_path / "raw").exists()
