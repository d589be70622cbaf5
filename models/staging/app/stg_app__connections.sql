{%- set raw_columns = raw_input_columns('connections') %}

with

source as (

    select * from {{ source('app', 'connections') }}

),

typed as (

    select
        {{ raw_text(raw_columns, 'user_id') }} as raw_user_id,
        {{ raw_text(raw_columns, 'connected_user_id') }} as raw_connected_user_id,
        {{ raw_typed(raw_columns, 'connected_at', 'timestamp') }} as connected_at,
        {{ raw_is_present(raw_columns, 'connected_at', 'timestamp') }} as has_connected_at

    from source

),

undirected as (

    -- An edge is undirected: (a, b) and (b, a) are the same edge, kept as (lower, higher).
    -- A row with a missing end keeps its ends as they were (least() would skip the null).
    select
        case
            when raw_user_id is null or raw_connected_user_id is null then raw_user_id
            else least(raw_user_id, raw_connected_user_id)
        end as user_id,
        case
            when raw_user_id is null or raw_connected_user_id is null then raw_connected_user_id
            else greatest(raw_user_id, raw_connected_user_id)
        end as connected_user_id,
        connected_at,
        case
            when raw_user_id is null or raw_connected_user_id is null then 'null_user_id'
            when raw_user_id = raw_connected_user_id then 'self_loop'
            when has_connected_at and connected_at is null then 'unparseable_connected_at'
            when connected_at > {{ future_cutoff_at() }} then 'future_connected_at'
        end as row_issue

    from typed

),

ranked as (

    -- Of several rows for one pair, the earliest valid one is the edge; the rest are repeats.
    select
        *,
        row_number() over (
            partition by user_id, connected_user_id
            order by row_issue is not null, connected_at nulls last
        ) as edge_row_number

    from undirected

),

final as (

    select
        user_id,
        connected_user_id,
        connected_at,
        coalesce(
            row_issue,
            case when edge_row_number > 1 then 'duplicate_edge' end
        ) as dq_issue

    from ranked

)

select * from final
