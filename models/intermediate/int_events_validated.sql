{{ config(materialized='view') }}

-- Every raw event with its final verdict: its own row's and its id's
-- (int_events_deduplicated), then the checks that need the users table (an event of
-- nobody we know, an event of a bot). Clean rows have a null dq_issue. A view: the
-- users' verdicts change with new events, so they are applied when read.

with

events as (

    select * from {{ ref('int_events_deduplicated') }}

),

users as (

    select
        user_id,
        is_bot

    from {{ ref('int_users_validated') }}
    where is_known_user

),

final as (

    select
        events.event_id,
        events.user_id,
        events.occurred_at,
        events.event_type,
        events.item,
        events.duration_ms,
        events.scroll_depth_pct,
        events.revenue,
        events.device_type,
        events.user_agent,
        coalesce(
            events.dq_issue,
            case
                when users.user_id is null then 'unknown_user'
                when users.is_bot then 'bot_user'
            end
        ) as dq_issue

    from events
    left join users
        on events.user_id = users.user_id

)

select * from final
