{{ config(**per_model_evaluation('trained_at')) }}

-- Out-of-time evaluation per product and model, computed in SQL from the test scores:
-- AUC-ROC by rank sums (tied scores at their average rank), PR-AUC as average precision
-- over the distinct score thresholds, precision, recall and NDCG at targeting__top_k
-- (ranked by score, ties by user_id), the top decile's lift, the Brier score of the
-- calibrated probabilities, and their calibration: the adopters they expected against
-- those seen, overall and decile by decile. Sums of fractions are taken as decimals, so
-- the figures are the same bit for bit on every run. AUC, PR-AUC and the top decile's
-- lift carry 95% intervals (macros/intervals.sql), and a product whose test holds fewer
-- than targeting__min_test_adopters adopters is flagged as too small to judge.
-- Candidates that were not fitted keep their row, with their status and no metric.
-- Only the models a run has not evaluated yet are computed (macro per_model_evaluation:
-- most days none); the others keep their rows.

{%- set top_k = var('targeting__top_k') %}
{%- set min_test_adopters = var('targeting__min_test_adopters') %}
{%- set evaluated = models_to_evaluate('trained_at') %}

with

scores as (

    select * from {{ ml_table('ml_propensity_scores') }}
    where role = 'test' and {{ model_filter(evaluated) }}

),

models as (

    select * from {{ ml_table('ml_propensity_models') }}
    where {{ model_filter(evaluated) }}

),

top_deciles as (

    select * from {{ ref('fct_decile_lift') }}
    where decile = 1 and {{ model_filter(evaluated) }}

),

decile_calibration as (

    -- per decile, how far the adopters the probabilities expected lie from those seen
    select
        product_id,
        model_name,
        sum(cast(abs(expected_adopters - n_adopters) as decimal(38, 18))) as absolute_gap

    from {{ ref('fct_decile_lift') }}
    where {{ model_filter(evaluated) }}
    group by product_id, model_name

),

ranked as (

    select
        product_id,
        model_name,
        label,
        probability,
        row_number() over (
            partition by product_id, model_name order by score desc, user_id asc
        ) as list_position,
        row_number() over (
            partition by product_id, model_name order by label desc, score desc, user_id asc
        ) as ideal_position,
        rank() over (partition by product_id, model_name order by score asc) as low_rank,
        count(*) over (partition by product_id, model_name, score) as n_tied

    from scores

),

thresholds as (

    select
        product_id,
        model_name,
        score,
        count(*) as n_users,
        sum(label) as n_adopters

    from scores
    group by product_id, model_name, score

),

precision_curve as (

    -- precision when every user scoring at least this threshold is targeted
    select
        product_id,
        model_name,
        n_adopters,
        sum(n_adopters) over descending_scores
        / sum(n_users) over descending_scores as precision_at_threshold

    from thresholds
    window descending_scores as (
        partition by product_id, model_name
        order by score desc
        rows between unbounded preceding and current row
    )

),

average_precision as (

    -- sum over thresholds of (recall gained) x (precision there), before / adopters
    select
        product_id,
        model_name,
        sum(cast(n_adopters * precision_at_threshold as decimal(38, 18))) as recall_weighted_precision

    from precision_curve
    group by product_id, model_name

),

summed as (

    select
        product_id,
        model_name,
        count(*) as n_test_rows,
        cast(sum(label) as bigint) as n_test_positives,
        -- twice the adopters' rank sum, tied scores at their average rank: an integer
        sum(label * (2 * low_rank + n_tied - 1)) as twice_adopter_rank_sum,
        count(*) filter (where list_position <= {{ top_k }}) as n_top_k,
        sum(label) filter (where list_position <= {{ top_k }}) as n_adopters_top_k,
        sum(
            cast(label / log2(list_position + 1) as decimal(38, 18))
        ) filter (where list_position <= {{ top_k }}) as discounted_gain,
        sum(
            cast(label / log2(ideal_position + 1) as decimal(38, 18))
        ) filter (where ideal_position <= {{ top_k }}) as ideal_discounted_gain,
        count(probability) as n_probabilities,
        sum(cast(probability as decimal(38, 18))) as probability_sum,
        sum(cast(power(probability - label, 2) as decimal(38, 18))) as squared_error

    from ranked
    group by product_id, model_name

),

