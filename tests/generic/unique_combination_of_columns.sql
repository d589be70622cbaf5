{#- The columns together identify a row: no combination occurs twice.

    `latest_batch`: on a table that each daily run extends, the column stamping the run
    that wrote each row (`built_at`). Only the combinations of the latest run's rows are
    checked, against every row of the table: a daily run checks what it added (a day of
    events, a score snapshot), not the whole history again, and a full build, whose rows
    share one stamp, checks everything. A duplicate among rows an earlier run wrote was
    that run's to find. `partitioned_by`: a column of the combination by which the table
    is written (a day, a snapshot date): a row whose value of it the latest run did not
    write cannot repeat one of that run's combinations, so it is not read. -#}
{% test unique_combination_of_columns(
    model, combination_of_columns, latest_batch=none, partitioned_by=none
) %}

{%- set columns = combination_of_columns | join(', ') %}

{%- if latest_batch is none %}

    select
        {{ columns }},
        count(*) as n_rows

    from {{ model }}
    group by {{ columns }}
    having count(*) > 1

{%- else %}

    with

    written as (

        select * from {{ model }}

    ),

    latest as (

        select distinct {{ columns }}
        from written
        where {{ latest_batch }} = (select max({{ latest_batch }}) from written)

    ),

    checked as (

        select * from written
        {%- if partitioned_by %}
            where {{ partitioned_by }} in (select latest.{{ partitioned_by }} from latest)
        {%- endif %}

    )

    select
        {%- for column in combination_of_columns %}
            checked.{{ column }},
        {%- endfor %}
        count(*) as n_rows

    from checked
    semi join latest
        on
            {%- for column in combination_of_columns %}
                checked.{{ column }} is not distinct from latest.{{ column }}
                {{- ' and' if not loop.last }}
            {%- endfor %}
    group by {% for column in combination_of_columns %}checked.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
    having count(*) > 1

{%- endif %}

{% endtest %}
