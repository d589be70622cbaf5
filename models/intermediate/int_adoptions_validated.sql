-- Every raw adoption with its final verdict: staging's row checks, then an adoption by a
-- user we do not know, by a bot, or dated before the user signed up is kept out of labels.

with

adoptions as (

    select * from {{ ref('stg_app__adoptions') }}

),

users as (

    select
        user_id,
        signup_at,
        is_bot

    from {{ ref('int_users_validated') }}
    where is_known_user

),

final as (

    select
        adoptions.user_id,
        adoptions.product_id,
        adoptions.adopted_at,
        coalesce(
            adoptions.dq_issue,
            case
                when users.user_id is null then 'unknown_user'
                when users.is_bot then 'bot_user'
                when adoptions.adopted_at < users.signup_at then 'adopted_before_signup'
            end
        ) as dq_issue

    from adoptions
    left join users
        on adoptions.user_id = users.user_id

)

select * from final
