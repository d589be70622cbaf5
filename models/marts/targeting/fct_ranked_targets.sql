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

champion_scores as (

    select
        scores.*,
        models.is_cold_start,
        {{ hash_bucket("scores.product_id || ':' || scores.user_id", holdout_buckets) }}
        < {{ var('targeting__holdout_share') }} * {{ holdout_buckets }} as is_holdout

    from scores
    inner join models
        on
            scores.product_id = models.product_id
            and scores.model_name = models.model_name

),

score_snapshot as (

    select snapshot_date from {{ ref('int_snapshots') }}
    where role = 'score'

),

-- the users' segments at the score snapshot only (the tables hold every snapshot, stored
-- snapshot by snapshot: the others' row groups are not read)
segments as (

    select * from {{ ref('int_users_segmented') }}
    where snapshot_date in (select score_snapshot.snapshot_date from score_snapshot)

),

rfm as (

    select * from {{ ref('int_users_rfm_scored') }}
    where snapshot_date in (select score_snapshot.snapshot_date from score_snapshot)

),

clusters as (

    select * from {{ ml_table('ml_user_clusters') }}

),

ranked as (

    -- one pass over the ranking: the whole list's counts and the contactable users' (the
    -- holdout's rows add nothing to the latter), as running sums in the same order
    select
        *,
        row_number() over by_score as target_rank,
        ntile(10) over by_score as decile,
        -- exact decimal running sums: the same bits whatever the threads
        cast(
            sum(cast(coalesce(probability, 0) as decimal(38, 18))) over by_score_so_far as double
        ) as cumulative_expected_adopters,
        sum(case when is_holdout then 0 else 1 end) over by_score_so_far as targetable_count,
        cast(
            sum(
                case when is_holdout then 0 else cast(coalesce(probability, 0) as decimal(38, 18)) end
            ) over by_score_so_far as double
        ) as targetable_cumulative_expected_adopters

    from champion_scores
    window
        by_score as (partition by product_id order by score desc, user_id asc),
        by_score_so_far as (
            partition by product_id
            order by score desc, user_id asc
            rows between unbounded preceding and current row
        )

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
        case when not ranked.is_holdout then cast(ranked.targetable_count as bigint) end
            as targetable_rank,
        case
            when ranked.probability is not null and not ranked.is_holdout
                then ranked.targetable_cumulative_expected_adopters
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
