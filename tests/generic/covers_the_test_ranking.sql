{#- A cut of the test ranking (fct_decile_lift, fct_gains_curve): every fitted model's
    test users fall in groups 1..n_buckets (all of them when there are at least that many
    users), and the last group's cumulative counts are the whole list, its cumulative gain
    1. Returns the models for which this does not hold. -#}
{% test covers_the_test_ranking(model, bucket, n_buckets) %}

    select
        product_id,
        model_name,
        count(*) as n_groups,
        max(cumulative_users) as cumulative_users,
        sum(n_users) as n_users

    from {{ model }}
    group by product_id, model_name
    having
        (sum(n_users) >= {{ n_buckets }} and count(distinct {{ bucket }}) != {{ n_buckets }})
        or max({{ bucket }}) > {{ n_buckets }}
        or max(cumulative_users) != sum(n_users)
        or max(cumulative_adopters) != sum(n_adopters)
        or (sum(n_adopters) > 0 and abs(max(cumulative_gain) - 1) > 1e-12)

{% endtest %}
