-- Population stability per product and numeric feature: how far the eligible users at the
-- score snapshot have moved from those of the train snapshots, the population the models
-- learned from. Bins are the train deciles of the feature (equal edges merged) plus one
-- bin for nulls; PSI = sum over bins of (score share - train share) x ln(score share /
-- train share), shares floored at 0.0001. Above targeting__drift_psi_threshold (0.2, the
-- usual "significant shift") the feature is flagged: the model is scoring a different
-- world there. Large populations are compared on a stable sample of 50,000 rows each.

{%- set key_columns = ['user_id', 'product_id', 'snapshot_date', 'role', 'is_eligible', 'label'] %}
{%- set max_rows = 50000 %}
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

feature_snapshots as (

    -- At most {{ max_rows }} rows per product
    -- and population, a stable hash sample: the shares of ten bins need no more
    select * from all_feature_snapshots
    where
        n_population_rows <= {{ max_rows }}
        or {{ hash_bucket("product_id || ':' || user_id || ':' || cast(snapshot_date as string)", 1000000) }}
        < {{ max_rows }} / n_population_rows * 1000000

),

feature_values as (

    -- one row per product, user, snapshot and feature: each sampled row once per feature
    -- (one read of the sample, however many features)
    {%- if features %}
        select
            feature_snapshots.product_id,
            feature_snapshots.role,
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
            cast(null as string) as feature,
            cast(null as double) as feature_value
        from feature_snapshots
        where false
    {%- endif %}

),

value_counts as (

    -- one row per product, feature, role and distinct value, with how many sampled rows
    -- hold it: the sorts below run on these (about a tenth of the rows: most features
    -- are counts), never on every sampled value
    select
        product_id,
        feature,
        role,
        feature_value,
        count(*) as n_rows

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
        0 as is_edge
    from value_counts

    union all

    select
        product_id,
        feature,
        cast(null as string) as role,
        edge as feature_value,
        cast(null as bigint) as n_rows,
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
        ) as psi

    from bin_shares
    group by product_id, feature

),

final as (

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
        coalesce(
            populations.n_train_rows > 0 and populations.n_score_rows > 0
            and stability.psi > {{ var('targeting__drift_psi_threshold') }},
            false
        ) as is_drifted

    from populations
    inner join stability
        on
            populations.product_id = stability.product_id
            and populations.feature = stability.feature

)

select * from final
