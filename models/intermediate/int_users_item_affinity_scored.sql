{{ config(**snapshot_incremental('int_user_snapshots', 'int_products')) }}
{%- set build_dates = snapshot_dates_to_build(ref('int_user_snapshots'), ref('int_products')) %}
-- Adopter item affinity, the item-based collaborative-filtering signal: "uses the product
-- the way adopters did". Per product and snapshot, an item's (feature's or page's) lift is
-- how much more often the product's adopters used it than all active users did, over the
-- 90 days before the snapshot, shrunk towards 1 by targeting__affinity_smoothing pseudo-
-- adopters. A user's score is their usage-weighted mean log lift over the same window;
-- their adopter-like uses are their uses of the items adopters favour, each weighted by
-- its log lift (items adopters use less than everyone count 0). Only adoptions and events
-- before the snapshot count.

{%- set smoothing = var('targeting__affinity_smoothing') %}

with

user_snapshots as (

    select * from {{ ref('int_user_snapshots') }}
    where {{ snapshot_filter('snapshot_date', build_dates) }}

),

products as (

    select * from {{ ref('int_products') }}

),

adoptions as (

    select * from {{ ref('int_adoptions_validated') }}
    where dq_issue is null

),

item_usage as (

    select * from {{ ref('int_user_items_windowed') }}
    where {{ snapshot_filter('snapshot_date', build_dates) }}

),

active_users as (

    select
        snapshot_date,
        count(distinct user_id) as n_active_users

    from item_usage
    group by snapshot_date

),

item_users as (

    select
        snapshot_date,
        item_kind,
        item,
        count(*) as n_users

    from item_usage
    group by snapshot_date, item_kind, item

),

active_adopters as (

    -- users active in the window who had adopted the product before the snapshot
    select distinct
        adoptions.product_id,
        item_usage.snapshot_date,
        item_usage.user_id

    from item_usage
    inner join adoptions
        on
            item_usage.user_id = adoptions.user_id
            and item_usage.snapshot_date > adoptions.adopted_at
    inner join products
        on adoptions.product_id = products.product_id

),

adopter_counts as (

    select
        product_id,
        snapshot_date,
        count(*) as n_adopters

    from active_adopters
    group by all

),

adopter_item_users as (

    select
        active_adopters.product_id,
        active_adopters.snapshot_date,
        item_usage.item_kind,
        item_usage.item,
        count(*) as n_adopters_using

    from active_adopters
    inner join item_usage
        on
            active_adopters.user_id = item_usage.user_id
            and active_adopters.snapshot_date = item_usage.snapshot_date
    group by all

),

item_lifts as (

    -- smoothed lift = ((adopters using + m * p) / (adopters + m)) / p, p = share of all
    -- active users using the item; 1 when no adopter was active
    select
        products.product_id,
        item_users.snapshot_date,
        item_users.item_kind,
        item_users.item,
        item_users.n_users / active_users.n_active_users as item_user_share,
        (
            (
                coalesce(adopter_item_users.n_adopters_using, 0)
                + {{ smoothing }} * item_users.n_users / active_users.n_active_users
            )
            / (coalesce(adopter_counts.n_adopters, 0) + {{ smoothing }})
        )
        / (item_users.n_users / active_users.n_active_users) as item_lift

    from item_users
    inner join active_users
        on item_users.snapshot_date = active_users.snapshot_date
    cross join products
    left join adopter_counts
        on
            products.product_id = adopter_counts.product_id
            and item_users.snapshot_date = adopter_counts.snapshot_date
    left join adopter_item_users
        on
            products.product_id = adopter_item_users.product_id
            and item_users.snapshot_date = adopter_item_users.snapshot_date
            and item_users.item_kind = adopter_item_users.item_kind
            and item_users.item = adopter_item_users.item

),

user_affinity as (

    select
        item_usage.user_id,
        item_lifts.product_id,
        item_usage.snapshot_date,
        -- each term rounded to a decimal, so the sums are exact whatever the order of rows
        cast(sum(cast(item_usage.uses_90d * ln(item_lifts.item_lift) as decimal(38, 12))) as double)
        / sum(item_usage.uses_90d) as item_affinity_score,
        cast(
            sum(cast(item_usage.uses_30d * greatest(ln(item_lifts.item_lift), 0) as decimal(38, 12)))
            as double
        ) as adopter_like_uses_30d,
        cast(
            sum(cast(item_usage.uses_90d * greatest(ln(item_lifts.item_lift), 0) as decimal(38, 12)))
            as double
        ) as adopter_like_uses_90d

    from item_usage
    inner join item_lifts
        on
            item_usage.snapshot_date = item_lifts.snapshot_date
            and item_usage.item_kind = item_lifts.item_kind
            and item_usage.item = item_lifts.item
    group by item_usage.user_id, item_lifts.product_id, item_usage.snapshot_date

),

final as (

    select
        user_snapshots.user_id,
        products.product_id,
        user_snapshots.snapshot_date,
        -- no item used in the window: no evidence either way
        coalesce(user_affinity.item_affinity_score, 0) as item_affinity_score,
        coalesce(user_affinity.adopter_like_uses_30d, 0) as adopter_like_uses_30d,
        coalesce(user_affinity.adopter_like_uses_90d, 0) as adopter_like_uses_90d,
        '{{ feature_version() }}' as feature_version

    from user_snapshots
    cross join products
    left join user_affinity
        on
            user_snapshots.user_id = user_affinity.user_id
            and products.product_id = user_affinity.product_id
            and user_snapshots.snapshot_date = user_affinity.snapshot_date

)

select * from final
{{ snapshot_row_order() }}
