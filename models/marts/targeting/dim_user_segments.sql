-- Every user at the score snapshot (valid, human, signed up before it) with what the
-- warehouse says about them now: behavioral segment, RFM segment, behavioral cluster,
-- and the products they have adopted (valid adoptions before the snapshot).

with

user_snapshots as (

    select * from {{ ref('int_user_snapshots') }}
    where role = 'score'

),

segments as (

    select * from {{ ref('int_users_segmented') }}

),

rfm as (

    select * from {{ ref('int_users_rfm_scored') }}

),

clusters as (

    select * from {{ ml_table('ml_user_clusters') }}

),

adoptions as (

    select * from {{ ref('int_adoptions_validated') }}
    where dq_issue is null

),

products as (

    select * from {{ ref('int_products') }}

),

adopted as (

    select
        user_snapshots.user_id,
        count(*) as n_products_adopted,
        {{ sorted_string_agg('adoptions.product_id', "', '") }} as adopted_products,
        min(adoptions.adopted_at) as first_adopted_at

    from user_snapshots
    inner join adoptions
        on
            user_snapshots.user_id = adoptions.user_id
            and user_snapshots.snapshot_date > adoptions.adopted_at
    inner join products
        on adoptions.product_id = products.product_id
    group by user_snapshots.user_id

),

final as (

    select
        user_snapshots.user_id,
        user_snapshots.snapshot_date,
        user_snapshots.signup_at,
        user_snapshots.tenure_days,
        user_snapshots.team_id is not null as has_team,
        segments.behavioral_segment,
        rfm.rfm_segment,
        rfm.rfm_score,
        clusters.cluster_id,
        clusters.cluster_name,
        coalesce(adopted.n_products_adopted, 0) as n_products_adopted,
        adopted.adopted_products,
        adopted.first_adopted_at

    from user_snapshots
    left join segments
        on
            user_snapshots.user_id = segments.user_id
            and user_snapshots.snapshot_date = segments.snapshot_date
    left join rfm
        on
            user_snapshots.user_id = rfm.user_id
            and user_snapshots.snapshot_date = rfm.snapshot_date
    left join clusters
        on
            user_snapshots.user_id = clusters.user_id
            and user_snapshots.snapshot_date = clusters.snapshot_date
    left join adopted
        on user_snapshots.user_id = adopted.user_id

)

select * from final
