-- The snapshot dates and their roles. `as_of` (var targeting__as_of, else the day after
-- the last clean event) is the score snapshot; the others lie on a grid every
-- targeting__snapshot_interval_days back from it (macro snapshot_offsets): the test
-- snapshot is the latest whose label window ends on or before as_of, the train snapshots
-- the ones before it whose label windows end on or before the test snapshot. So no train
-- label reaches into the test period and no test label past the data.

with

events as (

    select * from {{ ref('int_events_cleaned') }}

),

as_of as (

    select
        {% if var('targeting__as_of') is none -%}
            max(event_date) + 1
        {%- else -%}
            cast('{{ var("targeting__as_of") }}' as date)
        {%- endif %} as as_of_date,
        min(event_date) as first_event_date

    from events

),

offsets (role, days_before_as_of) as (

    values
    {%- for offset in snapshot_offsets() %}
        ('{{ offset.role }}', {{ offset.days_before_as_of }}){{ ',' if not loop.last }}
    {%- endfor %}

),

final as (

    select
        -- no clean event at all: nothing to date the snapshots from
        case
            when as_of.as_of_date is null
                then
                    {{ raise_sql_error(
                        "'targeting: no clean events, so no snapshot date; fix the inputs '
                        || '(see marts.fct_data_quality) or set var targeting__as_of'"
                    ) }}
            else as_of.as_of_date - offsets.days_before_as_of
        end as snapshot_date,
        offsets.role,
        offsets.days_before_as_of,
        as_of.as_of_date - offsets.days_before_as_of
        + {{ var('targeting__label_horizon_days') }} as label_end_date,
        offsets.role != 'score' as is_labeled,
        {{ days_between('as_of.first_event_date', 'as_of.as_of_date - offsets.days_before_as_of') }}
            as days_of_history

    from offsets
    cross join as_of

)

select * from final
