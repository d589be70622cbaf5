{{ config(**snapshot_incremental('int_user_snapshots', 'int_products')) }}
{%- set build_dates = snapshot_dates_to_build(ref('int_user_snapshots'), ref('int_products')) %}
-- Social adoption per user, product and snapshot: how many of the user's connections and
-- teammates had adopted the product before the snapshot. Only edges formed and adoptions
-- made before the snapshot count (an adoption on the snapshot day is the future), and a
-- user is never their own connection or teammate. An edge with no connected_at counts
-- from the later of the two signups.

with

user_snapshots as (

    select * from {{ ref('int_user_snapshots') }}
    where {{ snapshot_filter('snapshot_date', build_dates) }}

),

products as (

    select * from {{ ref('int_products') }}

),

users as (

    select * from {{ ref('int_users_validated') }}
    where dq_issue is null

),

connections as (

    select * from {{ ref('int_connections_validated') }}
    where dq_issue is null

),

adoptions as (

    select * from {{ ref('int_adoptions_validated') }}
    where dq_issue is null

),

dated_edges as (

    select
        connections.user_id,
        connections.connected_user_id,
        coalesce(
            connections.connected_at, greatest(users.signup_at, connected_users.signup_at)
        ) as connected_at

    from connections
    inner join users
        on connections.user_id = users.user_id
    inner join users as connected_users
        on connections.connected_user_id = connected_users.user_id
    where connections.user_id != connections.connected_user_id

),

directed_edges as (

    -- both directions: each end sees the other as a connection
    select
        user_id,
        connected_user_id as neighbor_user_id,
        connected_at

    from dated_edges

    union all

    select
        connected_user_id as user_id,
        user_id as neighbor_user_id,
        connected_at

    from dated_edges

),

snapshot_edges as (

    select
        user_snapshots.user_id,
        user_snapshots.snapshot_date,
        directed_edges.neighbor_user_id,
        directed_edges.connected_at

    from user_snapshots
    inner join directed_edges
        on
            user_snapshots.user_id = directed_edges.user_id
            and user_snapshots.snapshot_date > directed_edges.connected_at

),

connection_counts as (

    select
        user_id,
        snapshot_date,
        count(*) as n_connections

    from snapshot_edges
    group by user_id, snapshot_date

),

adopter_connections as (

    select
        snapshot_edges.user_id,
        adoptions.product_id,
        snapshot_edges.snapshot_date,
        count(*) as n_adopter_connections,
        -- exposure starts when both the edge and the neighbour's adoption exist
        min(greatest(snapshot_edges.connected_at, adoptions.adopted_at)) as first_exposed_at

    from snapshot_edges
    inner join adoptions
        on
            snapshot_edges.neighbor_user_id = adoptions.user_id
            and snapshot_edges.snapshot_date > adoptions.adopted_at
    group by all

),

teammates as (

    select
        user_snapshots.user_id,
        user_snapshots.snapshot_date,
        teammate_snapshots.user_id as teammate_user_id

    from user_snapshots
    inner join user_snapshots as teammate_snapshots
        on
            user_snapshots.team_id = teammate_snapshots.team_id
            and user_snapshots.snapshot_date = teammate_snapshots.snapshot_date
            and user_snapshots.user_id != teammate_snapshots.user_id

),

teammate_counts as (

    select
        user_id,
        snapshot_date,
        count(*) as n_teammates

    from teammates
    group by user_id, snapshot_date

),

teammate_adopters as (

    select
        teammates.user_id,
        adoptions.product_id,
        teammates.snapshot_date,
        count(*) as n_teammates_adopted

    from teammates
    inner join adoptions
        on
            teammates.teammate_user_id = adoptions.user_id
            and teammates.snapshot_date > adoptions.adopted_at
    group by all

),

final as (

    select
        user_snapshots.user_id,
        products.product_id,
        user_snapshots.snapshot_date,
        coalesce(connection_counts.n_connections, 0) as n_connections,
        coalesce(adopter_connections.n_adopter_connections, 0) as n_adopter_connections,
        coalesce(
            adopter_connections.n_adopter_connections / nullif(connection_counts.n_connections, 0), 0
        ) as adopter_connection_share,
        {{ days_between('adopter_connections.first_exposed_at', 'user_snapshots.snapshot_date') }}
            as days_since_first_adopter_connection,
        coalesce(teammate_counts.n_teammates, 0) + 1 as team_size,
        coalesce(teammate_adopters.n_teammates_adopted, 0) as n_teammates_adopted,
        coalesce(
            teammate_adopters.n_teammates_adopted / nullif(teammate_counts.n_teammates, 0), 0
        ) as team_adoption_rate,
        '{{ feature_version() }}' as feature_version

    from user_snapshots
    cross join products
    left join connection_counts
        on
            user_snapshots.user_id = connection_counts.user_id
            and user_snapshots.snapshot_date = connection_counts.snapshot_date
    left join adopter_connections
        on
            user_snapshots.user_id = adopter_connections.user_id
            and products.product_id = adopter_connections.product_id
            and user_snapshots.snapshot_date = adopter_connections.snapshot_date
    left join teammate_counts
        on
            user_snapshots.user_id = teammate_counts.user_id
            and user_snapshots.snapshot_date = teammate_counts.snapshot_date
    left join teammate_adopters
        on
            user_snapshots.user_id = teammate_adopters.user_id
            and products.product_id = teammate_adopters.product_id
            and user_snapshots.snapshot_date = teammate_adopters.snapshot_date

)

select * from final
{{ snapshot_row_order() }}
