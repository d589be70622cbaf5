{{
    config(**incremental_by_day('event_date'))
}}

-- Each clean event with its session: a gap of targeting__session_gap_minutes or more
-- since the user's previous event starts a new session, named by the user and the time it
-- started. Events at the same instant are ordered by event id. An event's session is
-- decided by the events before it only, so later data never changes it. Incremental: a
-- run sessionizes the rebuilt days (rebuild_from_date); a session that was open at their
-- start, its last event within the gap, carries on from the table itself.

{%- set rebuild_from = rebuild_from_date('event_date') %}
{%- set gap = minutes_interval(var('targeting__session_gap_minutes')) %}

with

events as (

    select * from {{ ref('int_events_cleaned') }}
    {%- if rebuild_from %}
        where occurred_at >= {{ rebuild_from }}
    {%- endif %}

),

carried_sessions as (

    -- per user, the last event before the rebuilt days, when recent enough to go on
    {%- if rebuild_from %}
        select
            user_id,
            max(occurred_at) as occurred_at,
            max_by(session_started_at, occurred_at) as session_started_at

        from {{ this }}
        where occurred_at >= {{ rebuild_from }} - {{ gap }} and occurred_at < {{ rebuild_from }}
        group by user_id
    {%- else %}
        select
            cast(null as string) as user_id,
            cast(null as timestamp) as occurred_at,
            cast(null as timestamp) as session_started_at
        where false
    {%- endif %}

),

gaps as (

    select
        events.*,
        coalesce(
            lag(events.occurred_at) over by_time,
            carried_sessions.occurred_at
        ) as previous_occurred_at,
        carried_sessions.session_started_at as carried_session_started_at

    from events
    left join carried_sessions
        on events.user_id = carried_sessions.user_id
    window by_time as (partition by events.user_id order by events.occurred_at, events.event_id)

),

session_starts as (

    select
        *,
        previous_occurred_at is null
        or occurred_at >= previous_occurred_at + {{ gap }} as is_session_start

    from gaps

),

sessions_started as (

    select
        *,
        coalesce(
            max(case when is_session_start then occurred_at end) over (
                partition by user_id
                order by occurred_at, event_id
                rows between unbounded preceding and current row
            ),
            carried_session_started_at
        ) as session_started_at

    from session_starts

),

final as (

    select
        user_id || '@' || {{ timestamp_text('session_started_at') }} as session_id,
        session_started_at,
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
            else {{ seconds_between('previous_occurred_at', 'occurred_at') }}
        end as session_seconds_added,
        {{ built_at() }} as built_at

    from sessions_started

)

select * from final
