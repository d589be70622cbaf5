-- The snapshot dates and their roles. `as_of` (var targeting__as_of, else the day after
-- the last clean event) is the score snapshot. The others lie on a fixed calendar grid,
-- targeting__snapshot_origin + k x targeting__snapshot_interval_days, that does not move
-- when new data arrives: the test snapshot is the latest grid date whose label window
-- ends on or before as_of, the train snapshots the grid dates before it whose label
-- windows end on or before the test snapshot (macro snapshot_offsets). So no train label
-- reaches into the test period and no test label past the data, and on most days the
-- train and test snapshots are those of the day before.

{%- set interval = whole_number_var('targeting__snapshot_interval_days') %}
{%- set horizon = whole_number_var('targeting__label_horizon_days') %}
{%- set origin = "cast('" ~ snapshot_origin_var() ~ "' as date)" %}

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

grid as (

    select
        as_of_date,
        first_event_date,
        -- the latest grid date d with d + horizon <= as_of, in days after the origin
        cast(floor(
            ({{ days_between(origin, 'as_of_date') }} - {{ horizon }}) / {{ interval }}
        ) as bigint) * {{ interval }} as test_days_after_origin

    from as_of

),

offsets (role, days_before_test) as (

    values
    {%- for offset in snapshot_offsets() %}
        ('{{ offset.role }}', {{ offset.days_before_test }}){{ ',' if not loop.last }}
    {%- endfor %}

),

dated as (

    select
        offsets.role,
        grid.as_of_date,
        grid.first_event_date,
        case
            when offsets.role = 'score' then grid.as_of_date
            else {{ origin }} + cast(grid.test_days_after_origin - offsets.days_before_test as integer)
        end as snapshot_date

    from offsets
    cross join grid

),

final as (

    select
        -- no clean event at all: nothing to date the snapshots from
        case
            when as_of_date is null
                then
                    {{ raise_sql_error(
                        "'targeting: no clean events, so no snapshot date; fix the inputs '
                        || '(see marts.fct_data_quality) or set var targeting__as_of'"
                    ) }}
            else snapshot_date
        end as snapshot_date,
        role,
        {{ days_between('snapshot_date', 'as_of_date') }} as days_before_as_of,
        snapshot_date + {{ horizon }} as label_end_date,
        role != 'score' as is_labeled,
        {{ days_between('first_event_date', 'snapshot_date') }} as days_of_history

    from dated

)

select * from final
