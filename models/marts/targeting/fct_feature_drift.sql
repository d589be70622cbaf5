-- Population stability per product and numeric feature: how far the eligible users at the
-- score snapshot have moved from those of the train snapshots, the population the models
-- learned from. Bins are the train deciles of the feature (equal edges merged) plus one
-- bin for nulls; PSI = sum over bins of (score share - train share) x ln(score share /
-- train share), shares floored at 0.0001. Above targeting__drift_psi_threshold (0.2, the
-- usual "significant shift") the feature is flagged: the model is scoring a different
-- world there; above targeting__drift_psi_moderate_threshold (0.1) it is a moderate shift.
-- The score snapshot is also compared, in the same bins, with the latest train snapshot
-- alone: a feature drifted against the pooled train snapshots but not against the latest
-- is growing steadily (a trend the models saw begin), one drifted against both has shifted
-- (drift_kind). Beside it, how much the champion relies on the feature
-- (ml_feature_importances). Large populations are compared on a stable sample of 50,000
-- rows each (the latest train snapshot is its share of the train sample).

{%- set key_columns = ['user_id', 'product_id', 'snapshot_date', 'role', 'is_eligible', 'label'] %}
{%- set max_rows = 50000 %}
{%- set psi_threshold = number_var('targeting__drift_psi_threshold', 0, 10, low_open=true) %}
{%- set psi_moderate_threshold = number_var('targeting__drift_psi_moderate_threshold', 0, psi_threshold) %}
{%- set features = [] %}
{#- numbers and flags, by DuckDB's names for them (engine_type_name: the same on Spark) #}
{%- set numeric_types = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'FLOAT', 'DOUBLE', 'BOOLEAN'] %}
{%- if execute and model.resource_type != 'unit_test' %}
    {%- for column in adapter.get_columns_in_relation(ref('fct_feature_snapshots')) %}
        {%- set type_name = engine_type_name(column.dtype) %}
        {%- if column.name not in key_columns
            and (type_name in numeric_types or type_name.startswith('DECIMAL')) %}
            {%- do features.append(column.name) %}
        {%- endif %}
    {%- endfor %}
{%- endif %}

with

all_feature_snapshots as (

    select
        *,
        count(*) over (partition by product_id, role) as n_population_rows

    from {{ ref('fct_feature_snapshots') }}
    where is_eligible and role in ('train', 'score')

),

latest_train_snapshots as (

    -- per product, the latest train snapshot and its eligible rows (three columns read)
    select
        product_id,
        snapshot_date as latest_train_snapshot_date,
        n_rows as n_latest_train_rows

    from (
        select
            product_id,
            snapshot_date,
            count(*) as n_rows,
            row_number() over (partition by product_id order by snapshot_date desc) as recency
        from {{ ref('fct_feature_snapshots') }}
        where is_eligible and role = 'train'
        group by product_id, snapshot_date
    ) as train_snapshot_sizes
    where recency = 1

),

champion_importances as (

    -- the champion's importance of each input feature (no row: the champion does not use it)
    select
        product_id,
        model_name,
        feature,
        importance_share,
        importance_rank

    from {{ ml_table('ml_feature_importances') }}
    where is_champion

),

champions as (

    -- per product, the champion, and whether its importances hold any weight
    select
        product_id,
        max(model_name) as champion_model_name,
        coalesce(sum(importance_share) > 0, false) as has_importances

    from champion_importances
    group by product_id

),

feature_snapshots as (

    -- At most {{ max_rows }} rows per product
    -- and population, a stable hash sample: the shares of ten bins need no more
    select
        sampled.*,
        coalesce(
            sampled.role = 'train'
            and sampled.snapshot_date = latest_train_snapshots.latest_train_snapshot_date,
            false
        ) as is_latest_train

    from (
        select * from all_feature_snapshots
        where
            n_population_rows <= {{ max_rows }}
            or {{ hash_bucket("product_id || ':' || user_id || ':' || cast(snapshot_date as string)", 1000000) }}
            < {{ max_rows }} / n_population_rows * 1000000
    ) as sampled
    left join latest_train_snapshots
        on sampled.product_id = latest_train_snapshots.product_id

),

feature_values as (

    -- one row per product, user, snapshot and feature: each sampled row once per feature
    -- (one read of the sample, however many features)
    {%- if features %}
        select
            feature_snapshots.product_id,
            feature_snapshots.role,
            feature_snapshots.is_latest_train,
            feature_names.feature,
            case feature_names.feature
                {%- for feature in features %}
                    when '{{ feature }}' then cast(feature_snapshots.{{ feature }} as double)
                {%- endfor %}
            end as feature_value
        from feature_snapshots
        cross join (
            values {% for feature in features %}('{{ feature }}'){{ ', ' if not loop.last }}{% endfor %}
        ) as feature_names (feature)
    {%- else %}
        -- no numeric feature (or no built feature table yet): no rows
        select
            product_id,
            role,
            is_latest_train,
            cast(null as string) as feature,
            cast(null as double) as feature_value
        from feature_snapshots
        where false
    {%- endif %}

),

