-- Every raw edge with its final verdict: staging's row checks, then an edge to a user we
-- do not know, or to a bot, is kept out of the social features.

with

connections as (

    select * from {{ ref('stg_app__connections') }}

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
        connections.user_id,
        connections.connected_user_id,
        connections.connected_at,
        coalesce(
            connections.dq_issue,
            case
                when users.user_id is null or connected_users.user_id is null then 'unknown_user'
                when users.is_bot or connected_users.is_bot then 'bot_user'
            end
        ) as dq_issue

    from connections
    left join users
        on connections.user_id = users.user_id
    left join users as connected_users
        on connections.connected_user_id = connected_users.user_id

)

select * from final
