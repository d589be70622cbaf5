{#-
    Schemas are exactly staging, intermediate, ml and marts on every target (no
    `<target>_` prefix), so a BI tool queries marts.fct_data_quality on any machine.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
