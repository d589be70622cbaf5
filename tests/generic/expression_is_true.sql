{#- A row rule: returns the rows for which the expression does not hold. -#}
{% test expression_is_true(model, expression, column_name=none) %}

    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)

{% endtest %}
