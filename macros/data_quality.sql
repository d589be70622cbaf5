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


{#- The salted hash that replaces a piece of personal data (email) in staging. The salt
    comes from the environment variable TARGETING_PII_SALT, never from the repository. -#}
{% macro pii_hash(expression) -%}
    {{ sha256_hex("'" ~ env_var("TARGETING_PII_SALT", "targeting-dev-salt") ~ "' || lower(" ~ expression ~ ")") }}
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
    {%- if execute and target.name not in ['dev', 'lint'] and not env_var('TARGETING_PII_SALT', '') -%}
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
