-- The events the features read: valid rows of human users only (bots and every row with
-- a dq_issue stay in int_events_validated and fct_data_quality).

with

validated_events as (

    select * from {{ ref('int_events_validated') }}

),

final as (

    select
        event_id,
        user_id,
        occurred_at,
        cast(occurred_at as date) as event_date,
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

    from validated_events
    where dq_issue is null

)

select * from final
