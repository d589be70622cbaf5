-- Every fitted model's test users fall in deciles 1..10 (all ten when there are at
-- least ten users), and the last decile's cumulative counts are the whole list, its
-- cumulative gain 1.
select
    product_id,
    model_name,
    count(*) as n_deciles,
    max(cumulative_users) as cumulative_users,
    sum(n_users) as n_users

from {{ ref('fct_decile_lift') }}
group by product_id, model_name
having
    (sum(n_users) >= 10 and count(distinct decile) != 10)
    or max(cumulative_users) != sum(n_users)
    or max(cumulative_adopters) != sum(n_adopters)
    or (sum(n_adopters) > 0 and abs(max(cumulative_gain) - 1) > 1e-12)
