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
    -- (one read of the sample, however many features). A feature goes by its number until
    -- populations names it: numbers group and sort faster than names (at S, 4.38 s
    -- against 4.75 s for the whole model, medians of 4 runs)
    {%- if features %}
        select
            feature_snapshots.product_id,
            feature_snapshots.role,
            feature_snapshots.is_latest_train,
            feature_names.feature_number,
            case feature_names.feature_number
                {%- for feature in features %}
                    when {{ loop.index0 }} then cast(feature_snapshots.{{ feature }} as double)
                {%- endfor %}
            end as feature_value
        from feature_snapshots
        cross join (
            values {% for feature in features %}({{ loop.index0 }}){{ ', ' if not loop.last }}{% endfor %}
        ) as feature_names (feature_number)
    {%- else %}
        -- no numeric feature (or no built feature table yet): no rows
        select
            product_id,
            role,
            is_latest_train,
            cast(null as int) as feature_number,
            cast(null as double) as feature_value
        from feature_snapshots
        where false
    {%- endif %}

),

value_counts as (

    -- one row per product, feature and distinct value, with how many sampled rows of each
    -- population hold it (n_latest_train: of the train rows, those of the latest train
    -- snapshot). The sorts below run on these (about a tenth of the rows: most features
    -- are counts), never on every sampled value; and since the populations are columns
    -- of one row, the values are grouped, sorted and binned once for all of them
    select
        product_id,
        feature_number,
        feature_value,
        count(case when role = 'train' then 1 end) as n_train,
        count(case when is_latest_train then 1 end) as n_latest_train,
        count(case when role = 'score' then 1 end) as n_score

    from feature_values
    group by product_id, feature_number, feature_value

),

train_positions as (

    -- the n sorted train values of a product and feature (nulls apart, sorted last): a
    -- distinct value takes the positions n_train_below + 1 .. n_train_below + n_train
    -- among them. Every distinct value is one row of one sort, the values no train row
    -- holds too: a second read of value_counts would compute it again on Spark, which
    -- inlines a CTE wherever it is read
    select
        product_id,
        feature_number,
        feature_value,
        n_train,
        n_latest_train,
        n_score,
        sum(n_train) over (
            partition by product_id, feature_number
            order by feature_value nulls last
            rows between unbounded preceding and current row
        ) - n_train as n_train_below,
        sum(case when feature_value is not null then n_train else 0 end)
            over (partition by product_id, feature_number)
            as n_train_values

    from value_counts

),

edge_flags as (

    -- the train deciles, discrete (quantile_disc): decile k is the value at position
    -- ceil(n x k / 10) of the n sorted train values, and a value is an edge when a decile
    -- or more falls on it (equal edges merged); a value no train row holds takes no
    -- position, and a null is never an edge
    select
        product_id,
        feature_number,
        feature_value,
        n_train,
        n_latest_train,
        n_score,
        feature_value is not null and (
            {%- for k in range(1, 10) %}
                {{ 'or ' if not loop.first }}floor((n_train_values * {{ k }} + 9) / 10)
                between n_train_below + 1 and n_train_below + n_train
            {%- endfor %}
        ) as is_edge

    from train_positions

),

binned as (

    -- a value's bin is the number of edges strictly below it (in the order of
    -- train_positions); -1 for nulls
    select
        product_id,
        feature_number,
        n_train,
        n_latest_train,
        n_score,
        case
            when feature_value is null then -1
            else sum(cast(is_edge as int)) over (
                partition by product_id, feature_number
                order by feature_value nulls last
                rows between unbounded preceding and current row
            ) - cast(is_edge as int)
        end as bin

    from edge_flags

),

bin_shares as (

    -- per product, feature and bin, each population's share of its sampled rows (floored)
    select
        product_id,
        feature_number,
        bin,
        n_train,
        n_latest_train,
        n_score,
        greatest(n_train / sum(n_train) over (partition by product_id, feature_number), 0.0001)
            as train_share,
        greatest(n_latest_train / sum(n_latest_train) over (partition by product_id, feature_number), 0.0001)
            as latest_train_share,
        greatest(n_score / sum(n_score) over (partition by product_id, feature_number), 0.0001)
            as score_share

    from (
        select
            product_id,
            feature_number,
            bin,
            sum(n_train) as n_train,
            sum(n_latest_train) as n_latest_train,
            sum(n_score) as n_score
        from binned
        group by product_id, feature_number, bin
    ) as bin_counts

),

