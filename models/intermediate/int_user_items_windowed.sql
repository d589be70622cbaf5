{{ config(**snapshot_incremental('int_user_snapshots')) }}
{%- set build_dates = snapshot_dates_to_build(ref('int_user_snapshots')) %}
-- One row per user, snapshot and item (a feature used or a page seen) with its uses in
-- the 30 and 90 days before the snapshot: the user x item matrix that adopter item
-- affinity and the models' latent factors are computed from.

with

user_snapshots as (

    select * from {{ ref('int_user_snapshots') }}
    where {{ snapshot_filter('snapshot_date', build_dates) }}

),

item_activity as (

    select * from {{ ref('int_user_item_daily_activity') }}
    where {{ snapshot_window_filter('activity_date', build_dates, 90) }}

),

final as (

    select
        user_snapshots.user_id,
        user_snapshots.snapshot_date,
        item_activity.item_kind,
        item_activity.item,
        cast(coalesce(sum(item_activity.n_uses) filter (
            where item_activity.activity_date >= user_snapshots.snapshot_date - 30
        ), 0) as bigint) as uses_30d,
        cast(sum(item_activity.n_uses) as bigint) as uses_90d,
        '{{ feature_version() }}' as feature_version,
        {{ built_at() }} as built_at

    from user_snapshots
    inner join item_activity
        on
            user_snapshots.user_id = item_activity.user_id
            and item_activity.activity_date >= user_snapshots.snapshot_date - 90
            and user_snapshots.snapshot_date > item_activity.activity_date
    group by
        user_snapshots.user_id,
        user_snapshots.snapshot_date,
        item_activity.item_kind,
        item_activity.item

)

select * from final
{{ snapshot_row_order() }}
