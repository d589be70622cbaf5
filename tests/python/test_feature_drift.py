"""fct_feature_drift on the default demo world, recomputed here from fct_feature_snapshots.

PSI is computed again in pandas, from the same stable sample (the first 32 bits of the
MD5 of product, user and snapshot) and the same bins (the train deciles, quantile_disc,
equal edges merged, plus nulls), against the pooled train snapshots and the latest one;
the bands, the kind of drift and the champion's importances are checked against their
definitions.

``make test`` builds the demo warehouse once and points ``TARGETING_DEMO_WAREHOUSE`` at
it; run alone, this module generates the demo world and builds it itself.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from warehouses import query

pytestmark = pytest.mark.integration

MAX_ROWS = 50_000
SHARE_FLOOR = 0.0001
# features that grow with time (one of them with nulls), on two products
RECOMPUTED = [
    ("ai_assistant", "tenure_days"),
    ("analytics_pro", "n_connections"),
    ("analytics_pro", "days_since_first_adopter_connection"),
]


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: Path) -> Path:
    return demo_warehouse


@pytest.fixture(scope="module")
def drift(warehouse: Path) -> pd.DataFrame:
    return query(warehouse, "select * from marts.fct_feature_drift order by all")


def sampled(rows: pd.DataFrame) -> pd.DataFrame:
    """The mart's stable sample of one product and population: every row up to MAX_ROWS,
    else those whose MD5 bucket falls below MAX_ROWS / n of a million."""
    n = len(rows)
    if n <= MAX_ROWS:
        return rows
    keys = rows["product_id"] + ":" + rows["user_id"] + ":" + rows["snapshot_date"].astype(str)
    buckets = keys.map(lambda key: int(hashlib.md5(key.encode()).hexdigest()[:8], 16) % 1_000_000)
    return rows[buckets < MAX_ROWS / n * 1_000_000]


def bins(values: pd.Series, train: pd.Series) -> pd.Series:
    """-1 for nulls, else how many distinct train deciles lie strictly below the value."""
    known = np.sort(train.dropna().to_numpy(dtype=float))
    positions = [int(np.ceil(len(known) * k / 10)) - 1 for k in range(1, 10)]
    edges = np.unique(known[positions])
    found = np.searchsorted(edges, values.fillna(0).to_numpy(dtype=float), side="left")
    return pd.Series(np.where(values.isna(), -1, found), index=values.index)


def psi(reference: pd.Series, current: pd.Series, every: np.ndarray) -> float:
    """PSI between two bin series over the bins ``every`` (the bins the pooled train
    or the score rows hold: the latest snapshot may lack some), shares floored."""
    ref = (reference.value_counts() / len(reference)).reindex(every, fill_value=0)
    cur = (current.value_counts() / len(current)).reindex(every, fill_value=0)
    ref, cur = ref.clip(lower=SHARE_FLOOR), cur.clip(lower=SHARE_FLOOR)
    return float(((cur - ref) * np.log(cur / ref)).sum())


@pytest.mark.parametrize(("product_id", "feature"), RECOMPUTED)
def test_psi_against_pooled_and_latest_train_equals_pandas(
    warehouse: Path, drift: pd.DataFrame, product_id: str, feature: str
) -> None:
    rows = query(
        warehouse,
        f"""
        select product_id, user_id, snapshot_date, role, {feature} as value
        from marts.fct_feature_snapshots
        where is_eligible and role in ('train', 'score') and product_id = '{product_id}'
        """,
    )
    latest_date = rows.loc[rows["role"] == "train", "snapshot_date"].max()
    train = sampled(rows[rows["role"] == "train"])
    score = sampled(rows[rows["role"] == "score"])
    latest = train[train["snapshot_date"] == latest_date]
    train_bins, score_bins = (
        bins(train["value"], train["value"]),
        bins(score["value"], train["value"]),
    )
    latest_bins = bins(latest["value"], train["value"])
    every = pd.concat([train_bins, score_bins]).unique()

    mart = drift.set_index(["product_id", "feature"]).loc[(product_id, feature)]
    assert mart["n_bins"] == len(every)
    assert mart["psi"] == pytest.approx(psi(train_bins, score_bins, every), rel=1e-9)
    assert mart["psi_vs_latest_train"] == pytest.approx(
        psi(latest_bins, score_bins, every), rel=1e-9
    )
    assert mart["latest_train_snapshot_date"] == latest_date
    assert mart["n_latest_train_rows"] == (rows["snapshot_date"] == latest_date).sum()


def band(value: float, threshold: float, moderate: float) -> str | None:
    if pd.isna(value):
        return None
    return "drifted" if value > threshold else "moderate" if value > moderate else "stable"


def test_bands_and_kinds_follow_psi_and_the_thresholds(drift: pd.DataFrame) -> None:
    assert (drift["psi_threshold"] == 0.2).all()
    assert (drift["psi_moderate_threshold"] == 0.1).all()
    for row in drift.itertuples():
        assert row.drift_band == band(row.psi, 0.2, 0.1), row
        assert row.latest_train_drift_band == band(row.psi_vs_latest_train, 0.2, 0.1), row
        assert row.is_drifted == (row.drift_band == "drifted"), row
        expected = (
            "none"
            if not row.is_drifted
            else "trend"
            if row.latest_train_drift_band != "drifted"
            else "shift"
        )
        assert row.drift_kind == expected, row
    # on the demo, features grow with time: some drift against the pool alone
    assert (drift["drift_kind"] == "trend").any()


def test_the_champions_importances_are_its_shares_of_the_model(
    warehouse: Path, drift: pd.DataFrame
) -> None:
    importances = query(warehouse, "select * from ml.ml_feature_importances")
    # every fitted model's shares sum to 1
    sums = importances.groupby(["product_id", "model_name"])["importance_share"].sum()
    assert sums.to_numpy() == pytest.approx(np.ones(len(sums)))
    champions = importances[importances["is_champion"]]
    assert champions.groupby("product_id")["model_name"].nunique().eq(1).all()
    joined = drift.merge(
        champions[["product_id", "feature", "model_name", "importance_share", "importance_rank"]],
        on=["product_id", "feature"],
        how="left",
    )
    assert (
        joined["champion_model_name"]
        == joined.groupby("product_id")["model_name"].transform("first")
    ).all()
    assert joined["champion_importance"].to_numpy() == pytest.approx(
        joined["importance_share"].fillna(0).to_numpy(), rel=1e-12
    )
    assert joined["champion_importance_rank"].equals(joined["importance_rank"])
    # the numeric features hold part of the model, the text features and latent factors the rest
    assert (drift.groupby("product_id")["champion_importance"].sum() <= 1 + 1e-12).all()
