{#- The out-of-time test ranking of every fitted model cut into `n_buckets` equal groups,
    named `bucket` (fct_decile_lift: 10 deciles, fct_gains_curve: 100 percentiles).

    The test snapshot's eligible users are ranked by score (ties by user_id) and cut with
    NTILE, group 1 the highest scores. Per product, model and group: users, adopters, the
    adoption rate and its lift over the test base rate, what the calibrated probabilities
    expected, and the same cumulated from group 1 down (gain, lift, precision). The
    probabilities are summed as decimals, so the sums are the same bits on every run.
    Lifts carry a 95% interval: Wilson's interval of the group's adoption rate over the
    base rate (the base rate, over every test user, taken as known).

    Only the models a run has not evaluated yet are computed (macro per_model_evaluation:
    most days none); the others keep their rows. -#}
{% macro ranked_test_buckets(n_buckets, bucket) %}

{%- set evaluated = models_to_evaluate('model_trained_at') %}

with

scores as (

    select * from {{ ml_table('ml_propensity_scores') }}
    where role = 'test' and {{ model_filter(evaluated) }}

),

models as (

    select * from {{ ml_table('ml_propensity_models') }}
    where {{ model_filter(evaluated) }}

),

ranked as (

    select
        product_id,
        model_name,
        snapshot_date,
        score,
        probability,
        label,
        ntile({{ n_buckets }}) over (
            partition by product_id, model_name
            order by score desc, user_id asc
        ) as {{ bucket }}

    from scores

),

buckets as (

    select
        product_id,
        model_name,
        snapshot_date,
        cast({{ bucket }} as integer) as {{ bucket }},
        count(*) as n_users,
        cast(sum(label) as bigint) as n_adopters,
        sum(cast(probability as decimal(38, 18))) as expected_adopters,
        min(score) as min_score,
        max(score) as max_score

    from ranked
    group by product_id, model_name, snapshot_date, {{ bucket }}

),

cumulated as (

    select
        *,
        cast(sum(n_users) over cumulative as bigint) as cumulative_users,
        cast(sum(n_adopters) over cumulative as bigint) as cumulative_adopters,
        sum(expected_adopters) over cumulative as cumulative_expected_adopters,
        cast(sum(n_users) over model_total as bigint) as total_users,
        cast(sum(n_adopters) over model_total as bigint) as total_adopters

    from buckets
    window
        cumulative as (
            partition by product_id, model_name
            order by {{ bucket }}
            rows between unbounded preceding and current row
        ),
        model_total as (partition by product_id, model_name)

),

rated as (

    -- the rate of a list picked at random, every lift's denominator
    select
        *,
        total_adopters / total_users as base_rate

    from cumulated

),

final as (

    select
        rated.product_id,
        rated.model_name,
        models.is_champion,
        models.is_cold_start,
        rated.snapshot_date as test_snapshot_date,
        rated.{{ bucket }},
        rated.n_users,
        rated.n_adopters,
        rated.n_adopters / rated.n_users as adoption_rate,
        rated.base_rate,
        (rated.n_adopters / rated.n_users)
        / nullif(rated.base_rate, 0) as lift,
        {{ wilson_bound('rated.n_adopters', 'rated.n_users', -1) }}
        / nullif(rated.base_rate, 0) as lift_low,
        {{ wilson_bound('rated.n_adopters', 'rated.n_users', 1) }}
        / nullif(rated.base_rate, 0) as lift_high,
        cast(rated.expected_adopters as double) / rated.n_users as mean_probability,
        cast(rated.expected_adopters as double) as expected_adopters,
        rated.cumulative_users,
        rated.cumulative_adopters,
        cast(rated.cumulative_expected_adopters as double) as cumulative_expected_adopters,
        rated.cumulative_users / rated.total_users as cumulative_share_of_users,
        rated.cumulative_adopters / nullif(rated.total_adopters, 0) as cumulative_gain,
        rated.cumulative_adopters / rated.cumulative_users as cumulative_precision,
        (rated.cumulative_adopters / rated.cumulative_users)
        / nullif(rated.base_rate, 0) as cumulative_lift,
        {{ wilson_bound('rated.cumulative_adopters', 'rated.cumulative_users', -1) }}
        / nullif(rated.base_rate, 0) as cumulative_lift_low,
        {{ wilson_bound('rated.cumulative_adopters', 'rated.cumulative_users', 1) }}
        / nullif(rated.base_rate, 0) as cumulative_lift_high,
        rated.min_score,
        rated.max_score,
        models.trained_at as model_trained_at,
        '{{ evaluation_version() }}' as evaluation_version

    from rated
    inner join models
        on
            rated.product_id = models.product_id
            and rated.model_name = models.model_name

)

select * from final

{% endmacro %}
