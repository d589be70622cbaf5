-- One row per user at the score snapshot, the population of dim_user_segments (valid,
-- human, signed up before it): their segments and cluster from there, beside the
-- attributes from the users input (missing categories read `unknown`, as in
-- fct_feature_snapshots) and the products they had adopted as a sorted list. Personal
-- and identifying columns stay out: no email hash, birth year or job title.

with

user_segments as (

    select * from {{ ref('dim_user_segments') }}

),

users as (

    select * from {{ ref('int_users_validated') }}
    where dq_issue is null

),

adoptions as (

    select * from {{ ref('int_adoptions_validated') }}
    where dq_issue is null

),

products as (

    select * from {{ ref('int_products') }}

),

adopted as (

    -- the products of dim_user_segments.n_products_adopted: targeted, adopted before the snapshot
    select
        user_segments.user_id,
        {{ sorted_string_list('adoptions.product_id') }} as adopted_product_ids

    from user_segments
    inner join adoptions
        on
            user_segments.user_id = adoptions.user_id
            and user_segments.snapshot_date > adoptions.adopted_at
    inner join products
        on adoptions.product_id = products.product_id
    group by user_segments.user_id

),

final as (

    select
        user_segments.user_id,
        user_segments.snapshot_date,
        user_segments.signup_at,
        user_segments.tenure_days,
        coalesce(users.country, 'unknown') as country,
        coalesce(users.industry, 'unknown') as industry,
        coalesce(users.company_size, 'unknown') as company_size,
        coalesce(users.plan, 'unknown') as plan,
        users.team_id,
        user_segments.has_team,
        user_segments.behavioral_segment,
        user_segments.rfm_segment,
        user_segments.rfm_score,
        user_segments.cluster_id,
        user_segments.cluster_name,
        user_segments.n_products_adopted,
        coalesce(adopted.adopted_product_ids, {{ empty_string_list() }}) as adopted_product_ids,
        user_segments.first_adopted_at

    from user_segments
    inner join users
        on user_segments.user_id = users.user_id
    left join adopted
        on user_segments.user_id = adopted.user_id

)

select * from final
