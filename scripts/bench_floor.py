"""The floor of the scale benchmark: what this machine's engine allows on the same files.

Two figures that ``scripts/bench.py`` sets beside the project's own (BENCHMARKS.md):

1. **Feature floor**: the features of *one* snapshot, hand-written in plain DuckDB SQL
   straight over the raw Parquet files, with no dbt, no incremental state and no
   intermediate table kept: typed rows with the row checks, duplicate event ids out,
   unknown users and bots out, sessions at the 30-minute gap, user x day activity, the
   7/30/90-day behavior windows (the same counts, minutes and averages as
   int_users_behavior_windowed), distinct features used, the 30-day trend, recency,
   RFM with quintile scores, adopter item affinity, and social adoption (connections,
   adopter connections and their share, days since the first, team size, teammates
   who adopted and the team adoption rate, self excluded), one row per user x product.
   It matches the intermediate models in kind and volume, not every edge case (no late
   events, no quarantine counts, no segments). Timed, with the peak resident memory.
2. **Model floor**: a plain LightGBM fit (the project's parameters, its default
   rounds, one thread as the project runs it) on ``--train-rows`` rows (100,000) of
   those features with the label from the adoptions, then predictions: fit seconds and
   predicted rows per second.

The snapshot is the latest one with a whole label window: ``as_of`` (the day after the
last clean event) less ``targeting__label_horizon_days``, so the same rows carry a label
(adopted in [snapshot, snapshot + horizon)). Its volume is a score snapshot's.

    python scripts/bench_floor.py RAW_FOLDER [--train-rows 100000] [--json OUT]

Peak memory is the process's own, so run it alone (``measure_in_subprocess`` does, for
bench.py); DuckDB gets the profile's memory limit (TARGETING_DUCKDB_MEMORY_LIMIT, 6GB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WINDOWS = (7, 30, 90)
# (feature name, expression over a user x day activity row)
WINDOW_COUNTS = (
    ("sessions", "n_sessions"),
    ("active_days", "1"),
    ("events", "n_events"),
    ("page_views", "n_page_views"),
    ("clicks", "n_clicks"),
    ("searches", "n_searches"),
    ("logins", "n_logins"),
    ("feature_uses", "n_feature_uses"),
    ("scrolls", "n_scrolls"),
    ("purchases", "n_purchases"),
)


def project_vars() -> dict[str, Any]:
    """The project's var defaults (dbt_project.yml), so the floor uses the same settings."""
    import yaml

    return yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]


