-- Rows per input table and verdict, clean rows included, so that every raw row is
-- accounted for: the shares of one table add up to 1. Issues that did not occur are
-- listed with zero rows, so a dashboard always sees the same set of checks.

with

validated_rows as (

    select
        'users' as source_table,
        dq_issue
    from {{ ref('int_users_validated') }}

    union all

    select
        'events' as source_table,
        dq_issue
    from {{ ref('int_events_validated') }}

    union all

    select
        'connections' as source_table,
        dq_issue
    from {{ ref('int_connections_validated') }}

    union all

    select
        'adoptions' as source_table,
        dq_issue
    from {{ ref('int_adoptions_validated') }}

    union all

    select
        'campaign_assignments' as source_table,
        dq_issue
    from {{ ref('int_campaign_assignments_validated') }}

),

dq_issues as (

    select * from {{ ref('dq_issues') }}

),

late_events as (

    -- events that came too late for an incremental run (README, "Scale"): in the input,
    -- not in the warehouse; none after a full refresh
    select
        'events' as source_table,
        'late_event' as dq_issue,
        (select count(*) from {{ ref('stg_app__events') }})
        - (select count(*) from {{ ref('int_events_deduplicated') }}) as n_rows

),

issue_counts as (

    select
        source_table,
        coalesce(dq_issue, 'clean') as dq_issue,
        count(*) as n_rows

    from validated_rows
    group by source_table, coalesce(dq_issue, 'clean')

    union all

    select * from late_events
    where n_rows > 0

),

all_issues as (

    -- Every listed check, plus any verdict the list lacks (its description stays null,
    -- which a test catches).
    select
        coalesce(dq_issues.source_table, issue_counts.source_table) as source_table,
        coalesce(dq_issues.dq_issue, issue_counts.dq_issue) as dq_issue,
        dq_issues.description,
        coalesce(issue_counts.n_rows, 0) as n_rows

    from dq_issues
    full outer join issue_counts
        on
            dq_issues.source_table = issue_counts.source_table
            and dq_issues.dq_issue = issue_counts.dq_issue

),

final as (

    select
        cast(source_table as string) as source_table,
        cast(dq_issue as string) as dq_issue,
        cast(description as string) as description,
        dq_issue = 'clean' as is_clean,
        cast(n_rows as bigint) as n_rows,
        cast(
            coalesce(n_rows / nullif(sum(n_rows) over (partition by source_table), 0), 0)
            as double
        ) as share_of_rows

    from all_issues

)

select * from final
