{{
    config(**incremental_by_day('activity_date'))
}}

-- One row per user, day and item (a feature used or a page seen): for distinct features
-- used and for adopter item affinity. Incremental: a run rebuilds the days from
-- rebuild_from_date on.

{%- set rebuild_from = rebuild_from_date('activity_date') %}

with

events as (

    select * from {{ ref('int_events_cleaned') }}
    {%- if rebuild_from %}
        where event_date >= {{ rebuild_from }}
    {%- endif %}

),

final as (

    select
        user_id,
        event_date as activity_date,
        item_kind,
        item,
        count(*) as n_uses,
        {{ built_at() }} as built_at

    from events
    where item_kind is not null and item is not null
    group by user_id, event_date, item_kind, item

)

select * from final
