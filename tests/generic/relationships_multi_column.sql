{#- Every row's key (several columns) exists in the parent, optionally among the parent's
    rows that pass `parent_where`: returns the rows whose key does not. -#}
{% test relationships_multi_column(model, columns, to, where_parent='true') %}

    select child.*
    from {{ model }} as child
    where not exists (
        select 1
        from {{ to }} as parent
        where
            {{ where_parent }}
            {%- for column in columns %}
                and parent.{{ column }} = child.{{ column }}
            {%- endfor %}
    )

{% endtest %}
