-- The control group is targeting__holdout_share of each list, within one percentage point,
-- for lists long enough (10,000 users) that a fair hash lands there.
select
    product_id,
    count(*) as n_users,
    avg(case when is_holdout then 1.0 else 0.0 end) as holdout_share

from {{ ref('fct_ranked_targets') }}
group by product_id
having
    count(*) >= 10000
    and abs(avg(case when is_holdout then 1.0 else 0.0 end) - {{ var('targeting__holdout_share') }}) > 0.01
