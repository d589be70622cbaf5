-- One row per session. A session belongs to the day it started, even when it runs past
-- midnight.

with

events as (

    select * from {{ ref('int_events_sessionized') }}

),

final as (

    select
        session_id,
        user_id,
        session_number,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        cast(min(occurred_at) as date) as session_date,
        date_diff('second', min(occurred_at), max(occurred_at)) as duration_seconds,
        count(*) as n_events,
        count(*) filter (where event_type = 'page_view') as n_page_views,
        count(distinct item) as n_distinct_items,
        coalesce(sum(duration_ms), 0) / 60000.0 as time_spent_minutes,
        max(scroll_depth_pct) as max_scroll_depth_pct,
        -- the device of the session's first event
        first(device_type order by occurred_at, event_id) as device_type

    from events
    group by session_id, user_id, session_number

)

select * from final
