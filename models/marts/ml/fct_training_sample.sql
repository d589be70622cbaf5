{{ config(**training_sample_config()) }}
-- The rows the models learn from, and how much each one counts: per product, the
-- labeled rows of fct_feature_snapshots (roles train and test), plus the users who had
-- already adopted (the lookalike's adopters). The rows that adopted within the horizon
-- (label 1, the rare signal) are all kept with weight 1. The others (label 0, and the
-- earlier adopters) are all kept while the product has at most
-- targeting__max_training_rows rows in all; beyond that a stable hash sample of them is
-- kept, each weighing 1 / (share kept), so that sums, rates and fitted probabilities stay
-- unbiased. A row is kept when the hash of product, user and snapshot falls below the
-- share: the same sample on every run.

{%- set buckets = 1000000 %}
{%- set max_rows = var('targeting__max_training_rows') %}
{%- set sample_version = training_sample_version() %}
{#- nothing to compute when the stored sample is of this version (incremental: see
    macros/training_sample_incremental.sql) #}
{%- set is_current = training_sample_is_current(sample_version) %}

with

feature_snapshots as (

    select
        user_id,
        product_id,
        snapshot_date,
        role,
        is_eligible,
        label

    from {{ ref('fct_feature_snapshots') }}
    where
        role in ('train', 'test')
        and (label is not null or not is_eligible)
        and {{ 'false' if is_current else 'true' }}

),

counted as (

    select
        *,
        coalesce(label = 1, false) as is_adopting,
        count(*) filter (where label = 1) over (partition by product_id) as n_adopting,
        count(*) filter (where label = 0 or not is_eligible) over (partition by product_id) as n_others

    from feature_snapshots

),

shares as (

    select
        *,
        case
            when is_adopting or n_adopting + n_others <= {{ max_rows }} then 1.0
            else greatest({{ max_rows }} - n_adopting, 1) / n_others
        end as kept_share

    from counted

),

final as (

    select
        user_id,
        product_id,
        snapshot_date,
        role,
        is_adopting,
        cast(kept_share as double) as kept_share,
        cast(1.0 / kept_share as double) as sample_weight,
        '{{ sample_version }}' as sample_version

    from shares
    where
        kept_share = 1.0
        or {{ hash_bucket("product_id || ':' || user_id || ':' || cast(snapshot_date as string)", buckets) }}
        < kept_share * {{ buckets }}

)

select * from final
