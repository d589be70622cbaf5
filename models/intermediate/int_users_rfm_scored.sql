{{ config(**snapshot_incremental('int_user_snapshots')) }}
{%- set build_dates = snapshot_dates_to_build(ref('int_user_snapshots')) %}
-- RFM per user and snapshot, from purchases before the snapshot: recency (days since the
-- last purchase), frequency (purchases) and monetary value (revenue). Scores 1..5 (5 best)
-- are quintiles among the users who had purchased by then, by percent rank, so tied
-- values always share a score; a user who never purchased scores 0.

with

user_snapshots as (

    select * from {{ ref('int_user_snapshots') }}
    where {{ snapshot_filter('snapshot_date', build_dates) }}

),

daily_activity as (

    select * from {{ ref('int_user_daily_activity') }}
    where n_purchases > 0

),

purchases as (

    select
        user_snapshots.user_id,
        user_snapshots.snapshot_date,
        max(daily_activity.activity_date) as last_purchase_date,
        cast(coalesce(sum(daily_activity.n_purchases), 0) as bigint) as purchase_frequency,
        -- an exact decimal sum, a double only once summed
        cast(coalesce(sum(daily_activity.revenue), 0) as double) as monetary_value

    from user_snapshots
    left join daily_activity
        on
            user_snapshots.user_id = daily_activity.user_id
            and user_snapshots.snapshot_date > daily_activity.activity_date
    group by user_snapshots.user_id, user_snapshots.snapshot_date

),

ranked as (

    select
        purchases.*,
        {{ days_between('purchases.last_purchase_date', 'purchases.snapshot_date') }} as recency_days,
        percent_rank() over (
            partition by purchases.snapshot_date, purchases.purchase_frequency > 0
            order by purchases.last_purchase_date
        ) as recency_rank,
        percent_rank() over (
            partition by purchases.snapshot_date, purchases.purchase_frequency > 0
            order by purchases.purchase_frequency
        ) as frequency_rank,
        percent_rank() over (
            partition by purchases.snapshot_date, purchases.purchase_frequency > 0
            order by purchases.monetary_value
        ) as monetary_rank

    from purchases

),

scored as (

    select
        user_id,
        snapshot_date,
        recency_days,
        purchase_frequency,
        monetary_value,
        -- quintile = 1 + floor(5 x percent rank), capped at 5; 0 without purchases
        case
            when purchase_frequency > 0 then cast(least(5, 1 + floor(5 * recency_rank)) as integer)
            else 0
        end as recency_score,
        case
            when purchase_frequency > 0 then cast(least(5, 1 + floor(5 * frequency_rank)) as integer)
            else 0
        end as frequency_score,
        case
            when purchase_frequency > 0 then cast(least(5, 1 + floor(5 * monetary_rank)) as integer)
            else 0
        end as monetary_score

    from ranked

),

final as (

    select
        scored.*,
        scored.recency_score * 100 + scored.frequency_score * 10 + scored.monetary_score as rfm_score,
        case
            -- new as the behavioral segment's new (recently signed up), without a purchase yet
            when scored.purchase_frequency = 0 and user_snapshots.tenure_days < {{ var('targeting__new_user_days') }}
                then 'new_no_purchases'
            when scored.purchase_frequency = 0 then 'no_purchases'
            when scored.recency_score >= 4 and scored.frequency_score >= 4 and scored.monetary_score >= 4
                then 'champions'
            when scored.recency_score >= 3 and scored.frequency_score >= 4 then 'loyal'
            when scored.recency_score >= 4 and scored.frequency_score <= 2 then 'promising'
            when scored.recency_score <= 2 and scored.frequency_score >= 3 then 'at_risk'
            when scored.recency_score <= 2 then 'hibernating'
            else 'needs_attention'
        end as rfm_segment,
        '{{ feature_version() }}' as feature_version

    from scored
    inner join user_snapshots
        on
            scored.user_id = user_snapshots.user_id
            and scored.snapshot_date = user_snapshots.snapshot_date

)

select * from final
{{ snapshot_row_order() }}