def feature_sql(raw: Path, settings: dict[str, Any]) -> list[tuple[str, str]]:
    """The steps, in order: (temp table, select). The last one is the feature matrix."""
    gap = int(settings["targeting__session_gap_minutes"])
    horizon = int(settings["targeting__label_horizon_days"])
    smoothing = float(settings["targeting__affinity_smoothing"])
    bot_share = float(settings["targeting__bot_user_agent_share"])
    bot_per_hour = int(settings["targeting__bot_max_events_per_hour"])
    patterns = ROOT / "seeds" / "bot_user_agent_patterns.csv"

    def source(name: str) -> str:
        return f"read_parquet('{raw / f'{name}.parquet'}')"

    window_columns = []
    for window in WINDOWS:
        since = f"activity_date >= snapshot.snapshot_date - {window}"
        for name, expression in WINDOW_COUNTS:
            window_columns.append(
                f"coalesce(sum({expression}) filter (where {since}), 0) as {name}_{window}d"
            )
        window_columns += [
            f"coalesce(sum(time_spent_ms) filter (where {since}), 0) / 60000.0"
            f" as time_spent_minutes_{window}d",
            f"sum(session_seconds) filter (where {since}) / 60.0"
            f" / nullif(sum(n_sessions) filter (where {since}), 0)"
            f" as avg_session_minutes_{window}d",
            f"sum(scroll_depth_pct_sum) filter (where {since})"
            f" / nullif(sum(n_scroll_depths) filter (where {since}), 0)"
            f" as avg_scroll_depth_pct_{window}d",
        ]
    windows_sql = ",\n            ".join(window_columns)

    return [
        (
            "users",
            f"""
            -- typed, checked, one row per user id; bots are flagged below
            select user_id, signup_at, team_id
            from (
                select
                    user_id,
                    try_cast(signup_at as timestamp) as signup_at,
                    team_id,
                    count(*) over (partition by user_id) as n_rows
                from {source("users")}
                where user_id is not null
            )
            where n_rows = 1 and signup_at is not null and signup_at <= current_timestamp
            """,
        ),
        (
            "typed_events",
            f"""
            select
                event_id,
                user_id,
                try_cast(occurred_at as timestamp) as occurred_at,
                lower(event_type) as event_type,
                item,
                duration_ms,
                scroll_depth_pct,
                coalesce(revenue, 0) as revenue,
                user_agent
            from {source("events")}
            where
                event_id is not null and user_id is not null and event_type is not null
                and try_cast(occurred_at as timestamp) <= current_timestamp
                and coalesce(revenue, 0) >= 0
            """,
        ),
        (
            "events",
            """
            -- repeated event ids: the first row of each kept, the others out
            with repeated_ids as (
                select event_id from typed_events group by event_id having count(*) > 1
            )
            select * from typed_events anti join repeated_ids using (event_id)
            union all
            select * from (
                select * from typed_events semi join repeated_ids using (event_id)
                qualify row_number() over (
                    partition by event_id order by occurred_at, user_id, event_type
                ) = 1
            )
            """,
        ),
        (
            "bots",
            f"""
            with patterns as (select lower(pattern) as pattern from read_csv('{patterns}')),
            bot_agents as (
                select distinct agents.user_agent
                from (select distinct user_agent from events where user_agent is not null)
                    as agents
                inner join patterns on contains(lower(agents.user_agent), patterns.pattern)
            ),
            hourly as (
                select
                    events.user_id,
                    count(*) as n_events,
                    count(bot_agents.user_agent) as n_bot_agent_events
                from events
                left join bot_agents on events.user_agent = bot_agents.user_agent
                group by events.user_id, date_trunc('hour', events.occurred_at)
            )
            select user_id
            from hourly
            group by user_id
            having
                sum(n_bot_agent_events) / sum(n_events) >= {bot_share}
                or max(n_events) > {bot_per_hour}
            """,
        ),
        (
            "clean_events",
            """
            select events.* exclude (user_agent), cast(events.occurred_at as date) as event_date
            from events
            semi join users using (user_id)
            anti join bots using (user_id)
            """,
        ),
        (
            "snapshot",
            f"""
            select max(event_date) + 1 - {horizon} as snapshot_date, max(event_date) + 1 as as_of
            from clean_events
            """,
        ),
        (
            "sessionized",
            f"""
            -- every clean event in its session (a new one after {gap} minutes without any)
            select
                *,
                previous_occurred_at is null
                    or occurred_at >= previous_occurred_at + to_minutes({gap}) as is_session_start
            from (
                select
                    *,
                    lag(occurred_at) over (
                        partition by user_id order by occurred_at, event_id
                    ) as previous_occurred_at
                from clean_events
            )
            """,
        ),
        (
            "daily_activity",
            """
            select
                user_id,
                event_date as activity_date,
                count(*) as n_events,
                count(*) filter (where event_type = 'page_view') as n_page_views,
                count(*) filter (where event_type = 'click') as n_clicks,
                count(*) filter (where event_type = 'search') as n_searches,
                count(*) filter (where event_type = 'login') as n_logins,
                count(*) filter (where event_type = 'feature_use') as n_feature_uses,
                count(*) filter (where event_type = 'scroll') as n_scrolls,
                count(*) filter (where event_type = 'purchase') as n_purchases,
                count(*) filter (where is_session_start) as n_sessions,
                sum(revenue) as revenue,
                coalesce(sum(duration_ms), 0) as time_spent_ms,
                sum(case when is_session_start then 0
                    else date_diff('second', previous_occurred_at, occurred_at) end)
                    as session_seconds,
                coalesce(sum(scroll_depth_pct) filter (where event_type = 'scroll'), 0)
                    as scroll_depth_pct_sum,
                count(scroll_depth_pct) filter (where event_type = 'scroll') as n_scroll_depths
            from sessionized
            group by user_id, event_date
            """,
        ),
        (
            "item_usage",
            """
            -- each user's use of each feature and page over the 90 days before the snapshot
            select
                clean_events.user_id,
                clean_events.item,
                count(*) filter (
                    where clean_events.event_date >= snapshot.snapshot_date - 30
                ) as n_uses_30d,
                count(*) as n_uses_90d
            from clean_events, snapshot
            where
                clean_events.item is not null
                and clean_events.event_date >= snapshot.snapshot_date - 90
                and clean_events.event_date < snapshot.snapshot_date
            group by clean_events.user_id, clean_events.item
            """,
        ),
        (
            "behavior",
            f"""
            select
                users.user_id,
                date_diff('day', users.signup_at, snapshot.snapshot_date) as tenure_days,
            {windows_sql},
                coalesce(sum(n_events) filter (
                    where activity_date >= snapshot.snapshot_date - 30
                ), 0) - coalesce(sum(n_events) filter (
                    where activity_date < snapshot.snapshot_date - 30
                    and activity_date >= snapshot.snapshot_date - 60
                ), 0) as events_trend_30d,
                date_diff('day', max(activity_date), snapshot.snapshot_date)
                    as days_since_last_activity
            from users
            cross join snapshot
            left join daily_activity
                on
                    users.user_id = daily_activity.user_id
                    and daily_activity.activity_date < snapshot.snapshot_date
            where users.signup_at < snapshot.snapshot_date
            group by users.user_id, users.signup_at, snapshot.snapshot_date
            """,
        ),
        (
            "distinct_features",
            """
            select
                user_id,
                count(*) filter (where n_uses_30d > 0) as distinct_features_30d,
                count(*) as distinct_features_90d
            from item_usage
            where item in (select item from clean_events where event_type = 'feature_use')
            group by user_id
            """,
        ),
        (
            "rfm",
            """
            with purchases as (
                select
                    daily_activity.user_id,
                    date_diff('day', max(daily_activity.activity_date), snapshot.snapshot_date)
                        as recency_days,
                    sum(daily_activity.n_purchases) as purchase_frequency,
                    cast(sum(daily_activity.revenue) as double) as monetary_value
                from daily_activity, snapshot
                where
                    daily_activity.n_purchases > 0
                    and daily_activity.activity_date < snapshot.snapshot_date
                group by daily_activity.user_id, snapshot.snapshot_date
            )
            select
                *,
                least(5, 1 + floor(5 * percent_rank() over (order by recency_days desc)))
                    as recency_score,
                least(5, 1 + floor(5 * percent_rank() over (order by purchase_frequency)))
                    as frequency_score,
                least(5, 1 + floor(5 * percent_rank() over (order by monetary_value)))
                    as monetary_score
            from purchases
            """,
        ),
        (
            "adoptions",
            """
            select
                adoptions.user_id,
                adoptions.product_id,
                min(try_cast(adoptions.adopted_at as timestamp)) as adopted_at
            from """
            + source("adoptions")
            + """ as adoptions
            semi join users using (user_id)
            where
                adoptions.product_id is not null
                and try_cast(adoptions.adopted_at as timestamp) <= current_timestamp
            group by adoptions.user_id, adoptions.product_id
            """,
        ),
        (
            "products",
            "select distinct product_id from adoptions",
        ),
        (
            "prior_adoptions",
            """
            select adoptions.* from adoptions, snapshot
            where adoptions.adopted_at < snapshot.snapshot_date
            """,
        ),
        (
            "item_affinity",
            f"""
            -- how much more often the product's adopters used each item than all active
            -- users did (shrunk towards 1), and each user's use weighted by it
            with active_users as (select count(distinct user_id) as n from item_usage),
            item_users as (
                select item, count(*) as n_users from item_usage group by item
            ),
            adopters as (
                select distinct prior_adoptions.product_id, item_usage.user_id
                from item_usage
                inner join prior_adoptions on item_usage.user_id = prior_adoptions.user_id
            ),
            adopter_counts as (
                select product_id, count(*) as n_adopters from adopters group by product_id
            ),
            adopter_item_users as (
                select adopters.product_id, item_usage.item, count(*) as n_adopters_using
                from adopters
                inner join item_usage on adopters.user_id = item_usage.user_id
                group by adopters.product_id, item_usage.item
            ),
            lifts as (
                select
                    products.product_id,
                    item_users.item,
                    (
                        coalesce(adopter_item_users.n_adopters_using, 0)
                        + {smoothing} * item_users.n_users / active_users.n
                    ) / (coalesce(adopter_counts.n_adopters, 0) + {smoothing})
                    / (item_users.n_users / active_users.n) as lift
                from products
                cross join item_users
                cross join active_users
                left join adopter_counts on products.product_id = adopter_counts.product_id
                left join adopter_item_users
                    on
                        products.product_id = adopter_item_users.product_id
                        and item_users.item = adopter_item_users.item
            )
            select
                item_usage.user_id,
                lifts.product_id,
                sum(ln(lifts.lift) * ln(1 + item_usage.n_uses_90d))
                    / nullif(sum(ln(1 + item_usage.n_uses_90d)), 0) as item_affinity_score,
                sum(item_usage.n_uses_30d) filter (where lifts.lift > 1) as adopter_like_uses_30d,
                sum(item_usage.n_uses_90d) filter (where lifts.lift > 1) as adopter_like_uses_90d
            from item_usage
            inner join lifts on item_usage.item = lifts.item
            group by item_usage.user_id, lifts.product_id
            """,
        ),
        (
            "social",
            """
            with edges as (
                select
                    connections.user_id,
                    connections.connected_user_id,
                    coalesce(
                        try_cast(connections.connected_at as timestamp),
                        greatest(users.signup_at, connected_users.signup_at)
                    ) as connected_at
                from """
            + source("connections")
            + """ as connections
                inner join users on connections.user_id = users.user_id
                inner join users as connected_users
                    on connections.connected_user_id = connected_users.user_id
                where connections.user_id != connections.connected_user_id
            ),
            directed as (
                select user_id, connected_user_id as neighbor_user_id, connected_at from edges
                union all
                select connected_user_id, user_id, connected_at from edges
            ),
            snapshot_edges as (
                select directed.* from directed, snapshot
                where directed.connected_at < snapshot.snapshot_date
            ),
            connection_counts as (
                select user_id, count(*) as n_connections from snapshot_edges group by user_id
            ),
            adopter_connections as (
                select
                    snapshot_edges.user_id,
                    prior_adoptions.product_id,
                    count(*) as n_adopter_connections,
                    min(greatest(snapshot_edges.connected_at, prior_adoptions.adopted_at))
                        as first_exposed_at
                from snapshot_edges
                inner join prior_adoptions
                    on snapshot_edges.neighbor_user_id = prior_adoptions.user_id
                group by snapshot_edges.user_id, prior_adoptions.product_id
            ),
            members as (
                select users.user_id, users.team_id from users, snapshot
                where users.signup_at < snapshot.snapshot_date and users.team_id is not null
            ),
            team_sizes as (
                select team_id, count(*) as n_members from members group by team_id
            ),
            team_adopters as (
                select members.team_id, prior_adoptions.product_id, count(*) as n_adopted
                from members
                inner join prior_adoptions on members.user_id = prior_adoptions.user_id
                group by members.team_id, prior_adoptions.product_id
            )
            select
                members_and_products.user_id,
                members_and_products.product_id,
                coalesce(connection_counts.n_connections, 0) as n_connections,
                coalesce(adopter_connections.n_adopter_connections, 0) as n_adopter_connections,
                coalesce(
                    adopter_connections.n_adopter_connections
                    / nullif(connection_counts.n_connections, 0), 0
                ) as adopter_connection_share,
                date_diff('day', adopter_connections.first_exposed_at, snapshot.snapshot_date)
                    as days_since_first_adopter_connection,
                coalesce(team_sizes.n_members, 1) as team_size,
                -- teammates who had adopted, self excluded
                coalesce(team_adopters.n_adopted, 0) - coalesce(self_adoption.is_adopter, 0)
                    as n_teammates_adopted,
                coalesce(
                    (coalesce(team_adopters.n_adopted, 0) - coalesce(self_adoption.is_adopter, 0))
                    / nullif(team_sizes.n_members - 1, 0), 0
                ) as team_adoption_rate
            from (
                select users.user_id, users.team_id, products.product_id
                from users, products, snapshot
                where users.signup_at < snapshot.snapshot_date
            ) as members_and_products
            cross join snapshot
            left join connection_counts
                on members_and_products.user_id = connection_counts.user_id
            left join adopter_connections
                on
                    members_and_products.user_id = adopter_connections.user_id
                    and members_and_products.product_id = adopter_connections.product_id
            left join team_sizes on members_and_products.team_id = team_sizes.team_id
            left join team_adopters
                on
                    members_and_products.team_id = team_adopters.team_id
                    and members_and_products.product_id = team_adopters.product_id
            left join (
                select user_id, product_id, 1 as is_adopter from prior_adoptions
            ) as self_adoption
                on
                    members_and_products.user_id = self_adoption.user_id
                    and members_and_products.product_id = self_adoption.product_id
            """,
        ),
        (
            "features",
            f"""
            -- one row per user x product: every feature, eligibility and the label
            select
                social.user_id,
                social.product_id,
                snapshot.snapshot_date,
                prior_adoptions.user_id is null as is_eligible,
                case
                    when prior_adoptions.user_id is not null then null
                    else coalesce(
                        adoptions.adopted_at < snapshot.snapshot_date + {horizon}, false
                    )
                end as label,
                behavior.* exclude (user_id),
                coalesce(distinct_features.distinct_features_30d, 0) as distinct_features_30d,
                coalesce(distinct_features.distinct_features_90d, 0) as distinct_features_90d,
                rfm.recency_days,
                coalesce(rfm.purchase_frequency, 0) as purchase_frequency,
                coalesce(rfm.monetary_value, 0) as monetary_value,
                coalesce(rfm.recency_score, 0) as recency_score,
                coalesce(rfm.frequency_score, 0) as frequency_score,
                coalesce(rfm.monetary_score, 0) as monetary_score,
                item_affinity.item_affinity_score,
                coalesce(item_affinity.adopter_like_uses_30d, 0) as adopter_like_uses_30d,
                coalesce(item_affinity.adopter_like_uses_90d, 0) as adopter_like_uses_90d,
                social.* exclude (user_id, product_id)
            from social
            cross join snapshot
            inner join behavior on social.user_id = behavior.user_id
            left join distinct_features on social.user_id = distinct_features.user_id
            left join rfm on social.user_id = rfm.user_id
            left join item_affinity
                on
                    social.user_id = item_affinity.user_id
                    and social.product_id = item_affinity.product_id
            left join prior_adoptions
                on
                    social.user_id = prior_adoptions.user_id
                    and social.product_id = prior_adoptions.product_id
            left join adoptions
                on
                    social.user_id = adoptions.user_id
                    and social.product_id = adoptions.product_id
                    and adoptions.adopted_at >= snapshot.snapshot_date
            """,
        ),
    ]