value_counts as (

    -- one row per product, feature, role and distinct value, with how many sampled rows
    -- hold it: the sorts below run on these (about a tenth of the rows: most features
    -- are counts), never on every sampled value; of the train rows, n_latest_rows are
    -- those of the latest train snapshot
    select
        product_id,
        feature,
        role,
        feature_value,
        count(*) as n_rows,
        count(case when is_latest_train then 1 end) as n_latest_rows

    from feature_values
    group by product_id, feature, role, feature_value

),

train_value_positions as (

    -- the n sorted train values of a product and feature: the positions a distinct value
    -- takes among them are first_position .. last_position
    select
        product_id,
        feature,
        feature_value,
        sum(n_rows) over (
            partition by product_id, feature
            order by feature_value
            rows between unbounded preceding and current row
        ) - n_rows + 1 as first_position,
        sum(n_rows) over (
            partition by product_id, feature
            order by feature_value
            rows between unbounded preceding and current row
        ) as last_position,
        sum(n_rows) over (partition by product_id, feature) as n_values

    from value_counts
    where role = 'train' and feature_value is not null

),

train_edges as (

    -- the train deciles, discrete (quantile_disc): decile k is the value at position
    -- ceil(n x k / 10) of the n sorted train values; equal edges merged (a distinct
    -- value is one edge however many deciles fall on it)
    select
        product_id,
        feature,
        feature_value as edge

    from train_value_positions
    where
        {%- for k in range(1, 10) %}
            {{ 'or ' if not loop.first }}floor((n_values * {{ k }} + 9) / 10) between first_position and last_position
        {%- endfor %}

),

values_and_edges as (

    -- the values and their feature's edges on one sorted line per product and feature:
    -- a value's bin is the number of edges before it (strictly below it, so at equal
    -- values the value comes first)
    select
        product_id,
        feature,
        role,
        feature_value,
        n_rows,
        n_latest_rows,
        0 as is_edge
    from value_counts

    union all

    select
        product_id,
        feature,
        cast(null as string) as role,
        edge as feature_value,
        cast(null as bigint) as n_rows,
        cast(null as bigint) as n_latest_rows,
        1 as is_edge
    from train_edges

),

binned as (

    select
        product_id,
        feature,
        role,
        feature_value,
        n_rows,
        n_latest_rows,
        case
            when feature_value is null then -1
            -- how many train deciles the value lies above
            else edges_below
        end as bin

    from (
        select
            *,
            sum(is_edge) over (
                partition by product_id, feature
                order by feature_value, is_edge
                rows between unbounded preceding and current row
            ) as edges_below
        from values_and_edges
    ) as sorted_values
    where is_edge = 0

),

population_sizes as (

    -- per product: the eligible rows of each population and the score snapshot
    select
        product_id,
        coalesce(max(n_population_rows) filter (where role = 'train'), 0) as n_train_rows,
        coalesce(max(n_population_rows) filter (where role = 'score'), 0) as n_score_rows,
        max(snapshot_date) filter (where role = 'score') as score_snapshot_date

    from feature_snapshots
    group by product_id

),

feature_means as (

    -- per product, population and feature, the mean, read from the sample once (exact
    -- decimal sums: the same means on every run); grouped by role rather than filtered
    -- by it, since one filter per feature and population is many times slower
    {%- if features %}
        select
            means.product_id,
            means.role,
            feature_names.feature,
            case feature_names.feature
                {%- for feature in features %}
                    when '{{ feature }}' then means.mean__{{ feature }}
                {%- endfor %}
            end as feature_mean
        from (
            select
                product_id,
                role
                {%- for feature in features %},
                    cast(avg(cast(cast({{ feature }} as double) as decimal(38, 9))) as double)
                        as mean__{{ feature }}
                {%- endfor %}
            from feature_snapshots
            group by product_id, role
        ) as means
        cross join (
            values {% for feature in features %}('{{ feature }}'){{ ', ' if not loop.last }}{% endfor %}
        ) as feature_names (feature)
    {%- else %}
        select
            product_id,
            role,
            cast(null as string) as feature,
            cast(null as double) as feature_mean
        from feature_snapshots
        where false
    {%- endif %}

),

