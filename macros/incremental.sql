{#- Incremental event processing (README, "Scale").

    An incremental run rebuilds the days from the latest day already built, less
    targeting__late_event_days, so events that arrive up to that many days late are still
    taken in; everything before stays as it was. This returns that first day as a date
    literal (read from the model's own table when the run starts, so the engine can skip
    the older parts of its inputs), or none on a full refresh or a first run, which build
    everything. `date_column` is the model's day column; `where` restricts the rows that
    count (the clean ones, so a far-future clock error cannot move the window). -#}
{% macro rebuild_from_date(date_column, where='true') -%}
    {#- a unit test builds from its fixtures: always "everything" -#}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental() -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set latest = run_query(
        "select max(" ~ date_column ~ ") from " ~ this ~ " where " ~ where
    ).columns[0].values()[0] -%}
    {%- if latest is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set first_day = latest - modules.datetime.timedelta(days=var('targeting__late_event_days')) -%}
    {{- return("date '" ~ first_day.strftime('%Y-%m-%d') ~ "'") -}}
{%- endmacro %}
