{#- A stable bucket in [0, buckets) for a text expression: the first 32 bits of its MD5.
    The same text gives the same bucket on every run, machine and engine version. -#}
{% macro hash_bucket(expression, buckets) -%}
    {{ return(adapter.dispatch('hash_bucket', 'targeting')(expression, buckets)) }}
{%- endmacro %}

{% macro default__hash_bucket(expression, buckets) -%}
    (cast(('0x' || left({{ dbt.hash(expression) }}, 8)) as bigint) % {{ buckets }})
{%- endmacro %}

{% macro spark__hash_bucket(expression, buckets) -%}
    (cast(conv(left({{ dbt.hash(expression) }}, 8), 16, 10) as bigint) % {{ buckets }})
{%- endmacro %}
