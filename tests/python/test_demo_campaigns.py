"""The demo world's campaigns measured by ``fct_campaign_results``, against the truth.

The generator plants a known effect in each campaign (``effect``: the chance that a
contacted user adopts because of it; ``assistant_banner`` has none) and writes the
uplift this makes on the contacted users into its manifest (``true_uplift``). The mart
only sees assignments and adoptions; its 95% intervals must hold the truth, and the
interval adjusted with the model's probability must be the narrower.

``make test`` builds the demo warehouse once (TARGETING_DEMO_WAREHOUSE, its raw folder in
TARGETING_DEMO_RAW); run alone, this module generates the demo world and builds it.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def results(demo_warehouse: Path, demo_manifest: dict) -> pd.DataFrame:
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        built = con.execute("select * from marts.fct_campaign_results").df()
    truth = pd.DataFrame.from_dict(demo_manifest["campaigns"], orient="index")
    assert len(truth) >= 3, "the demo world runs no campaigns"
    truth = truth.rename(columns={"product_id": "product_id_truth"})
    return built.set_index("campaign_id").join(truth, how="outer")


def test_every_campaign_is_measured_closed_and_its_arms_counted(results: pd.DataFrame) -> None:
    assert results.contacted_users.notna().all(), "a campaign of the manifest is not measured"
    assert (results.product_id == results.product_id_truth).all()
    assert results.is_horizon_closed.all()
    # the arms the mart counts are the generator's (users who adopted before left out)
    assert (results.contacted_users == results.contacted).all()
    assert (results.holdout_users == results.holdout).all()
    assert not results.has_sample_ratio_mismatch.any()


def test_each_planted_effect_lies_inside_its_interval(results: pd.DataFrame) -> None:
    for name, row in results.iterrows():
        for estimate in ("uplift", "adjusted_uplift"):
            low, high = row[f"{estimate}_low"], row[f"{estimate}_high"]
            assert low <= row.true_uplift <= high, (name, estimate, low, row.true_uplift, high)


def test_the_campaign_without_effect_covers_zero(results: pd.DataFrame) -> None:
    none = results[results.planted_effect == 0]
    assert len(none) == 1
    row = none.iloc[0]
    assert row.uplift_low <= 0 <= row.uplift_high
    assert row.adjusted_uplift_low <= 0 <= row.adjusted_uplift_high


def test_the_adjusted_interval_is_narrower(results: pd.DataFrame) -> None:
    """The covariate is known before the assignment for nearly everyone (the champion's
    test-snapshot probability), and it predicts adoption: the interval narrows."""
    assert (results.users_with_probability >= 0.9 * (results.contacted + results.holdout)).all()
    width = results.uplift_high - results.uplift_low
    adjusted = results.adjusted_uplift_high - results.adjusted_uplift_low
    assert (adjusted < width).all(), results[["interval_narrowing"]]
    assert (results.interval_narrowing > 0).all()


def test_the_interval_is_agresti_and_caffos(results: pd.DataFrame) -> None:
    """Recomputed from the arms' counts: the normal approximation with one adopter and one
    non-adopter more in each arm (the point estimate stays the plain difference)."""
    for name, row in results.iterrows():
        rates, variances = [], []
        for arm in ("contacted", "holdout"):
            n, adopters = row[f"{arm}_users"] + 2, row[f"{arm}_adopters"] + 1
            rate = adopters / n
            rates.append(rate)
            variances.append(rate * (1 - rate) * n / (n - 1) / n)  # sample variance / n
        centre, se = rates[0] - rates[1], math.sqrt(sum(variances))
        assert row.uplift_low == pytest.approx(centre - 1.96 * se, abs=1e-12), name
        assert row.uplift_high == pytest.approx(centre + 1.96 * se, abs=1e-12), name
        assert row.uplift == pytest.approx(row.contacted_rate - row.holdout_rate, abs=1e-12)
        width = row.adjusted_uplift_high - row.adjusted_uplift_low
        assert row.interval_narrowing == pytest.approx(
            1 - width / (row.uplift_high - row.uplift_low), abs=1e-12
        )


def _lin(x: np.ndarray, y: np.ndarray, contacted: np.ndarray, augment: bool) -> tuple:
    """Lin's adjusted difference (a slope per arm, rates moved to the mean x of both arms)
    and its standard error; ``augment`` adds an adopter and a non-adopter at each arm's
    mean x first."""
    mean_x = x.mean()
    parts = []
    for arm in (contacted, ~contacted):
        xa, ya = x[arm], y[arm]
        if augment:
            xa = np.r_[xa, xa.mean(), xa.mean()]
            ya = np.r_[ya, 1.0, 0.0]
        var_x = xa.var(ddof=1)
        cov = np.cov(xa, ya, ddof=1)[0, 1]
        theta = cov / var_x if var_x > 0 else 0.0
        residual = ya.var(ddof=1) - (cov * cov / var_x if var_x > 0 else 0.0)
        parts.append((ya.mean() - theta * (xa.mean() - mean_x), residual / len(xa)))
    (a, va), (b, vb) = parts
    return a - b, math.sqrt(va + vb)


def test_the_adjusted_uplift_is_lins_recomputed_from_the_users(
    demo_warehouse: Path, results: pd.DataFrame
) -> None:
    """Each user's adoption within the horizon and the champion's test-snapshot probability
    known before the assignment (the campaign's mean for users without one), then Lin's
    estimate in numpy."""
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        users = con.execute(
            """
            with champion as (
                select scores.product_id, scores.user_id, scores.snapshot_date,
                    scores.probability
                from ml.ml_propensity_scores as scores
                join ml.ml_propensity_models as models using (product_id, model_name)
                where models.is_champion and scores.role in ('test', 'score')
            ), horizon as (
                select snapshot_date from intermediate.int_snapshots where role = 'score'
            )
            select a.campaign_id, a.arm = 'contacted' as contacted,
                coalesce(ad.adopted_at >= a.assigned_at
                    and ad.adopted_at < a.assigned_at + interval 28 day
                    and ad.adopted_at < (select snapshot_date from horizon), false)::double
                    as adopted,
                (select c.probability from champion as c
                 where c.product_id = a.product_id and c.user_id = a.user_id
                    and c.snapshot_date <= a.assigned_at::date
                 order by c.snapshot_date desc limit 1) as probability
            from intermediate.int_campaign_assignments_validated as a
            left join intermediate.int_adoptions_validated as ad
                on ad.user_id = a.user_id and ad.product_id = a.product_id
                and ad.dq_issue is null
            where a.dq_issue is null
                and (ad.adopted_at is null or ad.adopted_at >= a.assigned_at)
            """
        ).df()
    for name, campaign in users.groupby("campaign_id"):
        x = campaign.probability.fillna(campaign.probability.mean()).to_numpy()
        y, contacted = campaign.adopted.to_numpy(), campaign.contacted.to_numpy()
        row = results.loc[name]
        estimate, _ = _lin(x, y, contacted, augment=False)
        centre, se = _lin(x, y, contacted, augment=True)
        assert row.adjusted_uplift == pytest.approx(estimate, abs=1e-9), name
        assert row.adjusted_uplift_low == pytest.approx(centre - 1.96 * se, abs=1e-9), name
        assert row.adjusted_uplift_high == pytest.approx(centre + 1.96 * se, abs=1e-9), name
