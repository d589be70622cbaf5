-- Who to target next: per product, every eligible user at the score snapshot, ranked by
-- the champion model's score (ties by user_id), with the calibrated probability, the
-- running count of adopters to expect down the list, the user's segments and cluster,
-- and the reasons. `is_holdout` marks a deterministic, hash-based control group of
-- targeting__holdout_share of the users: leave them out of the campaign and compare, to
-- measure its incremental lift. They stay in the ranking, so both groups span it evenly;
-- `targetable_rank` and `targetable_cumulative_expected_adopters` count only the users
-- you may contact (holdout left out): "the first 1,000" of a campaign.

{%- set holdout_buckets = 10000 %}

with

scores as (

    select * from {{ ml_table('ml_propensity_scores') }}
    where role = 'score'

),

models as (

    select * from {{ ml_table('ml_propensity_models') }}
    where is_champion

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

champion_scores as (

    select
        scores.*,
        models.is_cold_start

    from scores
    inner join models
        on
            scores.product_id = models.product_id
            and scores.model_name = models.model_name

),

ranked as (

    select
        *,
        row_number() over by_score as target_rank,
        ntile(10) over by_score as decile,
        -- exact decimal running sum: the same bits whatever the threads
        cast(
            sum(cast(coalesce(probability, 0) as decimal(38, 18))) over (
                partition by product_id
                order by score desc, user_id asc
                rows between unbounded preceding and current row
            ) as double
        ) as cumulative_expected_adopters,
        {{ hash_bucket("product_id || ':' || user_id", holdout_buckets) }}
        < {{ var('targeting__holdout_share') }} * {{ holdout_buckets }} as is_holdout

    from champion_scores
    window by_score as (partition by product_id order by score desc, user_id asc)

),

-- the same ranking over the users a campaign may contact: the holdout left out
targetable as (

    select
        product_id,
        user_id,
        row_number() over by_score as targetable_rank,
        cast(
            sum(cast(coalesce(probability, 0) as decimal(38, 18))) over (
                partition by product_id
                order by score desc, user_id asc
                rows between unbounded preceding and current row
            ) as double
        ) as targetable_cumulative_expected_adopters

    from ranked
    where not is_holdout
    window by_score as (partition by product_id order by score desc, user_id asc)

),

final as (

    select
        ranked.product_id,
        ranked.user_id,
        cast(ranked.target_rank as bigint) as rank,
        ranked.score,
        ranked.probability,
        cast(ranked.decile as integer) as decile,
        case when ranked.probability is not null then ranked.cumulative_expected_adopters end
            as cumulative_expected_adopters,
        ranked.is_holdout,
        cast(targetable.targetable_rank as bigint) as targetable_rank,
        case
            when ranked.probability is not null
                then targetable.targetable_cumulative_expected_adopters
        end as targetable_cumulative_expected_adopters,
        ranked.model_name,
        ranked.is_cold_start,
        ranked.snapshot_date,
        segments.behavioral_segment,
        rfm.rfm_segment,
        clusters.cluster_id,
        clusters.cluster_name,
        ranked.reason_1,
        ranked.reason_2,
        ranked.reason_3

    from ranked
    left join targetable
        on
            ranked.product_id = targetable.product_id
            and ranked.user_id = targetable.user_id
    left join segments
        on
            ranked.user_id = segments.user_id
            and ranked.snapshot_date = segments.snapshot_date
    left join rfm
        on
            ranked.user_id = rfm.user_id
            and ranked.snapshot_date = rfm.snapshot_date
    left join clusters
        on
            ranked.user_id = clusters.user_id
            and ranked.snapshot_date = clusters.snapshot_date

)

select * from final
