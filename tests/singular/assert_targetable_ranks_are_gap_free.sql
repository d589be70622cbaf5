-- Ranks among the users a campaign may contact: null exactly for the holdout, and 1..n with
-- no gap and in the order of rank for the others (rank 1,000 of them is the 1,000th).
with

targets as (

    select
        product_id,
        user_id,
        rank,
        is_holdout,
        targetable_rank,
        row_number() over (
            partition by product_id, is_holdout order by rank
        ) as expected_targetable_rank

    from {{ ref('fct_ranked_targets') }}

)

select *
from targets
where
    (is_holdout and targetable_rank is not null)
    or (not is_holdout and targetable_rank is distinct from expected_targetable_rank)
