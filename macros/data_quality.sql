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
    sha256('{{ env_var("TARGETING_PII_SALT", "targeting-dev-salt") }}' || lower({{ expression }}))
{%- endmacro %}
