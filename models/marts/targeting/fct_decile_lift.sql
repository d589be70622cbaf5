-- Decile lift and cumulative gains on the out-of-time test, per product and model: the
-- test snapshot's eligible users ranked by score (ties by user_id), cut into ten equal
-- deciles (NTILE; decile 1 = the highest scores). Lift is a decile's adoption rate over
-- the test base rate; cumulative gain the share of all test adopters found in deciles
-- 1..d.

with

scores as (

    select * from {{ ml_table('ml_propensity_scores') }}
    where role = 'test'

),

models as (

    select * from {{ ml_table('ml_propensity_models') }}

),

ranked as (

    select
        product_id,
        model_name,
        snapshot_date,
        score,
        label,
        ntile(10) over (
            partition by product_id, model_name
            order by score desc, user_id asc
        ) as decile

    from scores

),

deciles as (

    select
        product_id,
        model_name,
        snapshot_date,
        cast(decile as integer) as decile,
        count(*) as n_users,
        cast(sum(label) as bigint) as n_adopters,
        min(score) as min_score,
        max(score) as max_score

    from ranked
    group by product_id, model_name, snapshot_date, decile

),

cumulated as (

    select
        *,
        cast(sum(n_users) over cumulative as bigint) as cumulative_users,
        cast(sum(n_adopters) over cumulative as bigint) as cumulative_adopters,
        cast(sum(n_users) over model_total as bigint) as total_users,
        cast(sum(n_adopters) over model_total as bigint) as total_adopters

    from deciles
    window
        cumulative as (
            partition by product_id, model_name
            order by decile
            rows between unbounded preceding and current row
        ),
        model_total as (partition by product_id, model_name)

),

final as (

    select
        cumulated.product_id,
        cumulated.model_name,
        models.is_champion,
        models.is_cold_start,
        cumulated.snapshot_date as test_snapshot_date,
        cumulated.decile,
        cumulated.n_users,
        cumulated.n_adopters,
        cumulated.n_adopters / cumulated.n_users as adoption_rate,
        cumulated.total_adopters / cumulated.total_users as base_rate,
        (cumulated.n_adopters / cumulated.n_users)
        / nullif(cumulated.total_adopters / cumulated.total_users, 0) as lift,
        cumulated.cumulative_users,
        cumulated.cumulative_adopters,
        cumulated.cumulative_users / cumulated.total_users as cumulative_share_of_users,
        cumulated.cumulative_adopters / nullif(cumulated.total_adopters, 0) as cumulative_gain,
        (cumulated.cumulative_adopters / cumulated.cumulative_users)
        / nullif(cumulated.total_adopters / cumulated.total_users, 0) as cumulative_lift,
        cumulated.min_score,
        cumulated.max_score

    from cumulated
    inner join models
        on
            cumulated.product_id = models.product_id
            and cumulated.model_name = models.model_name

)

select * from final
