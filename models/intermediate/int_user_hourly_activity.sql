{{
    config(**incremental_by_day('activity_date'))
}}

-- One row per user and clock hour with any event that passed its row checks: the events,
-- and those from a user agent that matches seeds/bot_user_agent_patterns.csv. What bot
-- detection (int_users_validated) reads, so it never rescans the events. Incremental,
-- like int_events_deduplicated.

{%- set rebuild_from = rebuild_from_date('activity_date') %}

with

events as (

    select * from {{ ref('int_events_deduplicated') }}
    where
        dq_issue is null
        and {{ "occurred_at >= " ~ rebuild_from if rebuild_from else "true" }}

),

bot_user_agent_patterns as (

    select lower(pattern) as pattern from {{ ref('bot_user_agent_patterns') }}

),

bot_user_agents as (

    -- Match the few distinct agents against the patterns, not every event.
    select distinct agents.user_agent

    from (
        select distinct user_agent
        from events
        where user_agent is not null
    ) as agents
    inner join bot_user_agent_patterns
        on contains(lower(agents.user_agent), bot_user_agent_patterns.pattern)

),

final as (

    select
        events.user_id,
        cast(events.occurred_at as date) as activity_date,
        date_trunc('hour', events.occurred_at) as activity_hour,
        count(*) as n_events,
        count(bot_user_agents.user_agent) as n_bot_agent_events

    from events
    left join bot_user_agents
        on events.user_agent = bot_user_agents.user_agent
    group by events.user_id, cast(events.occurred_at as date), date_trunc('hour', events.occurred_at)

)

select * from final
