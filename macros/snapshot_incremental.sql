{#- Per-snapshot models built incrementally (README, "Daily runs").

    A snapshot's features depend only on data before it, so once computed they are kept:
    a run computes the snapshots of the grid that its table lacks, and the score snapshot
    (as_of, the latest date), which moves with the data; rows of snapshots that left the
    grid are deleted. Every row carries the `feature_version` it was computed under: an
    md5 of the vars that shape features, of the code (models, macros, seeds) that
    computes them and of the users' verdicts. When one changes, every snapshot is
    computed again, so old and new rows never mix. On Spark these models are tables built in full every run (as the
    event models are: a Parquet table has no delete). -#}


{#- The version of the features: the vars that shape them, the code that computes them
    and the users' verdicts, as an md5 (empty while dbt parses). The snapshot grid itself
    (origin, interval, number of train snapshots, as_of) is not in it: it decides which snapshots exist, not
    what a snapshot's features are. Nor is the input folder: new days of data are what a
    run takes in; history rewritten, or other data in the same warehouse, needs
    `dbt build --full-refresh` (README, "Daily runs"). -#}
{% macro feature_version() -%}
    {%- if model.resource_type == 'unit_test' -%}
        {{- return('') -}}
    {%- endif -%}
    {#- ref'd while dbt parses, so every model that calls this depends on it -#}
    {%- set users = ref('int_users_validated') -%}
    {%- if not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set parts = [] -%}
    {#- Users' verdicts (a bot, a duplicate row) are judged on all their events, so a new
        verdict on an old user changes who is in past snapshots and what their neighbours
        count: the verdicts are part of the version (their number and a sum of hashes). -#}
    {#- (a linter compiling the models against an empty database has no users table) -#}
    {%- if load_relation(users) is not none -%}
        {%- set verdicts = run_query(
            "select count(*), coalesce(sum(" ~ hash_bucket("coalesce(user_id, '') || ':' || dq_issue", 4294967296)
            ~ "), 0) from " ~ users ~ " where dq_issue is not null"
        ).rows[0] -%}
        {%- do parts.append('user verdicts=' ~ verdicts[0] ~ ':' ~ verdicts[1]) -%}
    {%- endif -%}
    {%- do parts.extend(var_lines([
        'targeting__future_cutoff_at',
        'targeting__bot_user_agent_share', 'targeting__bot_max_events_per_hour',
        'targeting__late_event_days', 'targeting__label_horizon_days',
        'targeting__session_gap_minutes', 'targeting__new_user_days',
        'targeting__engaged_percentile', 'targeting__affinity_smoothing', 'targeting__products',
    ])) -%}
    {#- a seed that only labels things (meta shapes_features: false, e.g. product names)
        can be edited without computing every snapshot again and retraining -#}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
        {%- if node.package_name == project_name and (
            (node.resource_type == 'seed' and node.config.meta.get('shapes_features', true))
            or (node.resource_type == 'model' and node.language == 'sql'
                and node.fqn[1] in ['staging', 'intermediate'])
            or node.name == 'fct_feature_snapshots') -%}
            {%- do parts.append(node.unique_id ~ '=' ~ node.checksum.checksum) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(version_md5(parts)) -}}
{%- endmacro %}


{#- The configuration of a per-snapshot model: on DuckDB incremental, the snapshot dates a
    run computes replacing those dates in the table, then the rows of dates no longer in
    `current` (or of another feature version, or of a product no longer targeted) deleted.
    `current` names the model holding the grid's current dates (and roles); `products`,
    for a model per product, the model holding the products. -#}
{% macro snapshot_incremental(current, products=none) -%}
    {{- return(adapter.dispatch('snapshot_incremental', 'targeting')(current, products)) -}}
{%- endmacro %}

{% macro default__snapshot_incremental(current, products) -%}
    {%- set hook = "{{ drop_stale_snapshots(ref('" ~ current ~ "')"
        ~ ((", ref('" ~ products ~ "')") if products else "") ~ ") }}" -%}
    {{- return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
        'unique_key': 'snapshot_date', 'on_schema_change': 'sync_all_columns',
        'post_hook': [hook]}) -}}
{%- endmacro %}

{% macro spark__snapshot_incremental(current, products) -%}
    {{- return({'materialized': 'table'}) -}}
{%- endmacro %}


{#- The snapshot dates this run computes: none for all of them (a first run, a full
    refresh, a unit test, Spark), else a list of dates. A date is computed again when it
    is the latest of `current` (the score snapshot), when the table has no row of it under
    the current feature version, or (with `match_role`) none with its current role, or
    (with `products`) none for one of the products. -#}
{% macro snapshot_dates_to_build(current, products=none, match_role=false) -%}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental() -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set version = feature_version() -%}
    {%- set query -%}
        with
        current_snapshots as (
            select distinct snapshot_date{{ ', role' if match_role }} from {{ current }}
        ),
        wanted as (
            select current_snapshots.*{{ ', products.product_id' if products }}
            from current_snapshots
            {%- if products %} cross join (select product_id from {{ products }}) as products{% endif %}
        ),
        stored as (
            select distinct snapshot_date{{ ', role' if match_role }}{{ ', product_id' if products }}
            from {{ this }}
            where feature_version = '{{ version }}'
        ),
        missing as (
            select * from wanted
            except
            select * from stored
        )
        select distinct snapshot_date from missing
        union
        select max(snapshot_date) from current_snapshots
        order by 1
    {%- endset -%}
    {{- return(run_query(query).columns[0].values() | reject('none') | map('string') | list) -}}
{%- endmacro %}


{#- A filter on `column` to the dates this run computes (true: all of them). -#}
{% macro snapshot_filter(column, dates) -%}
    {%- if dates is none -%}
        true
    {%- elif not dates -%}
        false
    {%- else -%}
        {{ column }} in ({% for date in dates %}cast('{{ date }}' as date){{ ', ' if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}


{#- A filter on `column` (a day) to the days the windows of the snapshots this run
    computes read: the `days` days before the earliest of `dates` up to the latest (true:
    all of them). A daily run's one score snapshot reads the last `days` days, and DuckDB
    skips the older days' row groups (the daily tables are appended day by day), where the
    join on the user alone read every day. Only for windows of at most `days` days. -#}
{% macro snapshot_window_filter(column, dates, days) -%}
    {%- if dates is none -%}
        true
    {%- elif not dates -%}
        false
    {%- else -%}
        {{ column }} >= cast('{{ dates | min }}' as date) - {{ days }}
        and {{ column }} < cast('{{ dates | max }}' as date)
    {%- endif -%}
{%- endmacro %}


{#- post-hook: deletes the rows of snapshot dates no longer in `current`, of another
    feature version, and (with `products`) of products no longer targeted. -#}
{% macro drop_stale_snapshots(current, products=none) -%}
    {%- if not is_incremental() -%}
        select 1
    {%- else -%}
        delete from {{ this }}
        where
            snapshot_date not in (select snapshot_date from {{ current }})
            or feature_version != '{{ feature_version() }}'
            {%- if products %}
                or product_id not in (select product_id from {{ products }})
            {%- endif %}
    {%- endif -%}
{%- endmacro %}


{#- The order a per-snapshot model's rows are stored in: snapshot by snapshot (then by
    `columns`). A daily run deletes the old score snapshot and inserts the new one; with
    each snapshot in row groups of its own the delete drops whole row groups, where rows
    of every snapshot mixed in every row group made the next checkpoint rewrite the whole
    table (1 s of 1.9M rows at S, measured). Readers that filter on snapshot_date or
    product skip the other row groups too. A run that builds one snapshot pays nothing
    for it; a full build sorts once. Not on fct_feature_snapshots: its rows are too wide
    to sort at M within DuckDB's memory (out of memory at 16.7M rows, measured). Spark
    tables are rewritten in full: no order there. -#}
{% macro snapshot_row_order(columns=[]) -%}
    {{ return(adapter.dispatch('snapshot_row_order', 'targeting')(columns)) }}
{%- endmacro %}

{% macro default__snapshot_row_order(columns) -%}
    order by snapshot_date{% for column in columns %}, {{ column }}{% endfor %}
{%- endmacro %}

{% macro spark__snapshot_row_order(columns) -%}
{%- endmacro %}
