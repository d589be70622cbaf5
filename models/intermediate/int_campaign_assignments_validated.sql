-- Every raw campaign assignment with its final verdict: staging's row checks, then an
-- assignment of a user we do not know, or of a bot, is kept out of campaign results.

with

assignments as (

    select * from {{ ref('stg_app__campaign_assignments') }}

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
        assignments.campaign_id,
        assignments.user_id,
        assignments.product_id,
        assignments.assigned_at,
        assignments.arm,
        coalesce(
            assignments.dq_issue,
            case
                when users.user_id is null then 'unknown_user'
                when users.is_bot then 'bot_user'
            end
        ) as dq_issue

    from assignments
    left join users
        on assignments.user_id = users.user_id

)

select * from final
