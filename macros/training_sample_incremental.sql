{#- fct_training_sample on DuckDB is incremental (README, "Daily runs"): the sample is a
    function of the train and test rows of fct_feature_snapshots, of
    targeting__max_training_rows and of its own code, and those change only when the grid
    moves or the features' version does. Its rows carry `sample_version`, an md5 of all of
    it: the var, the model's code, the project's macros and, per product, snapshot and
    role, the feature_version and the number of rows of fct_feature_snapshots. A run that
    finds every stored row of the current version computes nothing (27 days out of 28);
    any other run computes every product's rows, which replace the stored ones
    (delete+insert on product_id), and a post-hook deletes the rows of any other version
    (a product no longer targeted). On Spark it is a table built in full every run, as the
    per-snapshot models are. -#}
{% macro training_sample_config() -%}
    {{- return(adapter.dispatch('training_sample_config', 'targeting')()) -}}
{%- endmacro %}

{% macro default__training_sample_config() -%}
    {{- return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
        'unique_key': 'product_id', 'on_schema_change': 'append_new_columns',
        'post_hook': ["{{ drop_stale_training_sample() }}"]}) -}}
{%- endmacro %}

{% macro spark__training_sample_config() -%}
    {{- return({'materialized': 'table'}) -}}
{%- endmacro %}


{#- The sample's version (empty while dbt parses and in unit tests). -#}
{% macro training_sample_version() -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set parts = var_lines(['targeting__max_training_rows'])
        + model_checksum_lines(['fct_training_sample']) -%}
    {#- (a linter compiling the models against an empty database has no such table) -#}
    {%- set features = ref('fct_feature_snapshots') -%}
    {%- if load_relation(features) is none -%}
        {{- return(version_md5(parts)) -}}
    {%- endif -%}
    {#- one text per snapshot, made in SQL: the same text on every engine -#}
    {%- set query -%}
        select
            product_id || ':' || cast(snapshot_date as string) || ':' || role || ':'
            || feature_version || ':' || cast(count(*) as string) as line
        from {{ features }}
        where role in ('train', 'test')
        group by product_id, snapshot_date, role, feature_version
        order by line
    {%- endset -%}
    {%- do parts.extend(run_query(query).columns[0].values()) -%}
    {{- return(version_md5(parts)) -}}
{%- endmacro %}


{#- Whether the stored sample is of `version`, every row of it: then a run computes
    nothing. False for a first run, a full refresh, a unit test, Spark, an empty table
    and a table written before the sample_version column. -#}
{% macro training_sample_is_current(version) -%}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental() -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if 'sample_version' not in stored -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set versions = run_query(
        "select distinct sample_version from " ~ this).columns[0].values() | list -%}
    {{- return(versions == [version]) -}}
{%- endmacro %}


{#- post-hook: deletes the rows of another version than this run's. -#}
{% macro drop_stale_training_sample() -%}
    {%- if not is_incremental() -%}
        select 1
    {%- else -%}
        delete from {{ this }}
        where sample_version is distinct from '{{ training_sample_version() }}'
    {%- endif -%}
{%- endmacro %}
