"""The dimensions analysts slice by, on the default demo world: ``marts.dim_products`` and
``marts.dim_users``, held to the tables they summarize, and segment values that each mean
one thing.

``make test`` builds the demo warehouse once and points ``TARGETING_DEMO_WAREHOUSE`` at
it; run alone, this module generates the demo world and builds it itself.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from warehouses import query

from targeting.demo import PRODUCTS

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED = REPO_ROOT / "seeds" / "product_descriptions.csv"
# what README "Personal data" keeps out of the marts, and what would single a person out
# beside their team: no email (nor its hash), no birth year or age, no job title
PERSONAL_COLUMNS = {"email", "email_hash", "birth_year", "age_years", "job_title"}


@pytest.fixture(scope="module")
def products(demo_warehouse: Path) -> pd.DataFrame:
    return query(demo_warehouse, "select * from marts.dim_products").set_index("product_id")


@pytest.fixture(scope="module")
def users(demo_warehouse: Path) -> pd.DataFrame:
    return query(demo_warehouse, "select * from marts.dim_users").set_index("user_id")


def test_the_seed_names_every_product_the_demo_can_generate() -> None:
    with SEED.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["product_id"] for row in rows] == [product.product_id for product in PRODUCTS]
    assert all(row["product_name"] and row["product_description"] for row in rows)


def test_dim_products_has_every_targeted_product_once(
    products: pd.DataFrame, demo_warehouse: Path, demo_manifest: dict
) -> None:
    targeted = query(demo_warehouse, "select product_id from intermediate.int_products")
    assert sorted(products.index) == sorted(targeted.product_id)
    assert sorted(products.index) == sorted(
        product for product, facts in demo_manifest["products"].items() if facts["adopters"]
    )
    assert products.product_name.notna().all()


def test_dim_products_counts_the_valid_adoptions(
    products: pd.DataFrame, demo_warehouse: Path, demo_manifest: dict
) -> None:
    direct = query(
        demo_warehouse,
        """
        select
            product_id,
            count(distinct user_id) as n_adopters,
            min(adopted_at) as first_adopted_at,
            max(adopted_at) as last_adopted_at
        from intermediate.int_adoptions_validated
        where dq_issue is null
        group by product_id
        """,
    ).set_index("product_id")
    pd.testing.assert_frame_equal(
        products.loc[direct.index, ["n_adopters", "first_adopted_at", "last_adopted_at"]],
        direct,
        check_dtype=False,
    )
    for product, facts in demo_manifest["products"].items():
        assert products.loc[product, "n_adopters"] == facts["adopters"], product


def test_dim_products_names_the_champion_and_the_cold_start(
    products: pd.DataFrame, demo_warehouse: Path, demo_manifest: dict
) -> None:
    champions = query(
        demo_warehouse,
        "select product_id, model_name, is_cold_start from ml.ml_propensity_models"
        " where is_champion",
    ).set_index("product_id")
    assert products.champion_model_name.sort_index().to_dict() == (
        champions.model_name.sort_index().to_dict()
    )
    cold = {product for product, facts in demo_manifest["products"].items() if facts["cold_start"]}
    assert set(products.index[products.is_cold_start]) == cold
    assert (products.loc[sorted(cold), "champion_model_name"] == "lookalike").all()


def test_dim_products_sizes_the_current_list(products: pd.DataFrame, demo_warehouse: Path) -> None:
    lists = query(
        demo_warehouse,
        """
        select
            product_id,
            count(*) as n_ranked_users,
            count(*) filter (where not is_holdout) as n_targetable_users,
            count(*) filter (where is_holdout) as n_holdout_users
        from marts.fct_ranked_targets
        group by product_id
        """,
    ).set_index("product_id")
    pd.testing.assert_frame_equal(
        products.loc[lists.index, lists.columns], lists, check_dtype=False
    )


def test_dim_users_is_the_population_of_dim_user_segments(
    users: pd.DataFrame, demo_warehouse: Path
) -> None:
    segments = query(demo_warehouse, "select * from marts.dim_user_segments").set_index("user_id")
    assert sorted(users.index) == sorted(segments.index)
    shared = [c for c in segments.columns if c in users.columns]
    assert len(shared) >= 10
    pd.testing.assert_frame_equal(users.loc[segments.index, shared], segments[shared])


def test_dim_users_attributes_are_those_of_the_score_snapshot_features(
    users: pd.DataFrame, demo_warehouse: Path
) -> None:
    columns = [
        "tenure_days",
        "country",
        "industry",
        "company_size",
        "plan",
        "has_team",
        "behavioral_segment",
        "rfm_segment",
        "rfm_score",
    ]
    features = query(
        demo_warehouse,
        f"""
        select distinct user_id, {", ".join(columns)}
        from marts.fct_feature_snapshots
        where role = 'score'
        """,
    ).set_index("user_id")
    assert features.index.is_unique  # one value per user, whatever the product
    assert sorted(features.index) == sorted(users.index)
    pd.testing.assert_frame_equal(users.loc[features.index, columns], features, check_dtype=False)


def test_dim_users_lists_the_adopted_products_of_the_old_text(
    users: pd.DataFrame, demo_warehouse: Path
) -> None:
    text = query(
        demo_warehouse, "select user_id, adopted_products from marts.dim_user_segments"
    ).set_index("user_id")
    lists = users.adopted_product_ids.map(list)
    expected = text.adopted_products.map(lambda t: [] if pd.isna(t) else t.split(", "))
    assert lists.loc[expected.index].to_dict() == expected.to_dict()
    assert (lists.map(len) == users.n_products_adopted).all()
    assert lists.map(lambda ids: ids == sorted(ids)).all()
    assert (lists.map(len) > 0).sum() > 1000


def test_dim_users_holds_no_personal_data(users: pd.DataFrame) -> None:
    assert not PERSONAL_COLUMNS & set(users.columns)


def test_each_segment_value_means_one_thing(demo_warehouse: Path) -> None:
    """`new` is the behavioral segment's alone (signed up recently); RFM's recently signed
    up users without a purchase are `new_no_purchases`, exactly the behavioral `new`
    users who have not purchased."""
    segments = query(
        demo_warehouse,
        """
        select behavioral_segment, rfm_segment, purchase_frequency, count(*) as n_rows
        from marts.fct_feature_snapshots
        group by all
        """,
    )
    assert not set(segments.behavioral_segment) & set(segments.rfm_segment)
    assert "new" in set(segments.behavioral_segment)
    assert "new" not in set(segments.rfm_segment)
    new_without_purchase = (segments.behavioral_segment == "new") & (
        segments.purchase_frequency == 0
    )
    assert (new_without_purchase == (segments.rfm_segment == "new_no_purchases")).all()
    assert segments.n_rows[new_without_purchase].sum() > 0
