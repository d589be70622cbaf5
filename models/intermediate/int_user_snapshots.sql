-- The population at each snapshot: every valid human user who signed up before it.

with

users as (

    select * from {{ ref('int_users_validated') }}
    where dq_issue is null

),

snapshots as (

    select * from {{ ref('int_snapshots') }}

),

final as (

    select
        users.user_id,
        snapshots.snapshot_date,
        snapshots.role,
        users.signup_at,
        users.team_id,
        {{ days_between('users.signup_at', 'snapshots.snapshot_date') }} as tenure_days

    from users
    inner join snapshots
        on users.signup_at < snapshots.snapshot_date

)

select * from final
