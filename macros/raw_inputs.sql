{#-
    Reading the raw input files (sources app.*) safely.

    The source's meta.external_location is a read_parquet / read_csv call on
    var('targeting__raw_path'). These macros check the files before anything reads
    them and let staging refer to optional columns that a user's file may not have.
    Columns marked `meta: {required: true}` in _app__sources.yml must exist.
-#}

{% macro raw_input_file(table_name) -%}
    {{- var('targeting__raw_path') ~ '/' ~ table_name ~ '.' ~ var('targeting__raw_format') -}}
{%- endmacro %}


{% macro check_raw_config() -%}
    {%- set raw_format = var('targeting__raw_format') -%}
    {%- if raw_format not in ['parquet', 'csv'] -%}
        {{- exceptions.raise_compiler_error(
            "targeting: var targeting__raw_format is '" ~ raw_format
            ~ "'; set it to parquet or csv (the extension of your input files).") -}}
    {%- endif -%}
    {%- if not var('targeting__raw_path') -%}
        {{- exceptions.raise_compiler_error(
            "targeting: var targeting__raw_path is empty; set it to the folder with"
            ~ " users, events, connections and adoptions (make run RAW_PATH=/path/to/files).") -}}
    {%- endif -%}
{%- endmacro %}


{#- Whether an input is read. The four main inputs always are; an optional one (meta
    optional, campaign_assignments) as var targeting__<table> says: true (the file must be
    there), false (never read), or auto: when the file is there, on DuckDB; Spark cannot
    look for a file from SQL, so there auto reads nothing (make run-spark sets the var to
    true when the file is there). At parse time, for the linter and in unit tests it
    counts as read, so that dbt records the source. -#}
{% macro raw_input_is_read(table_name) -%}
    {%- if not execute or target.name == 'lint' or model.resource_type == 'unit_test' -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set node = graph.sources.values() | selectattr('source_name', 'equalto', 'app')
        | selectattr('name', 'equalto', table_name) | first -%}
    {%- if not node.meta.get('optional') -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set setting = var('targeting__' ~ table_name) -%}
    {%- if setting == 'auto' -%}
        {{- return(target.type != 'spark' and raw_input_file_exists(raw_input_file(table_name))) -}}
    {%- endif -%}
    {{- return(setting is sameas true) -}}
{%- endmacro %}


{#- The columns of one raw file as {lowercase name: DuckDB type}; fails with a sentence
    naming the file, the column and the var to change when the file or a required
    column is missing. An input with no rows at all (say a zero-byte connections.csv)
    needs no columns.
    Returns none where no file should be read: at parse time, for sqlfluff (the lint
    target) and in unit tests (the fixture stands in for the file, and dbt has no graph
    of sources there). The raw_* macros then take every column as present and text,
    as a CSV input is. -#}
{% macro raw_input_columns(table_name) -%}
    {%- if not execute or target.name == 'lint' or model.resource_type == 'unit_test' -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- check_raw_config() -}}
    {%- set node = graph.sources.values() | selectattr('source_name', 'equalto', 'app')
        | selectattr('name', 'equalto', table_name) | first -%}
    {%- set path = raw_input_file(table_name) -%}
    {%- if not raw_input_file_exists(path) -%}
        {{- exceptions.raise_compiler_error(
            "targeting: input file " ~ path ~ " not found (source app." ~ table_name ~ ")."
            ~ " Put " ~ table_name ~ "." ~ var('targeting__raw_format') ~ " there, or point var"
            ~ " targeting__raw_path at the folder that holds it (make run RAW_PATH=/path/to/files);"
            ~ " for CSV files set var targeting__raw_format to csv.") -}}
    {%- endif -%}
    {%- set reader = raw_input_relation(node) -%}
    {%- set described = run_query(describe_query_sql("select * from " ~ reader)) -%}
    {%- set columns = {} -%}
    {%- for row in described.rows -%}
        {%- do columns.update({row[0] | lower: engine_type_name(row[1])}) -%}
    {%- endfor -%}
    {%- set missing = [] -%}
    {%- for column in node.columns.values() if column.meta.get('required') and column.name not in columns -%}
        {%- do missing.append(column.name) -%}
    {%- endfor -%}
    {%- set n_rows = run_query("select count(*) from " ~ reader).columns[0].values()[0] -%}
    {%- if missing and n_rows > 0 -%}
        {{- exceptions.raise_compiler_error(
            "targeting: input file " ~ path ~ " has no column " ~ missing | join(', ')
            ~ " (required for source app." ~ table_name ~ "; columns found: "
            ~ columns.keys() | list | join(', ') ~ "). Rename the column in the file,"
            ~ " or point var targeting__raw_path at the right folder.") -}}
    {%- endif -%}
    {%- if table_name == 'events' and n_rows == 0 -%}
        {{- exceptions.raise_compiler_error(
            "targeting: input file " ~ path ~ " has no rows: without events there is no"
            ~ " behavior and no snapshot date. Put the events in the file, or point var"
            ~ " targeting__raw_path at the folder that holds them.") -}}
    {%- endif -%}
    {#- a Parquet column of the wrong kind cannot be typed row by row: say so -#}
    {#- (a column of type NULL holds nothing at all: it reads as an all-null column) -#}
    {%- set accepted = {
        'time': ['TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP_NS', 'TIMESTAMP_MS',
                 'TIMESTAMP_S', 'DATE', 'VARCHAR', '"NULL"'],
        'number': ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT',
                   'USMALLINT', 'UINTEGER', 'UBIGINT', 'FLOAT', 'DOUBLE', 'VARCHAR', '"NULL"'],
    } -%}
    {%- for column in node.columns.values() if column.meta.get('kind') and column.name in columns -%}
        {%- set found = columns[column.name] -%}
        {%- if found not in accepted[column.meta.kind] and not found.startswith('DECIMAL') -%}
            {{- exceptions.raise_compiler_error(
                "targeting: column " ~ column.name ~ " of input file " ~ path ~ " is " ~ found
                ~ "; it must be " ~ ("a timestamp, a date, or text like 2026-03-01 14:05:09 (UTC)"
                if column.meta.kind == 'time' else "a number, or text holding one")
                ~ ". Convert the column in the file (source app." ~ table_name ~ ").") -}}
        {%- endif -%}
    {%- endfor -%}
    {{- return(columns) -}}
{%- endmacro %}


{#- Whether the input file is there. Spark cannot look from SQL: it reads the file, and a
    missing one fails there with Spark's PATH_NOT_FOUND naming the path. -#}
{% macro raw_input_file_exists(path) -%}
    {{- return(adapter.dispatch('raw_input_file_exists', 'targeting')(path)) -}}
{%- endmacro %}

{% macro default__raw_input_file_exists(path) -%}
    {{- return(run_query("select count(*) from glob('" ~ path ~ "')").columns[0].values()[0] > 0) -}}
{%- endmacro %}

{% macro spark__raw_input_file_exists(path) -%}
    {{- return(true) -}}
{%- endmacro %}


{#- What reads one raw file in SQL. dbt-duckdb reads the source's meta.external_location
    (a read_parquet / read_csv call); on Spark, source() names a table in schema `app`
    that register_raw_inputs (on-run-start) points at the file. -#}
{% macro raw_input_relation(node) -%}
    {{- return(adapter.dispatch('raw_input_relation', 'targeting')(node)) -}}
{%- endmacro %}

{% macro default__raw_input_relation(node) -%}
    {{- return(node.meta.external_location | replace('{name}', node.name)) -}}
{%- endmacro %}

{% macro spark__raw_input_relation(node) -%}
    {{- return(node.schema ~ '.' ~ node.identifier) -}}
{%- endmacro %}


{#- The raw file's location as the engine needs it: Spark resolves a relative path against
    its warehouse, so it gets the absolute path (from the directory dbt runs in); a URI
    such as s3a://bucket/folder is left as it is. -#}
{% macro raw_input_location(table_name) -%}
    {%- set path = raw_input_file(table_name) -%}
    {%- if path.startswith('/') or '://' in path -%}
        {{- return(path) -}}
    {%- endif -%}
    {{- return(env_var('PWD') ~ '/' ~ path) -}}
{%- endmacro %}


{#- on-run-start, first: on Spark, (re)create the external tables app.users, app.events,
    app.connections and app.adoptions over the input files (CSV: header row, every
    column text, as DuckDB reads it). Nothing to do on DuckDB. -#}
{% macro register_raw_inputs() -%}
    {{- return(adapter.dispatch('register_raw_inputs', 'targeting')()) -}}
{%- endmacro %}

{% macro default__register_raw_inputs() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_inputs() -%}
    {%- if execute -%}
        {%- do check_raw_config() -%}
        {%- for node in graph.sources.values()
            if node.source_name == 'app' and raw_input_is_read(node.name) -%}
            {#- read the file itself first: a missing one fails with PATH_NOT_FOUND and its
                path (a table over it would fail with UNABLE_TO_INFER_SCHEMA, no path) -#}
            {%- do run_query(describe_query_sql('select * from ' ~ var('targeting__raw_format')
                ~ '.`' ~ raw_input_location(node.name) ~ '`')) -%}
            {%- do run_query('create database if not exists ' ~ node.schema) -%}
            {%- do run_query('drop table if exists ' ~ node.schema ~ '.' ~ node.identifier) -%}
            {%- do run_query('create table ' ~ node.schema ~ '.' ~ node.identifier
                ~ ' using ' ~ var('targeting__raw_format')
                ~ " options (path '" ~ raw_input_location(node.name) ~ "'"
                ~ (", header 'true'" if var('targeting__raw_format') == 'csv' else '') ~ ')') -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{#- on-run-start: check every input before a model reads one. -#}
{% macro validate_raw_inputs() -%}
    {%- if execute -%}
        {%- for node in graph.sources.values()
            if node.source_name == 'app' and raw_input_is_read(node.name) -%}
            {%- do raw_input_columns(node.name) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{#- Column expressions over a raw file's columns (what raw_input_columns returns). A
    column the file lacks reads as a typed null; with no column list (none), every
    column is taken as present and text. -#}

{% macro raw_column_type(raw_columns, column_name) -%}
    {{- return('VARCHAR' if raw_columns is none else raw_columns.get(column_name)) -}}
{%- endmacro %}


{% macro raw_text(raw_columns, column_name) -%}
    {%- set raw_type = raw_column_type(raw_columns, column_name) -%}
    {%- if raw_type is none -%}
        cast(null as string)
    {%- elif raw_type != 'VARCHAR' -%}
        {#- a number (an integer event id) as text is never blank or padded: no trim, which
            took 0.3 s of the 2.6 s the 10M events of S take to read (measured) -#}
        cast({{ adapter.quote(column_name) }} as string)
    {%- else -%}
        nullif(trim(cast({{ adapter.quote(column_name) }} as string)), '')
    {%- endif -%}
{%- endmacro %}


{% macro raw_typed(raw_columns, column_name, data_type) -%}
    {%- set raw_type = raw_column_type(raw_columns, column_name) -%}
    {%- if raw_type is none -%}
        cast(null as {{ data_type }})
    {%- elif raw_type == data_type | upper -%}
        {{ adapter.quote(column_name) }}
    {%- elif raw_type == 'VARCHAR' -%}
        {#- the text as it is first, trimmed only where that does not parse: a value that
            parses as it is parses to the same after trimming, and most values need no
            trimming (a parse of the trimmed text of every row took 4x as long) -#}
        coalesce(
            try_cast({{ adapter.quote(column_name) }} as {{ data_type }}),
            try_cast(nullif(trim({{ adapter.quote(column_name) }}), '') as {{ data_type }})
        )
    {%- else -%}
        try_cast({{ adapter.quote(column_name) }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}


{#- True when the raw value is there at all (not null, not blank), parseable or not.
    `data_type` is the type the column is read as (raw_typed): text that parses as it is
    counts as there without trimming it (blank text never parses). -#}
{% macro raw_is_present(raw_columns, column_name, data_type) -%}
    {%- set raw_type = raw_column_type(raw_columns, column_name) -%}
    {%- if raw_type is none -%}
        false
    {%- elif raw_type == 'VARCHAR' -%}
        ({{ adapter.quote(column_name) }} is not null and (
            try_cast({{ adapter.quote(column_name) }} as {{ data_type }}) is not null
            or trim({{ adapter.quote(column_name) }}) != ''
        ))
    {%- else -%}
        ({{ adapter.quote(column_name) }} is not null)
    {%- endif -%}
{%- endmacro %}
