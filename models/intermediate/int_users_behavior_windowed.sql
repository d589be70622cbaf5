{{ config(**snapshot_incremental('int_user_snapshots')) }}
{%- set build_dates = snapshot_dates_to_build(ref('int_user_snapshots')) %}
-- Behavioral features per user and snapshot, over the 7, 30 and 90 days before it. A
-- window is [snapshot - N days, snapshot): the snapshot day itself is the future.
-- Windows sum exact daily quantities (counts, milliseconds, seconds, decimals) and turn
-- them into minutes and averages only at the end, so the result is the same bit for bit
-- on every run.

{%- set windows = [7, 30, 90] %}
{%- set window_counts = [
    ('sessions', 'daily_activity.n_sessions'),
    ('active_days', 'case when daily_activity.n_events > 0 then 1 else 0 end'),
    ('events', 'daily_activity.n_events'),
    ('page_views', 'daily_activity.n_page_views'),
    ('clicks', 'daily_activity.n_clicks'),
    ('searches', 'daily_activity.n_searches'),
    ('logins', 'daily_activity.n_logins'),
    ('feature_uses', 'daily_activity.n_feature_uses'),
    ('scrolls', 'daily_activity.n_scrolls'),
    ('purchases', 'daily_activity.n_purchases'),
] %}
{%- set window_sums = window_counts + [
    ('time_spent_ms', 'daily_activity.time_spent_ms'),
    ('session_seconds', 'daily_activity.session_seconds'),
    ('scroll_depth_pct_sum', 'daily_activity.scroll_depth_pct_sum'),
    ('n_scroll_depths', 'daily_activity.n_scroll_depths'),
] %}

with

user_snapshots as (

    select * from {{ ref('int_user_snapshots') }}
    where {{ snapshot_filter('snapshot_date', build_dates) }}

),

daily_activity as (

    select * from {{ ref('int_user_daily_activity') }}

),

windowed_daily_activity as (

    -- the days the 90-day windows read (last_activity reads every day)
    select * from daily_activity
    where {{ snapshot_window_filter('activity_date', build_dates, 90) }}

),

item_activity as (

    select * from {{ ref('int_user_item_daily_activity') }}
    where
        item_kind = 'feature'
        and {{ snapshot_window_filter('activity_date', build_dates, 90) }}

),

windowed_activity as (

    select
        user_snapshots.user_id,
        user_snapshots.snapshot_date,
        {%- for window in windows %}
            {%- for name, expression in window_sums %}
                coalesce(sum({{ expression }}) filter (
                    where daily_activity.activity_date >= user_snapshots.snapshot_date - {{ window }}
                ), 0) as {{ name }}_{{ window }}d,
            {%- endfor %}
        {%- endfor %}
        coalesce(sum(daily_activity.n_events) filter (
            where daily_activity.activity_date < user_snapshots.snapshot_date - 30
            and daily_activity.activity_date >= user_snapshots.snapshot_date - 60
        ), 0) as events_prior_30d

    from user_snapshots
    left join windowed_daily_activity as daily_activity
        on
            user_snapshots.user_id = daily_activity.user_id
            and daily_activity.activity_date >= user_snapshots.snapshot_date - 90
            and user_snapshots.snapshot_date > daily_activity.activity_date
    group by user_snapshots.user_id, user_snapshots.snapshot_date

),

windowed_features as (

    select
        user_snapshots.user_id,
        user_snapshots.snapshot_date,
        count(distinct item_activity.item) filter (
            where item_activity.activity_date >= user_snapshots.snapshot_date - 30
        ) as distinct_features_30d,
        count(distinct item_activity.item) as distinct_features_90d

    from user_snapshots
    left join item_activity
        on
            user_snapshots.user_id = item_activity.user_id
            and item_activity.activity_date >= user_snapshots.snapshot_date - 90
            and user_snapshots.snapshot_date > item_activity.activity_date
    group by user_snapshots.user_id, user_snapshots.snapshot_date

),

activity_and_snapshot_days as (

    -- a user's active days and snapshot dates on one time line; on the same day the
    -- snapshot comes first, since that day's activity is not before the snapshot
    select
        user_id,
        activity_date as time_line_date,
        1 as day_order,
        activity_date
    from daily_activity

    union all

    select
        user_id,
        snapshot_date as time_line_date,
        0 as day_order,
        cast(null as date) as activity_date
    from user_snapshots

),

last_activity as (

    -- The latest active day before the snapshot, however long ago: the latest activity
    -- date up to the snapshot's place on the time line (one sort per user, where a join
    -- would pair every snapshot with every earlier day).
    select
        user_id,
        time_line_date as snapshot_date,
        last_activity_date

    from (
        select
            user_id,
            time_line_date,
            day_order,
            max(activity_date) over (
                partition by user_id
                order by time_line_date, day_order
                rows between unbounded preceding and current row
            ) as last_activity_date
        from activity_and_snapshot_days
    ) as time_line
    where day_order = 0

),

final as (

    select
        user_snapshots.user_id,
        user_snapshots.snapshot_date,
        user_snapshots.tenure_days,
        {%- for window in windows %}
            {%- for name, _ in window_counts %}
                cast(windowed_activity.{{ name }}_{{ window }}d as bigint) as {{ name }}_{{ window }}d,
            {%- endfor %}
            windowed_activity.time_spent_ms_{{ window }}d / cast(60000 as double) as time_spent_minutes_{{ window }}d,
            coalesce(
                windowed_activity.session_seconds_{{ window }}d / cast(60 as double)
                / nullif(windowed_activity.sessions_{{ window }}d, 0),
                0
            ) as avg_session_minutes_{{ window }}d,
            cast(windowed_activity.scroll_depth_pct_sum_{{ window }}d as double)
            / nullif(windowed_activity.n_scroll_depths_{{ window }}d, 0) as avg_scroll_depth_pct_{{ window }}d,
        {%- endfor %}
        windowed_features.distinct_features_30d,
        windowed_features.distinct_features_90d,
        cast(windowed_activity.events_prior_30d as bigint) as events_prior_30d,
        -- log ratio of the last 30 days to the 30 before: 0 = flat, > 0 = rising
        ln((windowed_activity.events_30d + 1) / (windowed_activity.events_prior_30d + 1)) as events_trend_30d,
        {{ days_between('last_activity.last_activity_date', 'user_snapshots.snapshot_date') }}
            as days_since_last_activity,
        '{{ feature_version() }}' as feature_version

    from user_snapshots
    inner join windowed_activity
        on
            user_snapshots.user_id = windowed_activity.user_id
            and user_snapshots.snapshot_date = windowed_activity.snapshot_date
    inner join windowed_features
        on
            user_snapshots.user_id = windowed_features.user_id
            and user_snapshots.snapshot_date = windowed_features.snapshot_date
    inner join last_activity
        on
            user_snapshots.user_id = last_activity.user_id
            and user_snapshots.snapshot_date = last_activity.snapshot_date

)

select * from final
{{ snapshot_row_order() }}
