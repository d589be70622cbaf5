"""cluster_users on tiny frames: separable blobs, determinism and degenerate inputs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from targeting.clusters import CLUSTER_COLUMNS, SINGLE_CLUSTER_NAME, cluster_users

SNAPSHOT = dt.date(2024, 6, 1)
FEATURES = ["logins_30d", "feature_uses_30d", "events_trend_30d", "days_since_last_activity"]


def users(n: int, **features: object) -> pd.DataFrame:
    """n users at SNAPSHOT with the given feature columns."""
    return pd.DataFrame({"user_id": range(1, n + 1), "snapshot_date": SNAPSHOT, **features})


def blobs(n_per_blob: int = 20, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three well-separated behaviors (dormant, casual, power users) and each row's blob."""
    rng = np.random.default_rng(seed)
    blob = np.repeat([0, 1, 2], n_per_blob)
    frame = users(
        len(blob),
        logins_30d=rng.poisson(np.array([1, 20, 300])[blob]),
        feature_uses_30d=rng.poisson(np.array([0.5, 5, 80])[blob]),
        events_trend_30d=rng.normal(np.array([-50.0, 0.0, 50.0])[blob], 3.0),
        days_since_last_activity=np.where(blob == 0, 30, 1) + rng.integers(0, 3, len(blob)),
    )
    return frame, blob


def assert_single_cluster(result: pd.DataFrame, n_rows: int) -> None:
    assert len(result) == n_rows
    assert (result["cluster_id"] == 0).all()
    assert (result["n_clusters"] == 1).all()
    assert result["silhouette"].isna().all()
    assert (result["cluster_name"] == SINGLE_CLUSTER_NAME).all()


def test_separated_blobs_give_the_true_k_and_one_cluster_per_blob():
    frame, blob = blobs()
    result = cluster_users(frame, FEATURES, k_max=6)

    assert list(result.columns) == ["user_id", "snapshot_date", *CLUSTER_COLUMNS]
    assert (result["n_clusters"] == 3).all()
    assert result["silhouette"].iloc[0] > 0.5
    assert pd.crosstab(blob, result["cluster_id"]).gt(0).sum(axis=1).eq(1).all()
    assert result["cluster_id"].nunique() == 3
    assert result["user_id"].tolist() == frame["user_id"].tolist()


def test_names_and_profiles_describe_each_cluster_and_are_unique():
    frame, blob = blobs()
    result = cluster_users(frame, FEATURES)
    per_cluster = result.drop_duplicates("cluster_id").set_index("cluster_id")

    assert per_cluster["cluster_name"].is_unique
    assert per_cluster["cluster_profile"].is_unique
    assert result.groupby("cluster_id")["cluster_name"].nunique().eq(1).all()
    power_cluster = result.loc[blob == 2, "cluster_id"].iloc[0]
    assert "high " in per_cluster.loc[power_cluster, "cluster_name"]
    assert per_cluster.loc[power_cluster, "cluster_profile"].startswith("33.3% of users (20);")
    assert " vs " in per_cluster.loc[power_cluster, "cluster_profile"]


def test_equal_sized_clusters_are_numbered_the_same_whatever_the_row_order():
    frame, _ = blobs()
    shuffled = frame.sample(frac=1, random_state=3)
    by_user = cluster_users(frame, FEATURES).set_index("user_id")
    shuffled_by_user = cluster_users(shuffled, FEATURES).set_index("user_id").loc[by_user.index]

    assert shuffled_by_user["cluster_id"].tolist() == by_user["cluster_id"].tolist()
    assert shuffled_by_user["cluster_name"].tolist() == by_user["cluster_name"].tolist()


def test_the_same_input_gives_identical_output():
    frame, _ = blobs(n_per_blob=40, seed=7)
    first = cluster_users(frame, FEATURES, seed=11, silhouette_sample=50)
    second = cluster_users(frame.copy(), FEATURES, seed=11, silhouette_sample=50)

    pd.testing.assert_frame_equal(first, second)


def test_empty_frame_gives_empty_output_with_the_output_dtypes():
    frame, _ = blobs()
    result = cluster_users(frame.iloc[0:0], FEATURES)

    assert result.empty
    assert list(result.columns) == ["user_id", "snapshot_date", *CLUSTER_COLUMNS]
    assert result["cluster_id"].dtype == "int64"
    assert result["n_clusters"].dtype == "int64"
    assert result["silhouette"].dtype == "float64"
    assert result["cluster_name"].dtype == "str"
    assert result["user_id"].dtype == frame["user_id"].dtype


def test_a_single_row_is_one_cluster():
    assert_single_cluster(cluster_users(users(1, logins_30d=[5]), ["logins_30d"]), 1)


def test_two_identical_rows_are_one_cluster():
    assert_single_cluster(cluster_users(users(2, logins_30d=[5, 5]), ["logins_30d"]), 2)


