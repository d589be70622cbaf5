{%- set raw_columns = raw_input_columns('adoptions') %}

with

source as (

    select * from {{ source('app', 'adoptions') }}

),

typed as (

    select
        {{ raw_text(raw_columns, 'user_id') }} as user_id,
        {{ raw_text(raw_columns, 'product_id') }} as product_id,
        {{ raw_typed(raw_columns, 'adopted_at', 'timestamp') }} as adopted_at,
        {{ raw_is_present(raw_columns, 'adopted_at', 'timestamp') }} as has_adopted_at

    from source

),

row_checked as (

    select
        *,
        case
            when user_id is null then 'null_user_id'
            when product_id is null then 'null_product_id'
            when not has_adopted_at then 'null_adopted_at'
            when adopted_at is null then 'unparseable_adopted_at'
            when adopted_at > {{ future_cutoff_at() }} then 'future_adopted_at'
        end as row_issue

    from typed

),

ranked as (

    -- A user adopts a product once: the first valid adoption counts, later rows are repeats.
    select
        *,
        row_number() over (
            partition by user_id, product_id
            order by row_issue is not null, adopted_at
        ) as adoption_row_number

    from row_checked

),

final as (

    select
        user_id,
        product_id,
        adopted_at,
        coalesce(
            row_issue,
            case when adoption_row_number > 1 then 'duplicate_adoption' end
        ) as dq_issue

    from ranked

)

select * from final