metrics as (

    select
        summed.product_id,
        summed.model_name,
        summed.n_test_rows,
        summed.n_test_positives,
        summed.n_test_rows - summed.n_test_positives as n_negatives,
        summed.n_test_positives / summed.n_test_rows as base_rate,
        case
            when summed.n_test_positives between 1 and summed.n_test_rows - 1
                then
                    (
                        summed.twice_adopter_rank_sum / 2
                        - summed.n_test_positives * (summed.n_test_positives + 1) / 2
                    )
                    / (summed.n_test_positives * (summed.n_test_rows - summed.n_test_positives))
        end as auc_roc,
        case
            when summed.n_test_positives between 1 and summed.n_test_rows - 1
                then cast(average_precision.recall_weighted_precision as double) / summed.n_test_positives
        end as pr_auc,
        summed.n_adopters_top_k / summed.n_top_k as precision_at_k,
        summed.n_adopters_top_k / nullif(summed.n_test_positives, 0) as recall_at_k,
        case
            when summed.n_test_positives > 0
                then cast(summed.discounted_gain as double) / cast(summed.ideal_discounted_gain as double)
        end as ndcg_at_k,
        case
            when summed.n_probabilities = summed.n_test_rows
                then cast(summed.squared_error as double) / summed.n_test_rows
        end as brier_score,
        case
            when summed.n_probabilities = summed.n_test_rows
                then cast(summed.probability_sum as double)
        end as expected_adopters,
        case
            when summed.n_probabilities = summed.n_test_rows and summed.n_test_positives > 0
                then cast(summed.probability_sum as double) / summed.n_test_positives
        end as expected_to_realized,
        case
            when summed.n_probabilities = summed.n_test_rows
                then cast(decile_calibration.absolute_gap as double) / summed.n_test_rows
        end as calibration_error

    from summed
    inner join average_precision
        on
            summed.product_id = average_precision.product_id
            and summed.model_name = average_precision.model_name
    left join decile_calibration
        on
            summed.product_id = decile_calibration.product_id
            and summed.model_name = decile_calibration.model_name

),

final as (

    select
        models.product_id,
        models.model_name,
        models.status,
        models.status_reason,
        models.is_champion,
        models.is_cold_start,
        models.test_snapshot_date,
        coalesce(metrics.n_test_rows, 0) as n_test_rows,
        coalesce(metrics.n_test_positives, 0) as n_test_positives,
        metrics.base_rate,
        metrics.auc_roc,
        {{ auc_bound('metrics.auc_roc', 'metrics.n_test_positives', 'metrics.n_negatives', -1) }} as auc_roc_low,
        {{ auc_bound('metrics.auc_roc', 'metrics.n_test_positives', 'metrics.n_negatives', 1) }} as auc_roc_high,
        metrics.pr_auc,
        {{ average_precision_bound('metrics.pr_auc', 'metrics.n_test_positives', -1) }} as pr_auc_low,
        {{ average_precision_bound('metrics.pr_auc', 'metrics.n_test_positives', 1) }} as pr_auc_high,
        {{ top_k }} as top_k,
        metrics.precision_at_k,
        metrics.recall_at_k,
        metrics.ndcg_at_k,
        top_deciles.lift as top_decile_lift,
        top_deciles.lift_low as top_decile_lift_low,
        top_deciles.lift_high as top_decile_lift_high,
        coalesce(metrics.n_test_positives, 0) >= {{ min_test_adopters }} as has_enough_test_adopters,
        metrics.brier_score,
        metrics.expected_adopters,
        metrics.expected_to_realized,
        metrics.calibration_error,
        models.n_train_rows,
        models.n_train_positives,
        models.trained_at,
        '{{ evaluation_version() }}' as evaluation_version

    from models
    left join metrics
        on
            models.product_id = metrics.product_id
            and models.model_name = metrics.model_name
    left join top_deciles
        on
            models.product_id = top_deciles.product_id
            and models.model_name = top_deciles.model_name

)

select * from final
