{#- on-run-start (DuckDB): TARGETING_DUCKDB_STORAGE_VERSION (the profile's
    storage_compatibility_version) only shapes a warehouse file as it is created. When the
    file already exists in a newer format than the one asked for, DuckDB keeps writing that
    format without a word, and the BI tool the setting was for still cannot open it: say
    so, and how to get the file written for older readers. -#}
{% macro check_storage_version() -%}
    {%- if execute and target.type == 'duckdb' -%}
        {%- set versions = run_query(
            "select current_setting('storage_compatibility_version') as requested,"
            ~ " tags['storage_version'] as written, current_database() as name"
            ~ " from duckdb_databases() where database_name = current_database()") -%}
        {%- set requested = versions.columns[0].values()[0] -%}
        {%- set written = versions.columns[1].values()[0] -%}
        {%- set name = versions.columns[2].values()[0] -%}
        {%- if requested != 'latest' and written
            and storage_version_tuple(written) > storage_version_tuple(requested) -%}
            {%- do warn_loudly("targeting: WARNING: TARGETING_DUCKDB_STORAGE_VERSION=" ~ requested
                ~ " asks for a warehouse that DuckDB " ~ requested ~ " can open, but "
                ~ target.path ~ " was created in the format of " ~ written
                ~ " and keeps it: the setting applies only to a new file. Delete the file and"
                ~ " build again (fct_target_lists' history goes with it), or copy it in a"
                ~ " DuckDB 2.0 session that has it open: ATTACH '" ~ name ~ "_compatible.duckdb'"
                ~ " AS compatible (STORAGE_VERSION '" ~ requested ~ "'); COPY FROM DATABASE "
                ~ name ~ " TO compatible;") -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{#- 'v1.0.0+' or 'v1.1.0' as (1, 0, 0) or (1, 1, 0), to compare versions -#}
{% macro storage_version_tuple(version) -%}
    {%- set parts = version | replace('v', '') | replace('+', '') -%}
    {{- return(parts.split('.') | map('int') | list) -}}
{%- endmacro %}
