{%- set raw_columns = raw_input_columns('events') %}

with

source as (

    select * from {{ source('app', 'events') }}

),

typed as (

    select
        {{ raw_text(raw_columns, 'event_id') }} as event_id,
        {{ raw_text(raw_columns, 'user_id') }} as user_id,
        {{ raw_typed(raw_columns, 'occurred_at', 'timestamp') }} as occurred_at,
        {{ raw_is_present(raw_columns, 'occurred_at', 'timestamp') }} as has_occurred_at,
        lower({{ raw_text(raw_columns, 'event_type') }}) as event_type,
        {{ raw_text(raw_columns, 'item') }} as item,
        {{ raw_typed(raw_columns, 'duration_ms', 'bigint') }} as duration_ms,
        {{ raw_typed(raw_columns, 'scroll_depth_pct', 'double') }} as scroll_depth_pct,
        {{ raw_typed(raw_columns, 'revenue', 'double') }} as revenue,
        {{ raw_is_present(raw_columns, 'revenue', 'double') }} as has_revenue,
        lower({{ raw_text(raw_columns, 'device_type') }}) as device_type,
        {{ raw_text(raw_columns, 'user_agent') }} as user_agent

    from source

),

row_checked as (

    select
        *,
        case
            when event_id is null then 'null_event_id'
            when user_id is null then 'null_user_id'
            when not has_occurred_at then 'null_occurred_at'
            when occurred_at is null then 'unparseable_occurred_at'
            when occurred_at > {{ future_cutoff_at() }} then 'future_occurred_at'
            when event_type is null then 'null_event_type'
            when has_revenue and revenue is null then 'unparseable_revenue'
            when revenue < 0 then 'negative_revenue'
        end as row_issue

    from typed

),

final as (

    select
        event_id,
        user_id,
        occurred_at,
        event_type,
        item,
        duration_ms,
        scroll_depth_pct,
        revenue,
        device_type,
        user_agent,
        row_issue as dq_issue

    from row_checked

)

select * from final
