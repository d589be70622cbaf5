-- Each clean event with its session: a gap of targeting__session_gap_minutes or more
-- since the user's previous event starts a new session. Events at the same instant are
-- ordered by event id, so the numbering is the same on every run. An event's session is
-- decided by the events before it only, so later data never changes it.

with

events as (

    select * from {{ ref('int_events_cleaned') }}

),

gaps as (

    select
        *,
        lag(occurred_at) over (
            partition by user_id order by occurred_at, event_id
        ) as previous_occurred_at

    from events

),

session_starts as (

    select
        *,
        previous_occurred_at is null
        or occurred_at
        >= previous_occurred_at + to_minutes({{ var('targeting__session_gap_minutes') }})
            as is_session_start

    from gaps

),

numbered as (

    select
        *,
        sum(cast(is_session_start as integer)) over (
            partition by user_id
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as session_number

    from session_starts

),

final as (

    select
        user_id || '#' || cast(session_number as varchar) as session_id,
        session_number,
        event_id,
        user_id,
        occurred_at,
        event_date,
        event_type,
        item,
        item_kind,
        duration_ms,
        scroll_depth_pct,
        revenue,
        device_type,
        is_session_start,
        -- the session time this event adds: the gap since the previous event of the same
        -- session (0 for a session start), counted on this event's day, so a session past
        -- midnight adds its minutes to each day as they happen
        case
            when is_session_start then 0
            else date_diff('second', previous_occurred_at, occurred_at)
        end as session_seconds_added

    from numbered

)

select * from final
