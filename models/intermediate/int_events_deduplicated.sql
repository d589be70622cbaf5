{{
    config(**incremental_by_day('partition_date'))
}}

-- Every raw event with the verdict of its own row and of its event id: staging's row
-- checks, then repeats of an id (the first valid row, by time, is the event; the others
-- are duplicate_event_id). Built incrementally: a run rechecks the events from the day
-- rebuild_from_date gives (late events of the last targeting__late_event_days days
-- included) and rows without a usable time; an id seen before that day stays taken.
-- Users' verdicts (bots, unknown users) are not applied here, since they can change with
-- later events: int_events_validated adds them.

{%- set rebuild_from = rebuild_from_date('partition_date', "dq_issue is null") %}
{%- set no_time_partition = "date '0001-01-01'" %}

with

events as (

    select * from {{ ref('stg_app__events') }}
    {%- if rebuild_from %}
        where occurred_at >= {{ rebuild_from }} or occurred_at is null
    {%- endif %}

),

{%- if rebuild_from %}

taken_ids as (

    -- ids whose event is already known from before the rebuilt days
    select distinct event_id
    from {{ this }}
    where
        partition_date < {{ rebuild_from }}
        and partition_date > {{ no_time_partition }}
        and dq_issue is null
        and event_id in (select events.event_id from events)

),

{%- endif %}

repeated_ids as (

    -- most ids occur once: find the repeated ones with a hash aggregate, and rank only
    -- their rows (a window over every event would sort them all)
    select event_id
    from events
    where event_id is not null
    group by event_id
    having count(*) > 1

),

ranked as (

    select
        events.*,
        1 as event_row_number

    from events
    anti join repeated_ids
        on events.event_id = repeated_ids.event_id

    union all

    select
        events.*,
        row_number() over (
            partition by events.event_id
            order by
                events.dq_issue is not null, events.occurred_at, events.user_id,
                events.event_type, events.item, events.duration_ms, events.scroll_depth_pct,
                events.revenue, events.device_type, events.user_agent
        ) as event_row_number

    from events
    semi join repeated_ids
        on events.event_id = repeated_ids.event_id

),

final as (

    select
        -- rows without a usable time are all rechecked on every run, in their own partition
        coalesce(cast(ranked.occurred_at as date), {{ no_time_partition }}) as partition_date,
        ranked.event_id,
        ranked.user_id,
        ranked.occurred_at,
        ranked.event_type,
        ranked.item,
        ranked.duration_ms,
        ranked.scroll_depth_pct,
        ranked.revenue,
        ranked.device_type,
        ranked.user_agent,
        coalesce(
            ranked.dq_issue,
            case
                when ranked.event_row_number > 1 then 'duplicate_event_id'
                {%- if rebuild_from %}
                    when ranked.event_id in (select taken_ids.event_id from taken_ids) then 'duplicate_event_id'
                {%- endif %}
            end
        ) as dq_issue,
        {{ built_at() }} as built_at

    from ranked

)

select * from final