stability as (

    -- per product and feature: the sampled rows of each population, its nulls, the bins
    -- and the PSI (exact decimal sums: the same on every run)
    select
        product_id,
        feature_number,
        sum(n_train) as n_train_sampled,
        sum(n_latest_train) as n_latest_train_sampled,
        sum(n_score) as n_score_sampled,
        coalesce(sum(n_train) filter (where bin = -1), 0) as n_train_nulls,
        coalesce(sum(n_score) filter (where bin = -1), 0) as n_score_nulls,
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
    group by product_id, feature_number

),

population_means as (

    -- per product: the eligible rows of each population, the score snapshot and each
    -- feature's mean in either population, read from the sample once (exact decimal sums:
    -- the same means on every run). Grouped by role first, then pivoted: one filter per
    -- feature and population over the sample is many times slower
    select
        product_id,
        {%- for feature in features %}
            max(mean__{{ feature }}) filter (where role = 'train') as train_mean__{{ feature }},
            max(mean__{{ feature }}) filter (where role = 'score') as score_mean__{{ feature }},
        {%- endfor %}
        coalesce(max(n_population_rows) filter (where role = 'train'), 0) as n_train_rows,
        coalesce(max(n_population_rows) filter (where role = 'score'), 0) as n_score_rows,
        max(snapshot_date) filter (where role = 'score') as score_snapshot_date

    from (
        select
            product_id,
            {%- for feature in features %}
                cast(avg(cast(cast({{ feature }} as double) as decimal(38, 9))) as double)
                    as mean__{{ feature }},
            {%- endfor %}
            role,
            max(n_population_rows) as n_population_rows,
            max(snapshot_date) as snapshot_date
        from feature_snapshots
        group by product_id, role
    ) as role_means
    group by product_id

),

populations as (

    -- one row per product and numeric feature, named: the populations' sizes and means
    -- beside the feature's bins and PSI
    {%- if features %}
        select
            stability.*,
            case stability.feature_number
                {%- for feature in features %}
                    when {{ loop.index0 }} then '{{ feature }}'
                {%- endfor %}
            end as feature,
            population_means.n_train_rows,
            population_means.n_score_rows,
            population_means.score_snapshot_date,
            case stability.feature_number
                {%- for feature in features %}
                    when {{ loop.index0 }} then population_means.train_mean__{{ feature }}
                {%- endfor %}
            end as train_mean,
            case stability.feature_number
                {%- for feature in features %}
                    when {{ loop.index0 }} then population_means.score_mean__{{ feature }}
                {%- endfor %}
            end as score_mean
        from stability
        inner join population_means
            on stability.product_id = population_means.product_id
    {%- else %}
        select
            stability.*,
            cast(null as string) as feature,
            population_means.n_train_rows,
            population_means.n_score_rows,
            population_means.score_snapshot_date,
            cast(null as double) as train_mean,
            cast(null as double) as score_mean
        from stability
        inner join population_means
            on stability.product_id = population_means.product_id
    {%- endif %}

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
        populations.n_bins,
        case when populations.n_train_rows > 0 and populations.n_score_rows > 0 then populations.psi end
            as psi,
        latest_train_snapshots.latest_train_snapshot_date,
        coalesce(latest_train_snapshots.n_latest_train_rows, 0) as n_latest_train_rows,
        case
            when populations.n_latest_train_sampled > 0 and populations.n_score_rows > 0
                then populations.psi_vs_latest_train
        end as psi_vs_latest_train,
        champions.champion_model_name,
        -- a champion that uses no weight at all (importance shares null) says nothing
        case
            when champions.has_importances then coalesce(champion_importances.importance_share, 0)
        end as champion_importance,
        case when champions.has_importances then champion_importances.importance_rank end
            as champion_importance_rank

    from populations
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
