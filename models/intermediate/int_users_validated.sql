-- Users with the checks that need their whole event history: a bot is a user whose events
-- mostly carry a bot user agent, or who logs more events in one clock hour than a person can.

with

users as (

    select * from {{ ref('stg_app__users') }}

),

hourly_activity as (

    select * from {{ ref('int_user_hourly_activity') }}

),

event_statistics as (

    select
        user_id,
        sum(n_events) as n_events,
        sum(n_bot_agent_events) / sum(n_events) as bot_user_agent_share,
        max(n_events) as max_events_per_hour

    from hourly_activity
    group by user_id

),

user_activity as (

    -- Only a valid user row gets the event statistics: a repeated or broken row is not the user.
    select
        users.*,
        cast(coalesce(event_statistics.n_events, 0) as bigint) as n_valid_events,
        coalesce(event_statistics.bot_user_agent_share, 0) as bot_user_agent_share,
        cast(coalesce(event_statistics.max_events_per_hour, 0) as bigint) as max_events_per_hour

    from users
    left join event_statistics
        on users.user_id = event_statistics.user_id and users.dq_issue is null

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
