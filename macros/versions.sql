{#- The versions that incremental models stamp on their rows (feature_version,
    evaluation_version, sample_version): an md5 of what a stored row depends on, so that
    a run finds rows computed under other vars, other code or other inputs and computes
    them again. Each is lines of text, one per thing it depends on; the project's macros
    are in every version. -#}

{#- md5 of `parts` (a list of lines) and of the project's macros' code (graph has no
    macros: the project's namespace lists them). -#}
{% macro version_md5(parts) -%}
    {%- set lines = parts | list -%}
    {%- for name in targeting | sort -%}
        {%- do lines.append(name ~ '=' ~ local_md5(targeting[name].macro.macro_sql)) -%}
    {%- endfor -%}
    {{- return(local_md5(lines | join('\n'))) -}}
{%- endmacro %}


{#- `name=value` of each var of `names`. -#}
{% macro var_lines(names) -%}
    {%- set lines = [] -%}
    {%- for name in names -%}
        {%- do lines.append(name ~ '=' ~ tojson(var(name))) -%}
    {%- endfor -%}
    {{- return(lines) -}}
{%- endmacro %}


{#- `unique_id=checksum` of the project's models named in `names`, by unique_id. -#}
{% macro model_checksum_lines(names) -%}
    {%- set lines = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
        {%- if node.package_name == project_name and node.resource_type == 'model'
            and node.name in names -%}
            {%- do lines.append(node.unique_id ~ '=' ~ node.checksum.checksum) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(lines) -}}
{%- endmacro %}
