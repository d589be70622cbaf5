-- depends_on: {{ ref('int_user_snapshots') }}
{{ config(**snapshot_incremental('int_user_snapshots')) }}
{%- set build_dates = snapshot_dates_to_build(ref('int_user_snapshots')) %}
-- A rule-based behavioral segment per user and snapshot, the first that fits:
-- new (signed up fewer than targeting__new_user_days before), dormant (no event in 30
-- days), converter (a purchase in 90 days), engaged (events in 30 days at or above the
-- targeting__engaged_percentile of active users at the same snapshot), else browser.

with

behavior as (

    select * from {{ ref('int_users_behavior_windowed') }}
    where {{ snapshot_filter('snapshot_date', build_dates) }}

),

thresholds as (

    select
        snapshot_date,
        percentile_cont({{ var('targeting__engaged_percentile') }})
        within group (order by events_30d) as engaged_min_events_30d

    from behavior
    where events_30d > 0
    group by snapshot_date

),

final as (

    select
        behavior.user_id,
        behavior.snapshot_date,
        thresholds.engaged_min_events_30d,
        case
            when behavior.tenure_days < {{ var('targeting__new_user_days') }} then 'new'
            when behavior.events_30d = 0 then 'dormant'
            when behavior.purchases_90d > 0 then 'converter'
            when behavior.events_30d >= thresholds.engaged_min_events_30d then 'engaged'
            else 'browser'
        end as behavioral_segment,
        '{{ feature_version() }}' as feature_version

    from behavior
    left join thresholds
        on behavior.snapshot_date = thresholds.snapshot_date

)

select * from final
{{ snapshot_row_order() }}
