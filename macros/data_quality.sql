{#- The instant after which a timestamp counts as future (a clock error, not data):
    var targeting__future_cutoff_at, or the time this run started (UTC). -#}
{% macro future_cutoff_at() -%}
    {%- set cutoff = var('targeting__future_cutoff_at') -%}
    {%- if cutoff is none -%}
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
    {%- else -%}
        cast('{{ cutoff }}' as timestamp)
    {%- endif -%}
{%- endmacro %}


{#- The salted hash that replaces a piece of personal data (email) in staging: SHA-256,
    as hex, of the salt followed by the lowercased value. The salt comes from the
    environment variable TARGETING_PII_SALT and is read inside the engine, at run time,
    never here: rendered into SQL, it would be kept in dbt's artifacts (target/, the
    docs' manifest.json, run_results.json, the logs), and with it anyone could test
    guessed addresses against the hashes. Without the variable the public development
    salt below is used (check_pii_salt warns on real targets). -#}
{% macro pii_dev_salt() -%}
    targeting-dev-salt
{%- endmacro %}

{% macro pii_hash(expression) -%}
    {{- return(adapter.dispatch('pii_hash', 'targeting')(expression)) -}}
{%- endmacro %}

{#- DuckDB: a function the plugin targeting.pii registers on dbt's connection (profiles.yml) -#}
{% macro default__pii_hash(expression) -%}
    targeting_pii_hash(lower({{ expression }}), '{{ pii_dev_salt() }}')
{%- endmacro %}

{#- Spark: the JVM reads the variable (java.lang.System.getenv); null when it is not set -#}
{% macro spark_pii_salt() -%}
    java_method('java.lang.System', 'getenv', 'TARGETING_PII_SALT')
{%- endmacro %}

{% macro spark__pii_hash(expression) -%}
    sha2(coalesce({{ spark_pii_salt() }}, '{{ pii_dev_salt() }}') || lower({{ expression }}), 256)
{%- endmacro %}

{#- A query whose one value says whether TARGETING_PII_SALT is set (and not empty), read
    inside the engine like the salt itself. -#}
{% macro pii_salt_is_set_query() -%}
    {{- return(adapter.dispatch('pii_salt_is_set_query', 'targeting')()) -}}
{%- endmacro %}

{% macro default__pii_salt_is_set_query() -%}
    select targeting_pii_salt_is_set()
{%- endmacro %}

{% macro spark__pii_salt_is_set_query() -%}
    select coalesce(length({{ spark_pii_salt() }}), 0) > 0
{%- endmacro %}


{#- A warning the build goes on after: in the run's output (info) and as dbt's warning. -#}
{% macro warn_loudly(message) -%}
    {{- log(message, info=true) -}}
    {%- do exceptions.warn(message) -%}
{%- endmacro %}


{#- on-run-start: the default salt is public (it is in this repository), so a hash made
    with it can be reversed by hashing guessed emails. Fine for the demo on `dev`; on any
    other target, say so loudly. -#}
{% macro check_pii_salt() -%}
    {%- if execute and target.name not in ['dev', 'lint']
        and not run_query(pii_salt_is_set_query()).columns[0].values()[0] -%}
        {%- set message = "targeting: WARNING: TARGETING_PII_SALT is not set on target '" ~ target.name
            ~ "': emails are hashed with the public development salt, which anyone with this"
            ~ " repository can use to test guesses. Set TARGETING_PII_SALT to a secret before"
            ~ " building real data." -%}
        {%- do warn_loudly(message) -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{#- post-hook of int_products: with no product to target the build goes on (the behavior,
    segments and data quality still serve), but says loudly why every target list is empty. -#}
{% macro warn_when_no_products() -%}
    {%- if execute and model.resource_type == 'model' -%}
        {%- set n_products = run_query('select count(*) from ' ~ this).columns[0].values()[0] -%}
        {%- if n_products == 0 -%}
            {%- set message = "targeting: WARNING: no product has a valid adoption in "
                ~ raw_input_file('adoptions') ~ " (source app.adoptions, columns user_id,"
                ~ " product_id, adopted_at): nothing to learn from, so the models are"
                ~ " skipped and every target list is empty. Add at least one valid adoption"
                ~ " per product to target; marts.fct_data_quality shows why rows were"
                ~ " quarantined." -%}
            {%- do warn_loudly(message) -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
