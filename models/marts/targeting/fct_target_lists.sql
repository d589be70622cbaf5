-- Every target list produced, kept as history: each run adds the lists of its score
-- snapshot (one per product) and keeps the lists of earlier days as they were, so a
-- campaign can say which list it used and this week's list can be compared with last
-- week's. A run on a day already listed replaces that day's lists. Of each list the
-- targeting__list_history_depth best-ranked users are kept; on DuckDB, lists older than
-- targeting__list_history_days before the latest are deleted.
{{ config(**history_by_day('snapshot_date', var('targeting__list_history_days'))) }}

with

targets as (

    select * from {{ ref('fct_ranked_targets') }}
    where rank <= {{ var('targeting__list_history_depth') }}

),

models as (

    select
        product_id,
        model_name,
        trained_at

    from {{ ml_table('ml_propensity_models') }}
    where is_champion

),

final as (

    select
        targets.product_id || ':' || cast(targets.snapshot_date as string) as list_id,
        targets.product_id,
        targets.snapshot_date,
        targets.user_id,
        targets.rank,
        targets.targetable_rank,
        targets.score,
        targets.probability,
        targets.is_holdout,
        targets.model_name,
        models.trained_at as model_trained_at,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as listed_at

    from targets
    left join models
        on
            targets.product_id = models.product_id
            and targets.model_name = models.model_name

)

select * from final
