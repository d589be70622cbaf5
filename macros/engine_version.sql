{#- on-run-start (DuckDB): the DuckDB releases a build is known to fail on at random, and
    why. requirements.txt pins one without these bugs; an environment set up some other
    way can still hold one, and its failure names no cause a user could act on. -#}
{% macro check_duckdb_version() -%}
    {%- if execute and target.type == 'duckdb' -%}
        {%- do duckdb_version_warning(run_query('select version()').columns[0].values()[0]) -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{#- The warning for DuckDB `version` (as version() gives it: 'v2.0.0'), if it is known bad. -#}
{% macro duckdb_version_warning(version) -%}
    {%- set known_bad = {
        'v2.0.0': "its dictionary-keeping hash join can stop a model at random with"
            ~ " 'INTERNAL Error: dict-surviving join' and invalidate the database for the rest"
            ~ " of the build (README, 'When things go wrong')",
    } -%}
    {%- if version in known_bad -%}
        {%- do warn_loudly("targeting: WARNING: DuckDB " ~ version ~ ": " ~ known_bad[version]
            ~ ". Install the pinned DuckDB 2.0.1, which does not have this bug: make install,"
            ~ " or pip install -r requirements.txt.") -%}
    {%- endif -%}
{%- endmacro %}
