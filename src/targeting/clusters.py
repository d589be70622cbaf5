"""Behavioral user clusters: k-means on standardized features, k chosen by silhouette.

``cluster_users`` is what the dbt Python model ``ml_user_clusters`` calls. It is pure
(no I/O, no clock) and deterministic: the same frame and seed give the same clusters,
the same numbering and the same names.

Preprocessing, in order:

1. nulls (and infinities) take the column's median, 0 when the column is all null:
   a missing count is not a zero count (``days_since_last_activity`` is null for a user
   with no activity yet, which is the opposite of 0 days);
2. ``sign(x) * log1p(|x|)`` on every column: the counts and minutes are heavy-tailed, and
   the signed form is ``log1p`` for non-negative columns and keeps a trend's sign;
3. columns that are constant after 1-2 are dropped (they cannot separate anyone), the rest
   are standardized (mean 0, standard deviation 1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances_chunked, silhouette_score
from sklearn.preprocessing import StandardScaler

from targeting.threads import single_threaded

CLUSTER_COLUMNS = ("cluster_id", "cluster_name", "cluster_profile", "n_clusters", "silhouette")
SINGLE_CLUSTER_NAME = "all users"
# Features named in a cluster's name, and described in its profile.
NAME_FEATURES = 2
PROFILE_FEATURES = 3
# A cluster mean this many standard deviations from the overall mean is "very" high or low.
VERY_FAR = 1.0


def prepare_features(frame: pd.DataFrame, feature_columns: Sequence[str]) -> pd.DataFrame:
    """The features as the distance sees them: imputed, signed-log1p, constant columns dropped.

    Returns one float column per varying feature (in ``feature_columns`` order), not yet
    standardized; an empty column set when no feature varies.
    """
    prepared = {}
    for column in feature_columns:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        values = np.where(np.isfinite(values), values, np.nan)
        known = values[~np.isnan(values)]
        fill = float(np.median(known)) if known.size else 0.0
        values = np.where(np.isnan(values), fill, values)
        values = np.sign(values) * np.log1p(np.abs(values))
        if values.size and np.ptp(values) > 0:
            prepared[column] = values
    return pd.DataFrame(prepared, index=frame.index, columns=list(prepared))


@single_threaded
def cluster_users(
    frame: pd.DataFrame,
    feature_columns: Sequence[str],
    *,
    k_min: int = 2,
    k_max: int = 8,
    seed: int = 42,
    silhouette_sample: int = 5000,
    fit_sample: int = 20_000,
    id_columns: Sequence[str] = ("user_id", "snapshot_date"),
) -> pd.DataFrame:
    """Cluster users on their behavior features and describe each cluster.

    Fits ``KMeans(k, n_init=10, random_state=seed)`` for every k in ``[k_min, k_max]``
    (clipped to ``[2, distinct rows - 1]``) and keeps the k with the highest silhouette
    (computed on at most ``silhouette_sample`` rows; ties go to the smaller k). Each fit
    sees at most ``fit_sample`` rows; every row then joins its nearest centroid.

    Returns one row per input row, in input order (fresh index): the ``id_columns``, then
    ``cluster_id`` (0 = largest cluster; equal sizes are ordered by centroid),
    ``cluster_name`` (the cluster's most distinctive features, unique per cluster),
    ``cluster_profile`` (its share of users and its top 3 features' mean and median against
    all users'), ``n_clusters`` (the chosen k) and ``silhouette`` (its score). Names say
    high/low against all users on the log scale, "very" from one standard deviation on.

    With fewer than 3 rows, fewer than 3 distinct feature rows (k = 2 needs 3), or no varying
    feature, every row is cluster 0 of 1, named ``all users``, with a NaN silhouette.
    """
    feature_columns = list(feature_columns)
    id_columns = list(id_columns)
    _check_arguments(frame, feature_columns, id_columns, k_min, k_max)

    prepared = prepare_features(frame, feature_columns)
    n_rows = len(frame)
    if n_rows == 0:
        return _result(frame, id_columns, np.zeros(0, dtype="int64"), [], [], 0, np.nan)
    if n_rows < 3:
        return _single_cluster(frame, id_columns, "fewer than 3 users")
    if prepared.shape[1] == 0:
        return _single_cluster(frame, id_columns, "no feature varies")

    matrix = StandardScaler().fit_transform(prepared.to_numpy())
    n_distinct = len(np.unique(matrix, axis=0))
    k_high = min(k_max, n_distinct - 1)
    if k_high < 2:
        return _single_cluster(frame, id_columns, "fewer than 3 distinct feature rows")
    k_low = min(max(k_min, 2), k_high)

    labels, score = _best_kmeans(
        matrix, range(k_low, k_high + 1), seed, silhouette_sample, fit_sample
    )
    labels = _renumber(matrix, labels)
    names, profiles = _describe(frame, prepared.columns, matrix, labels)
    return _result(frame, id_columns, labels, names, profiles, len(names), score)


def _check_arguments(
    frame: pd.DataFrame,
    feature_columns: list[str],
    id_columns: list[str],
    k_min: int,
    k_max: int,
) -> None:
    missing = [column for column in [*id_columns, *feature_columns] if column not in frame]
    if missing:
        raise ValueError(f"cluster_users: columns not in the frame: {', '.join(missing)}")
    if len(set(feature_columns)) != len(feature_columns):
        raise ValueError("cluster_users: feature_columns holds a column twice")
    if k_min > k_max:
        raise ValueError(f"cluster_users: k_min ({k_min}) is greater than k_max ({k_max})")


def _best_kmeans(
    matrix: np.ndarray, ks: range, seed: int, silhouette_sample: int, fit_sample: int
) -> tuple[np.ndarray, float]:
    """Labels and silhouette of the k with the best silhouette (ties and no score: smaller k).

    Each k-means is fitted on at most ``fit_sample`` rows (a seeded random sample), then
    assigns every row to its nearest centroid: memory and time stay bounded whatever the
    number of users, and 20,000 users place the centroids about where all would.
    """
    fitted_rows = (
        np.sort(np.random.default_rng(seed).choice(len(matrix), fit_sample, replace=False))
        if len(matrix) > fit_sample
        else np.arange(len(matrix))
    )
    # The silhouette's rows are the same for every k (silhouette_score draws them with
    # RandomState(seed).permutation, as here), and so are their pairwise distances:
    # computed once, by the very call silhouette_score makes, and handed to it as
    # precomputed. Only the labels change with k; the scores are the same bits.
    sample_size = min(silhouette_sample, len(matrix))
    silhouette_rows = np.random.RandomState(seed).permutation(len(matrix))[:sample_size]
    chunks = list(pairwise_distances_chunked(matrix[silhouette_rows]))
    distances = chunks[0] if len(chunks) == 1 else np.vstack(chunks)
    fits = []
    for k in ks:
        kmeans = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(matrix[fitted_rows])
        labels = kmeans.predict(matrix) if len(fitted_rows) < len(matrix) else kmeans.labels_
        try:
            score = float(
                silhouette_score(distances, labels[silhouette_rows], metric="precomputed")
            )
        except ValueError:
            # The sample can hold a single cluster when one cluster holds nearly everyone.
            score = np.nan
        fits.append((labels, score))
    return max(fits, key=lambda fit: -np.inf if np.isnan(fit[1]) else fit[1])


def _renumber(matrix: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Cluster ids by descending size, then by centroid, so numbering never depends on k-means."""
    clusters = np.unique(labels)
    sizes = {c: int((labels == c).sum()) for c in clusters}
    centroids = {c: tuple(matrix[labels == c].mean(axis=0)) for c in clusters}
    order = sorted(clusters, key=lambda c: (-sizes[c], centroids[c]))
    new_id = {old: new for new, old in enumerate(order)}
    return np.array([new_id[label] for label in labels], dtype="int64")


def _describe(
    frame: pd.DataFrame,
    features: pd.Index,
    matrix: np.ndarray,
    labels: np.ndarray,
) -> tuple[list[str], list[str]]:
    """Name and profile per cluster id, from the standardized means of its features."""
    raw = frame[list(features)].apply(pd.to_numeric, errors="coerce").astype("float64")
    overall = raw.agg(["mean", "median"]).to_numpy()
    names: list[str] = []
    profiles: list[str] = []
    for cluster_id in range(labels.max() + 1):
        members = labels == cluster_id
        z = matrix[members].mean(axis=0)
        ranked = np.argsort(-np.abs(z), kind="stable")
        terms = [f"{_level(z[i])} {features[i]}" for i in ranked]
        names.append(_unique_name(terms, names, cluster_id))
        # Medians too: "high" is judged on the log scale, where a heavy tail weighs less
        # than in the plain mean.
        stats = raw[members].agg(["mean", "median"]).to_numpy()
        described = "; ".join(
            f"{features[i]} mean {_number(stats[0, i])} vs {_number(overall[0, i])}, "
            f"median {_number(stats[1, i])} vs {_number(overall[1, i])}"
            for i in ranked[:PROFILE_FEATURES]
        )
        profiles.append(
            f"{members.mean():.1%} of users ({members.sum():,}); cluster vs all users: {described}"
        )
    return names, profiles


def _unique_name(terms: list[str], taken: list[str], cluster: int) -> str:
    """The shortest name of at least NAME_FEATURES terms that no earlier cluster has."""
    for n_terms in range(min(NAME_FEATURES, len(terms)), len(terms) + 1):
        name = ", ".join(terms[:n_terms])
        if name not in taken:
            return name
    return f"{', '.join(terms[:NAME_FEATURES])} (cluster {cluster})"


def _level(z: float) -> str:
    level = "high" if z > 0 else "low"
    return f"very {level}" if abs(z) >= VERY_FAR else level


def _number(value: float) -> str:
    if np.isnan(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _single_cluster(frame: pd.DataFrame, id_columns: list[str], reason: str) -> pd.DataFrame:
    profile = f"100.0% of users ({len(frame):,}); one cluster: {reason}"
    labels = np.zeros(len(frame), dtype="int64")
    return _result(frame, id_columns, labels, [SINGLE_CLUSTER_NAME], [profile], 1, np.nan)


def _result(
    frame: pd.DataFrame,
    id_columns: list[str],
    labels: np.ndarray,
    names: list[str],
    profiles: list[str],
    n_clusters: int,
    score: float,
) -> pd.DataFrame:
    result = frame[id_columns].reset_index(drop=True)
    result["cluster_id"] = pd.Series(labels, dtype="int64")
    result["cluster_name"] = pd.Series([names[i] for i in labels], dtype="str")
    result["cluster_profile"] = pd.Series([profiles[i] for i in labels], dtype="str")
    result["n_clusters"] = pd.Series(np.full(len(labels), n_clusters), dtype="int64")
    result["silhouette"] = pd.Series(np.full(len(labels), score), dtype="float64")
    return result
