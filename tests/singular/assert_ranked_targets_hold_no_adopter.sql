-- A target who had already adopted the product before the snapshot is wasted budget.
select
    targets.product_id,
    targets.user_id,
    adoptions.adopted_at

from {{ ref('fct_ranked_targets') }} as targets
inner join {{ ref('int_adoptions_validated') }} as adoptions
    on
        targets.user_id = adoptions.user_id
        and targets.product_id = adoptions.product_id
        and targets.snapshot_date > adoptions.adopted_at
where adoptions.dq_issue is null
