{#-
    Where DuckDB and Spark SQL disagree (README, "Scaling out to Spark"). Each macro has a
    default__ version, DuckDB's, and a spark__ override; the models call the macro and
    stay one copy for both engines.
-#}

{#- The columns a query returns, one row each: (name, type, ...). -#}
{% macro describe_query_sql(query) -%}
    {{- return(adapter.dispatch('describe_query_sql', 'targeting')(query)) -}}
{%- endmacro %}

{% macro default__describe_query_sql(query) -%}
    {{- return('describe ' ~ query) -}}
{%- endmacro %}

{% macro spark__describe_query_sql(query) -%}
    {{- return('describe query ' ~ query) -}}
{%- endmacro %}


{#- A column type as DuckDB names it (VARCHAR, BIGINT, TIMESTAMP, "NULL", ...), whatever
    the engine calls it, so one list of accepted input types serves both. -#}
{% macro engine_type_name(type_name) -%}
    {{- return(adapter.dispatch('engine_type_name', 'targeting')(type_name)) -}}
{%- endmacro %}

{% macro default__engine_type_name(type_name) -%}
    {{- return(type_name | upper) -}}
{%- endmacro %}

{% macro spark__engine_type_name(type_name) -%}
    {%- set name = type_name | upper -%}
    {%- set duckdb_names = {
        'STRING': 'VARCHAR', 'INT': 'INTEGER', 'TIMESTAMP_NTZ': 'TIMESTAMP',
        'VOID': '"NULL"', 'BYTE': 'TINYINT', 'SHORT': 'SMALLINT', 'LONG': 'BIGINT',
    } -%}
    {{- return(duckdb_names.get(name, name)) -}}
{%- endmacro %}


{#- A table of the Python models (ml_propensity_models, ml_propensity_scores,
    ml_user_clusters, ml_feature_importances): the dbt model on DuckDB; on Spark, where targeting.spark_ml writes
    it, the source targeting_ml. -#}
{% macro ml_table(name) -%}
    {{- return(adapter.dispatch('ml_table', 'targeting')(name)) -}}
{%- endmacro %}

{% macro default__ml_table(name) -%}
    {{- return(ref(name)) -}}
{%- endmacro %}

{% macro spark__ml_table(name) -%}
    {{- return(source('targeting_ml', name)) -}}
{%- endmacro %}


{#- Whole days from `start` to `end` (dates or timestamps): the number of midnights
    crossed, as DuckDB's date_diff('day', ...) counts them. -#}
{% macro days_between(start, end) -%}
    {{- return(adapter.dispatch('days_between', 'targeting')(start, end)) -}}
{%- endmacro %}

{% macro default__days_between(start, end) -%}
    date_diff('day', {{ start }}, {{ end }})
{%- endmacro %}

{% macro spark__days_between(start, end) -%}
    cast(datediff({{ end }}, {{ start }}) as bigint)
{%- endmacro %}


{#- Whole seconds from `start` to `end` (timestamps): second boundaries crossed, as
    DuckDB's date_diff('second', ...) counts them. -#}
{% macro seconds_between(start, end) -%}
    {{- return(adapter.dispatch('seconds_between', 'targeting')(start, end)) -}}
{%- endmacro %}

{% macro default__seconds_between(start, end) -%}
    date_diff('second', {{ start }}, {{ end }})
{%- endmacro %}

{% macro spark__seconds_between(start, end) -%}
    (unix_seconds({{ end }}) - unix_seconds({{ start }}))
{%- endmacro %}


{#- An interval of `minutes` minutes, to add to a timestamp. -#}
{% macro minutes_interval(minutes) -%}
    {{- return(adapter.dispatch('minutes_interval', 'targeting')(minutes)) -}}
{%- endmacro %}

{% macro default__minutes_interval(minutes) -%}
    to_minutes({{ minutes }})
{%- endmacro %}

{% macro spark__minutes_interval(minutes) -%}
    make_dt_interval(0, 0, {{ minutes }})
{%- endmacro %}


{#- Fails the query with `message` (a text expression) when evaluated. -#}
{% macro raise_sql_error(message) -%}
    {{- return(adapter.dispatch('raise_sql_error', 'targeting')(message)) -}}
{%- endmacro %}

{% macro default__raise_sql_error(message) -%}
    error({{ message }})
{%- endmacro %}

{% macro spark__raise_sql_error(message) -%}
    raise_error({{ message }})
{%- endmacro %}


{#- A timestamp as text to the microsecond, 2026-03-01T14:05:09.000000. -#}
{% macro timestamp_text(expression) -%}
    {{- return(adapter.dispatch('timestamp_text', 'targeting')(expression)) -}}
{%- endmacro %}

{% macro default__timestamp_text(expression) -%}
    strftime({{ expression }}, '%Y-%m-%dT%H:%M:%S.%f')
{%- endmacro %}

{% macro spark__timestamp_text(expression) -%}
    date_format({{ expression }}, "yyyy-MM-dd'T'HH:mm:ss.SSSSSS")
{%- endmacro %}


{#- The values of a text expression, sorted, joined by `separator` (a literal). -#}
{% macro sorted_string_agg(expression, separator) -%}
    {{- return(adapter.dispatch('sorted_string_agg', 'targeting')(expression, separator)) -}}
{%- endmacro %}

{% macro default__sorted_string_agg(expression, separator) -%}
    string_agg({{ expression }}, {{ separator }} order by {{ expression }})
{%- endmacro %}

{% macro spark__sorted_string_agg(expression, separator) -%}
    string_agg({{ expression }}, {{ separator }}) within group (order by {{ expression }})
{%- endmacro %}


{#- The values of a text expression, sorted, as a list (DuckDB varchar[], Spark
    array<string>); nulls left out. -#}
{% macro sorted_string_list(expression) -%}
    {{- return(adapter.dispatch('sorted_string_list', 'targeting')(expression)) -}}
{%- endmacro %}

{% macro default__sorted_string_list(expression) -%}
    list({{ expression }} order by {{ expression }}) filter (where {{ expression }} is not null)
{%- endmacro %}

{% macro spark__sorted_string_list(expression) -%}
    sort_array(collect_list({{ expression }}))
{%- endmacro %}


{#- An empty list of text values, of the type sorted_string_list gives. -#}
{% macro empty_string_list() -%}
    {{- return(adapter.dispatch('empty_string_list', 'targeting')()) -}}
{%- endmacro %}

{% macro default__empty_string_list() -%}
    cast([] as varchar[])
{%- endmacro %}

{% macro spark__empty_string_list() -%}
    cast(array() as array<string>)
{%- endmacro %}


{#- The value of `expression` on the group's first row in the order of `order_by` (a
    comma-separated list of columns that tells the rows apart). -#}
{% macro first_in_order(expression, order_by) -%}
    {{- return(adapter.dispatch('first_in_order', 'targeting')(expression, order_by)) -}}
{%- endmacro %}

{% macro default__first_in_order(expression, order_by) -%}
    first({{ expression }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__first_in_order(expression, order_by) -%}
    min_by({{ expression }}, struct({{ order_by }}))
{%- endmacro %}


{#- dbt-spark enforces a contract's not_null constraints with ALTER COLUMN ... SET NOT
    NULL, which Spark's Parquet tables refuse. On Spark the marts' contracts still check
    every column's name and type, but not nulls: those are checked on DuckDB, and the
    equivalence tests (tests/python/test_spark_equivalence.py) hold the Spark marts to
    DuckDB's, row for row. -#}
{% macro spark__alter_column_set_constraints(relation, column_dict) -%}
{%- endmacro %}