populations as (

    select
        value_totals.product_id,
        value_totals.feature,
        population_sizes.n_train_rows,
        population_sizes.n_score_rows,
        value_totals.n_train_sampled,
        value_totals.n_latest_train_sampled,
        value_totals.n_score_sampled,
        value_totals.n_train_nulls,
        value_totals.n_score_nulls,
        train_means.feature_mean as train_mean,
        score_means.feature_mean as score_mean,
        population_sizes.score_snapshot_date

    from (
        select
            product_id,
            feature,
            coalesce(sum(n_rows) filter (where role = 'train'), 0) as n_train_sampled,
            coalesce(sum(n_latest_rows) filter (where role = 'train'), 0) as n_latest_train_sampled,
            coalesce(sum(n_rows) filter (where role = 'score'), 0) as n_score_sampled,
            coalesce(sum(n_rows) filter (where role = 'train' and feature_value is null), 0) as n_train_nulls,
            coalesce(sum(n_rows) filter (where role = 'score' and feature_value is null), 0) as n_score_nulls
        from value_counts
        group by product_id, feature
    ) as value_totals
    inner join population_sizes
        on value_totals.product_id = population_sizes.product_id
    left join feature_means as train_means
        on
            value_totals.product_id = train_means.product_id
            and value_totals.feature = train_means.feature
            and train_means.role = 'train'
    left join feature_means as score_means
        on
            value_totals.product_id = score_means.product_id
            and value_totals.feature = score_means.feature
            and score_means.role = 'score'

),

bin_shares as (

    select
        binned.product_id,
        binned.feature,
        binned.bin,
        greatest(
            coalesce(sum(binned.n_rows) filter (where binned.role = 'train'), 0)
            / any_value(populations.n_train_sampled),
            0.0001
        ) as train_share,
        greatest(
            coalesce(sum(binned.n_latest_rows) filter (where binned.role = 'train'), 0)
            / any_value(populations.n_latest_train_sampled),
            0.0001
        ) as latest_train_share,
        greatest(
            coalesce(sum(binned.n_rows) filter (where binned.role = 'score'), 0)
            / any_value(populations.n_score_sampled),
            0.0001
        ) as score_share

    from binned
    inner join populations
        on
            binned.product_id = populations.product_id
            and binned.feature = populations.feature
    group by binned.product_id, binned.feature, binned.bin

),

stability as (

    select
        product_id,
        feature,
        count(*) as n_bins,
        cast(
            sum(cast((score_share - train_share) * ln(score_share / train_share) as decimal(38, 18)))
            as double
        ) as psi,
        cast(
            sum(
                cast(
                    (score_share - latest_train_share) * ln(score_share / latest_train_share)
                    as decimal(38, 18)
                )
            )
            as double
        ) as psi_vs_latest_train

    from bin_shares
    group by product_id, feature

),

comparisons as (

    select
        populations.product_id,
        populations.feature,
        populations.score_snapshot_date,
        populations.n_train_rows,
        populations.n_score_rows,
        populations.train_mean,
        populations.score_mean,
        populations.n_train_nulls / nullif(populations.n_train_sampled, 0) as train_null_share,
        populations.n_score_nulls / nullif(populations.n_score_sampled, 0) as score_null_share,
        stability.n_bins,
        case when populations.n_train_rows > 0 and populations.n_score_rows > 0 then stability.psi end as psi,
        latest_train_snapshots.latest_train_snapshot_date,
        coalesce(latest_train_snapshots.n_latest_train_rows, 0) as n_latest_train_rows,
        case
            when populations.n_latest_train_sampled > 0 and populations.n_score_rows > 0
                then stability.psi_vs_latest_train
        end as psi_vs_latest_train,
        champions.champion_model_name,
        -- a champion that uses no weight at all (importance shares null) says nothing
        case
            when champions.has_importances then coalesce(champion_importances.importance_share, 0)
        end as champion_importance,
        case when champions.has_importances then champion_importances.importance_rank end
            as champion_importance_rank

    from populations
    inner join stability
        on
            populations.product_id = stability.product_id
            and populations.feature = stability.feature
    left join latest_train_snapshots
        on populations.product_id = latest_train_snapshots.product_id
    left join champions
        on populations.product_id = champions.product_id
    left join champion_importances
        on
            populations.product_id = champion_importances.product_id
            and populations.feature = champion_importances.feature

),

final as (

    select
        product_id,
        feature,
        score_snapshot_date,
        n_train_rows,
        n_score_rows,
        train_mean,
        score_mean,
        train_null_share,
        score_null_share,
        n_bins,
        psi,
        coalesce(psi > {{ psi_threshold }}, false) as is_drifted,
        cast({{ psi_threshold }} as double) as psi_threshold,
        cast({{ psi_moderate_threshold }} as double) as psi_moderate_threshold,
        {{ drift_band('psi', psi_threshold, psi_moderate_threshold) }} as drift_band,
        latest_train_snapshot_date,
        n_latest_train_rows,
        psi_vs_latest_train,
        {{ drift_band('psi_vs_latest_train', psi_threshold, psi_moderate_threshold) }}
            as latest_train_drift_band,
        case
            when coalesce(psi > {{ psi_threshold }}, false) = false then 'none'
            when psi_vs_latest_train <= {{ psi_threshold }} then 'trend'
            else 'shift'
        end as drift_kind,
        champion_model_name,
        champion_importance,
        champion_importance_rank

    from comparisons

)

select * from final
