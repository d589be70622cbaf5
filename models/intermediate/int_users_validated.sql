-- Users with the checks that need their whole event history: a bot is a user whose events
-- mostly carry a bot user agent, or who logs more events in one clock hour than a person can.

with

users as (

    select * from {{ ref('stg_app__users') }}

),

events as (

    select
        user_id,
        occurred_at,
        user_agent

    from {{ ref('stg_app__events') }}
    where dq_issue is null

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

user_agent_shares as (

    select
        events.user_id,
        count(*) as n_events,
        count(bot_user_agents.user_agent) / count(*) as bot_user_agent_share

    from events
    left join bot_user_agents
        on events.user_agent = bot_user_agents.user_agent
    group by events.user_id

),

hourly_events as (

    select
        user_id,
        date_trunc('hour', occurred_at) as event_hour,
        count(*) as n_events

    from events
    group by user_id, date_trunc('hour', occurred_at)

),

peak_hours as (

    select
        user_id,
        max(n_events) as max_events_per_hour

    from hourly_events
    group by user_id

),

user_activity as (

    -- Only a valid user row gets the event statistics: a repeated or broken row is not the user.
    select
        users.*,
        coalesce(user_agent_shares.n_events, 0) as n_valid_events,
        coalesce(user_agent_shares.bot_user_agent_share, 0) as bot_user_agent_share,
        coalesce(peak_hours.max_events_per_hour, 0) as max_events_per_hour

    from users
    left join user_agent_shares
        on users.user_id = user_agent_shares.user_id and users.dq_issue is null
    left join peak_hours
        on users.user_id = peak_hours.user_id and users.dq_issue is null

),

bot_flagged as (

    select
        *,
        bot_user_agent_share >= {{ var('targeting__bot_user_agent_share') }}
        or max_events_per_hour > {{ var('targeting__bot_max_events_per_hour') }} as is_bot

    from user_activity

),

final as (

    select
        user_id,
        signup_at,
        email_hash,
        country,
        industry,
        job_title,
        company_size,
        birth_year,
        plan,
        team_id,
        n_valid_events,
        bot_user_agent_share,
        max_events_per_hour,
        is_bot,
        -- The row that stands for the user: valid, bots included. Ids in other tables
        -- that match no such row are unknown users.
        dq_issue is null as is_known_user,
        coalesce(dq_issue, case when is_bot then 'bot_user' end) as dq_issue

    from bot_flagged

)

select * from final