def measure_features(raw: Path, settings: dict[str, Any], threads: int | None = None):
    """Runs the steps on an in-memory DuckDB; returns (figures, the feature frame)."""
    import duckdb

    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"set memory_limit = '{os.environ.get('TARGETING_DUCKDB_MEMORY_LIMIT', '6GB')}'")
    if threads:
        con.execute(f"set threads = {threads}")
    steps = {}
    started = time.perf_counter()
    for name, select in feature_sql(raw, settings):
        step_started = time.perf_counter()
        con.execute(f"create temp table {name} as {select}")
        steps[name] = round(time.perf_counter() - step_started, 2)
    seconds = time.perf_counter() - started
    (snapshot_date, as_of) = con.execute("select * from snapshot").fetchone()
    (n_events,) = con.execute("select count(*) from clean_events").fetchone()
    features = con.execute("select * from features").df()
    con.close()
    figures = {
        "feature_seconds": round(seconds, 2),
        "feature_steps_seconds": steps,
        "snapshot_date": str(snapshot_date),
        "as_of": str(as_of),
        "clean_events": n_events,
        "feature_rows": len(features),
        "feature_columns": len(features.columns) - 5,  # less keys, eligibility and label
    }
    return figures, features


def measure_model(features, train_rows: int, seed: int) -> dict[str, Any]:
    """A LightGBM fit on ``train_rows`` eligible rows (drawn with replacement when there
    are fewer), the project's parameters, then predictions on every row."""
    import lightgbm as lgb
    import numpy as np

    from targeting.candidates import DEFAULT_PARAMS, booster_params

    keys = {"user_id", "product_id", "snapshot_date", "is_eligible", "label"}
    frame = features
    eligible = frame[frame["is_eligible"]]
    columns = [column for column in frame.columns if column not in keys]
    matrix = eligible[columns].to_numpy(dtype="float64", na_value=np.nan)
    labels = eligible["label"].to_numpy(dtype="float64")
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(matrix), train_rows, replace=len(matrix) < train_rows)
    params = DEFAULT_PARAMS["lightgbm"]
    n_positive = max(labels[rows].sum(), 1)
    lgb_params = booster_params(params, seed, (train_rows - n_positive) / n_positive)
    rounds = int(params["default_rounds"])
    started = time.perf_counter()
    booster = lgb.train(lgb_params, lgb.Dataset(matrix[rows], labels[rows]), rounds)
    fit_seconds = time.perf_counter() - started
    # at least a million predictions, so the rate is not a few milliseconds' worth
    to_score = np.tile(matrix, (max(1, -(-1_000_000 // len(matrix))), 1))
    started = time.perf_counter()
    booster.predict(to_score)
    predict_seconds = time.perf_counter() - started
    return {
        "train_rows": train_rows,
        "train_positives": int(labels[rows].sum()),
        "model_features": len(columns),
        "fit_rounds": rounds,
        "fit_seconds": round(fit_seconds, 2),
        "predicted_rows": len(to_score),
        "predict_rows_per_second": round(len(to_score) / predict_seconds),
    }


def measure(raw: Path, train_rows: int = 100_000, threads: int | None = None) -> dict[str, Any]:
    """Both floors on the raw folder, in this process: the figures as a dict."""
    settings = project_vars()
    figures, features = measure_features(raw, settings, threads)
    figures["feature_peak_rss_gib"] = round(_peak_rss_gib(), 2)
    figures.update(measure_model(features, train_rows, int(settings["targeting__random_seed"])))
    figures["peak_rss_gib"] = round(_peak_rss_gib(), 2)
    figures["raw"] = str(raw)
    return figures


def measure_in_subprocess(raw: Path, train_rows: int = 100_000) -> dict[str, Any]:
    """``measure`` in a fresh process, so its peak memory is the floor's alone."""
    completed = subprocess.run(
        [sys.executable, __file__, str(raw), "--train-rows", str(train_rows), "--json", "-"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def describe(figures: dict[str, Any]) -> str:
    return (
        f"feature floor: {figures['feature_seconds']:.1f} s for one snapshot"
        f" ({figures['snapshot_date']}, {figures['clean_events']:,} clean events,"
        f" {figures['feature_rows']:,} user x product rows x {figures['feature_columns']}"
        f" features), peak RSS {figures['feature_peak_rss_gib']:.2f} GiB\n"
        f"model floor: LightGBM fit {figures['fit_seconds']:.1f} s"
        f" ({figures['train_rows']:,} rows x {figures['model_features']} features,"
        f" {figures['fit_rounds']} rounds, 1 thread), predict"
        f" {figures['predict_rows_per_second']:,} rows/s; process peak RSS"
        f" {figures['peak_rss_gib']:.2f} GiB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="a folder of the demo's Parquet files")
    parser.add_argument("--train-rows", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (all cores)")
    parser.add_argument("--json", help="also write the figures as JSON to this file (- for stdout)")
    args = parser.parse_args(argv)
    figures = measure(args.raw.resolve(), args.train_rows, args.threads)
    if args.json == "-":
        print(json.dumps(figures))
    else:
        print(describe(figures))
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    raise SystemExit(main())
