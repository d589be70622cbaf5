{{ config(materialized='view') }}

-- The events the features read: every event whose row and id passed their checks
-- (int_events_deduplicated where dq_issue is null). Events of bots and of unknown users
-- are still here: those users are left out where users are joined (int_user_snapshots),
-- since a user's verdict can change with later events while the incremental tables built
-- from these rows must not.

with

events as (

    select * from {{ ref('int_events_deduplicated') }}
    where dq_issue is null

),

final as (

    select
        event_id,
        user_id,
        occurred_at,
        partition_date as event_date,
        event_type,
        item,
        -- The items adopter affinity compares: features used, pages seen.
        case
            when event_type = 'feature_use' then 'feature'
            when event_type in ('page_view', 'click', 'scroll') then 'page'
        end as item_kind,
        duration_ms,
        -- Decimals, not doubles: sums of them are exact, so every feature summed from them
        -- is the same bit for bit whatever order the threads add the rows in.
        try_cast(scroll_depth_pct as decimal(18, 6)) as scroll_depth_pct,
        coalesce(try_cast(revenue as decimal(18, 4)), 0) as revenue,
        device_type

    from events

)

select * from final
