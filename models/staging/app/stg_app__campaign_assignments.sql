{%- set is_read = raw_input_is_read('campaign_assignments') %}
{%- set raw_columns = raw_input_columns('campaign_assignments') if is_read else {} %}

with

source as (

    {%- if is_read %}
        select * from {{ source('app', 'campaign_assignments') }}
    {%- else %}
        -- no campaign input (optional): no rows, the build is what it is without campaigns
        select 1 as no_input
        where false
    {%- endif %}

),

typed as (

    select
        {{ raw_text(raw_columns, 'campaign_id') }} as campaign_id,
        {{ raw_text(raw_columns, 'user_id') }} as user_id,
        {{ raw_text(raw_columns, 'product_id') }} as product_id,
        {{ raw_typed(raw_columns, 'assigned_at', 'timestamp') }} as assigned_at,
        {{ raw_is_present(raw_columns, 'assigned_at', 'timestamp') }} as has_assigned_at,
        lower({{ raw_text(raw_columns, 'arm') }}) as arm

    from source

),

row_checked as (

    select
        *,
        case
            when campaign_id is null then 'null_campaign_id'
            when user_id is null then 'null_user_id'
            when product_id is null then 'null_product_id'
            when not has_assigned_at then 'null_assigned_at'
            when assigned_at is null then 'unparseable_assigned_at'
            when assigned_at > {{ future_cutoff_at() }} then 'future_assigned_at'
            when arm is null or arm not in ('contacted', 'holdout') then 'unknown_arm'
        end as row_issue

    from typed

),

ranked as (

    -- A user is in one arm of a campaign: the first valid assignment counts, later rows
    -- (the same arm again, or the other) are repeats.
    select
        *,
        row_number() over (
            partition by campaign_id, user_id
            order by row_issue is not null, assigned_at, arm, product_id
        ) as assignment_row_number

    from row_checked

),

final as (

    select
        campaign_id,
        user_id,
        product_id,
        assigned_at,
        arm,
        coalesce(
            row_issue,
            case when assignment_row_number > 1 then 'duplicate_assignment' end
        ) as dq_issue

    from ranked

)

select * from final
