-- One row per product the build targets (int_products): its name and description from
-- seeds/product_descriptions.csv (null when the seed has no row for it), its valid
-- adopters and their first and last adoption, the champion model with its out-of-time
-- AUC and top-decile lift, whether it is a cold start, and how many users the current
-- list (fct_ranked_targets, at the score snapshot) ranks, of whom how many may be
-- contacted (the holdout left out).

with

products as (

    select * from {{ ref('int_products') }}

),

descriptions as (

    select * from {{ ref('product_descriptions') }}

),

evaluation as (

    select * from {{ ref('fct_model_evaluation') }}

),

ranked_targets as (

    select * from {{ ref('fct_ranked_targets') }}

),

cold_starts as (

    -- a product's cold start is decided once, before any candidate is fitted
    select
        product_id,
        bool_or(is_cold_start) as is_cold_start

    from evaluation
    group by product_id

),

champions as (

    select
        product_id,
        model_name as champion_model_name,
        auc_roc as champion_auc_roc,
        top_decile_lift as champion_top_decile_lift

    from evaluation
    where is_champion

),

current_lists as (

    select
        product_id,
        max(snapshot_date) as score_snapshot_date,
        count(*) as n_ranked_users,
        sum(case when is_holdout then 0 else 1 end) as n_targetable_users,
        sum(case when is_holdout then 1 else 0 end) as n_holdout_users

    from ranked_targets
    group by product_id

),

final as (

    select
        products.product_id,
        descriptions.product_name,
        descriptions.product_description,
        cast(products.n_adopters as bigint) as n_adopters,
        products.first_adopted_at,
        products.last_adopted_at,
        champions.champion_model_name,
        cold_starts.is_cold_start,
        champions.champion_auc_roc,
        champions.champion_top_decile_lift,
        current_lists.score_snapshot_date,
        cast(coalesce(current_lists.n_ranked_users, 0) as bigint) as n_ranked_users,
        cast(coalesce(current_lists.n_targetable_users, 0) as bigint) as n_targetable_users,
        cast(coalesce(current_lists.n_holdout_users, 0) as bigint) as n_holdout_users

    from products
    left join descriptions
        on products.product_id = descriptions.product_id
    left join cold_starts
        on products.product_id = cold_starts.product_id
    left join champions
        on products.product_id = champions.product_id
    left join current_lists
        on products.product_id = current_lists.product_id

)

select * from final