def test_many_identical_rows_are_one_cluster():
    frame = users(10, logins_30d=[5] * 10, feature_uses_30d=[1] * 10)
    assert_single_cluster(cluster_users(frame, ["logins_30d", "feature_uses_30d"]), 10)


def test_all_null_and_constant_features_are_one_cluster():
    frame = users(6, days_since_last_activity=[None] * 6, tenure_days=[90] * 6)
    result = cluster_users(frame, ["days_since_last_activity", "tenure_days"])

    assert_single_cluster(result, 6)


def test_an_all_null_or_constant_column_does_not_disturb_the_others():
    frame, blob = blobs()
    frame["searches_30d"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    frame["tenure_days"] = 365
    result = cluster_users(frame, [*FEATURES, "searches_30d", "tenure_days"])

    assert (result["n_clusters"] == 3).all()
    assert pd.crosstab(blob, result["cluster_id"]).gt(0).sum(axis=1).eq(1).all()
    assert not result["cluster_name"].str.contains("searches_30d|tenure_days").any()


def test_nulls_take_the_median_not_zero():
    # Nulls counted as 0 days would put the users with no activity yet among the most recent.
    days = [0, 1, 0, 1, 40, 41, 40, 41, None, None]
    result = cluster_users(users(10, days_since_last_activity=days), ["days_since_last_activity"])

    assert result["n_clusters"].iloc[0] >= 2
    assert result["cluster_id"].iloc[8] == result["cluster_id"].iloc[9]
    assert result["cluster_id"].iloc[8] != result["cluster_id"].iloc[0]


def test_negative_trend_values_separate_falling_from_rising_users():
    trend = [-120.0, -100.0, -90.0, -110.0, 95.0, 100.0, 130.0, 105.0]
    result = cluster_users(users(8, events_trend_30d=trend), ["events_trend_30d"])

    assert result["n_clusters"].iloc[0] == 2
    assert len(set(result["cluster_id"].iloc[:4])) == 1
    assert len(set(result["cluster_id"].iloc[4:])) == 1
    falling, rising = result["cluster_name"].iloc[0], result["cluster_name"].iloc[4]
    assert falling.endswith("low events_trend_30d")
    assert rising.endswith("high events_trend_30d")


def test_k_range_is_clipped_to_the_distinct_rows():
    frame = users(9, logins_30d=[0, 0, 0, 50, 50, 50, 900, 900, 900])
    result = cluster_users(frame, ["logins_30d"], k_min=5, k_max=8)

    assert result["n_clusters"].iloc[0] == 2
    assert result["cluster_name"].nunique() == 2


def test_names_stay_unique_when_clusters_share_their_top_features():
    # Six levels of the same two features: some clusters are as high or low on both.
    levels = np.repeat([0, 3, 10, 30, 100, 300], 5)
    frame = users(len(levels), logins_30d=levels, feature_uses_30d=levels // 10)
    result = cluster_users(frame, ["logins_30d", "feature_uses_30d"], k_min=5, k_max=5)

    assert result["n_clusters"].iloc[0] == 5
    assert result.drop_duplicates("cluster_id")["cluster_name"].is_unique


def test_missing_columns_and_bad_k_range_are_reported():
    frame = users(3, logins_30d=[1, 2, 3])
    with pytest.raises(ValueError, match="not in the frame: searches_30d"):
        cluster_users(frame, ["logins_30d", "searches_30d"])
    with pytest.raises(ValueError, match="k_min"):
        cluster_users(frame, ["logins_30d"], k_min=5, k_max=3)


def test_nullable_integer_features_as_duckdb_returns_them():
    frame, blob = blobs()
    frame["days_since_last_activity"] = pd.array(frame["days_since_last_activity"], dtype="Int32")
    frame.loc[[0, 25, 45], "days_since_last_activity"] = pd.NA
    result = cluster_users(frame, FEATURES)

    assert (result["n_clusters"] == 3).all()
    assert pd.crosstab(blob, result["cluster_id"]).gt(0).sum(axis=1).eq(1).all()
    assert not result["cluster_profile"].str.contains("nan").any()


def test_a_fit_on_a_sample_assigns_every_row_to_its_nearest_centroid():
    rng = np.random.default_rng(5)
    centers = np.array([[0.0, 0.0], [8.0, 8.0], [0.0, 8.0]])
    points = np.vstack([c + rng.normal(0, 0.5, (300, 2)) for c in centers])
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(len(points))],
            "snapshot_date": "2026-01-01",
            "a": np.expm1(points[:, 0] / 4 + 1),
            "b": np.expm1(points[:, 1] / 4 + 1),
        }
    )
    whole = cluster_users(frame, ["a", "b"], seed=3, fit_sample=10_000)
    sampled = cluster_users(frame, ["a", "b"], seed=3, fit_sample=120)
    assert sampled["n_clusters"].iloc[0] == whole["n_clusters"].iloc[0] == 3
    # the same partition, whatever the numbering
    assert pd.crosstab(whole["cluster_id"], sampled["cluster_id"]).gt(0).sum().eq(1).all()
