"""Behavioral clusters of the users at the scoring snapshot (logic: targeting.clusters)."""

from targeting.clusters import cluster_users


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("int_users_behavior_windowed")
    snapshots = dbt.ref("int_snapshots")

    feature_columns = dbt.config.get("cluster_features")

    score_dates = snapshots.filter("role = 'score'").select("snapshot_date")
    # in key order: a join's row order varies between runs, and k-means depends on it;
    # only the columns clustering reads (the table has three times as many)
    frame = (
        features.join(score_dates, "snapshot_date")
        .select("user_id", "snapshot_date", *feature_columns)
        .order("user_id")
        .df()
    )

    clusters = cluster_users(
        frame,
        feature_columns,
        k_min=int(dbt.config.get("cluster_k_min")),
        k_max=int(dbt.config.get("cluster_k_max")),
        seed=int(dbt.config.get("random_seed")),
        silhouette_sample=int(dbt.config.get("cluster_silhouette_sample")),
        fit_sample=int(dbt.config.get("cluster_fit_sample")),
    )
    # pandas holds dates as timestamps, and an empty frame's ids as untyped: retype them.
    return session.from_df(clusters).select(
        "* replace (user_id::varchar as user_id, snapshot_date::date as snapshot_date)"
    )
