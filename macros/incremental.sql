{#- Incremental event processing (README, "Scale").

    An incremental run rebuilds the days from the latest day already built, less
    targeting__late_event_days, so events that arrive up to that many days late are still
    taken in; everything before stays as it was. This returns that first day as a date
    literal (read from the model's own table when the run starts, so the engine can skip
    the older parts of its inputs), or none on a full refresh or a first run, which build
    everything. `date_column` is the model's day column; `where` restricts the rows that
    count (the clean ones, so a far-future clock error cannot move the window). -#}
{% macro rebuild_from_date(date_column, where='true') -%}
    {#- a unit test builds from its fixtures: always "everything" -#}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental() -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set latest = run_query(
        "select max(" ~ date_column ~ ") from " ~ this ~ " where " ~ where
    ).columns[0].values()[0] -%}
    {%- if latest is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set first_day = latest - modules.datetime.timedelta(days=var('targeting__late_event_days')) -%}
    {{- return("date '" ~ first_day.strftime('%Y-%m-%d') ~ "'") -}}
{%- endmacro %}


{#- The configuration of a model built incrementally by whole days of `day_column`: the
    days a run produces replace those days in the table (DuckDB: delete+insert on the
    day). On Spark the model is a table built in full every run: a Parquet table has no
    delete, and overwriting day partitions (insert_overwrite) registers each day in the
    Hive metastore, which took longer than the whole rebuild (README, "Scaling out to
    Spark"). -#}
{% macro incremental_by_day(day_column) -%}
    {{- return(adapter.dispatch('incremental_by_day', 'targeting')(day_column)) -}}
{%- endmacro %}

{% macro default__incremental_by_day(day_column) -%}
    {#- a column added to the model (built_at) is added to the table, null in the rows
        written before it -#}
    {{- return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
        'unique_key': day_column, 'on_schema_change': 'append_new_columns'}) -}}
{%- endmacro %}

{% macro spark__incremental_by_day(day_column) -%}
    {{- return({'materialized': 'table'}) -}}
{%- endmacro %}


{#- The configuration of a history table kept by whole days of `day_column`: each run
    writes the day it produces, replacing that day's rows if a run wrote it before, and
    keeps the other days (fct_target_lists). DuckDB: delete+insert on the day, then the
    days more than `keep_days` before the latest are deleted; Spark: insert_overwrite of
    the day's partition (dbt-spark overwrites only the partitions the run writes), every
    day kept, since a Parquet table has no delete. `dbt build --full-refresh` (after late
    events, a changed feature var) leaves the history alone (full_refresh: false): drop
    the table by hand to start it again. -#}
{% macro history_by_day(day_column, keep_days) -%}
    {{- return(adapter.dispatch('history_by_day', 'targeting')(day_column, keep_days)) -}}
{%- endmacro %}

{% macro default__history_by_day(day_column, keep_days) -%}
    {%- set retention = "delete from {{ this }} where " ~ day_column ~ " < (select max("
        ~ day_column ~ ") from {{ this }}) - interval " ~ keep_days ~ " day" -%}
    {{- return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
        'unique_key': day_column, 'on_schema_change': 'append_new_columns',
        'full_refresh': false, 'post_hook': [retention]}) -}}
{%- endmacro %}

{% macro spark__history_by_day(day_column, keep_days) -%}
    {{- return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite',
        'partition_by': [day_column], 'on_schema_change': 'append_new_columns',
        'full_refresh': false}) -}}
{%- endmacro %}


{#- When the run that wrote a row started (UTC, dbt's run_started_at): every row one run
    writes shares it. The tables a daily run extends by a day or a snapshot carry it as
    `built_at`, so their uniqueness tests check the latest run's rows against the whole
    table instead of the whole table again (test unique_combination_of_columns,
    latest_batch). -#}
{% macro built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}


{#- Post-hook of the Python models (dbt_project.yml). On an incremental run dbt-duckdb
    has a Python model write its new rows to <name>__dbt_tmp<timestamp> before it merges
    them into the table. It takes that for a temporary table, gone with the connection,
    and never drops it; but a Python model writes it as a table of the database's main
    schema (on a connection of its own, where a temporary table would not be seen), so
    every daily run left one more (dbt-duckdb 1.10). This drops the model's copies once
    its rows are in: nothing else uses the name. -#}
{% macro drop_python_model_copies() -%}
    {%- if not execute or target.type != 'duckdb' or not is_incremental() -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set copies = run_query(
        "select table_name from information_schema.tables"
        ~ " where table_catalog = '" ~ this.database ~ "' and table_schema = 'main'"
        ~ " and starts_with(table_name, '" ~ this.identifier ~ "__dbt_tmp')"
        ~ " order by table_name"
    ).columns[0].values() -%}
    {%- for name in copies %}
        drop table if exists {{ adapter.quote(this.database) }}.main.{{ adapter.quote(name) }};
    {%- endfor -%}
{%- endmacro %}
