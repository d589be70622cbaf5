{{
    config(**incremental_by_day('activity_date'))
}}

-- One row per user and day with any clean event: the compact table every behavioral
-- window is summed from. Sessions count on the day they started; session time on the
-- day it was spent, so a window ending at midnight never sees a second after it.
-- Incremental: a run rebuilds the days from rebuild_from_date on.

{%- set rebuild_from = rebuild_from_date('activity_date') %}

with

events as (

    select * from {{ ref('int_events_sessionized') }}
    {%- if rebuild_from %}
        where event_date >= {{ rebuild_from }}
    {%- endif %}

),

final as (

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
        -- exact types only (integers, decimals): window sums over them are deterministic
        sum(revenue) as revenue,
        cast(coalesce(sum(duration_ms), 0) as bigint) as time_spent_ms,
        cast(sum(session_seconds_added) as bigint) as session_seconds,
        coalesce(sum(scroll_depth_pct) filter (where event_type = 'scroll'), 0) as scroll_depth_pct_sum,
        count(scroll_depth_pct) filter (where event_type = 'scroll') as n_scroll_depths

    from events
    group by user_id, event_date

)

select * from final
