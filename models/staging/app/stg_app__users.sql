{%- set raw_columns = raw_input_columns('users') %}

with

source as (

    select * from {{ source('app', 'users') }}

),

typed as (

    select
        {{ raw_text(raw_columns, 'user_id') }} as user_id,
        {{ raw_typed(raw_columns, 'signup_at', 'timestamp') }} as signup_at,
        {{ raw_is_present(raw_columns, 'signup_at', 'timestamp') }} as has_signup_at,
        {{ pii_hash(raw_text(raw_columns, 'email')) }} as email_hash,
        {{ raw_text(raw_columns, 'country') }} as country,
        {{ raw_text(raw_columns, 'industry') }} as industry,
        {{ raw_text(raw_columns, 'job_title') }} as job_title,
        {{ raw_text(raw_columns, 'company_size') }} as company_size,
        {{ raw_typed(raw_columns, 'birth_year', 'integer') }} as birth_year,
        lower({{ raw_text(raw_columns, 'plan') }}) as plan,
        {{ raw_text(raw_columns, 'team_id') }} as team_id

    from source

),

row_checked as (

    select
        *,
        case
            when user_id is null then 'null_user_id'
            when not has_signup_at then 'null_signup_at'
            when signup_at is null then 'unparseable_signup_at'
            when signup_at > {{ future_cutoff_at() }} then 'future_signup_at'
        end as row_issue

    from typed

),

ranked as (

    -- Of several rows for one user id, the first valid one is the user; the rest are repeats.
    select
        *,
        row_number() over (
            partition by user_id
            order by
                row_issue is not null, signup_at, email_hash, country, industry,
                job_title, company_size, birth_year, plan, team_id
        ) as user_row_number

    from row_checked

),

final as (

    select
        user_id,
        signup_at,
        email_hash,
        country,
        industry,
        job_title,
        company_size,
        birth_year,
        plan,
        team_id,
        coalesce(
            row_issue,
            case when user_row_number > 1 then 'duplicate_user_id' end
        ) as dq_issue

    from ranked

)

select * from final
