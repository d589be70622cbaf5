"""Propensity models per product x candidate: out-of-time fit, champion, refit for scoring.

Learns from fct_training_sample's rows (all of them below targeting__max_training_rows
per product, else a weighted sample), judges on every row of the test snapshot, read in
batches with each row's item usage beside it. Logic: targeting.training.train_product.
"""

import json

import pandas as pd

from targeting.relations import frames_with_usage, table_and_usage, typed_relation, with_item_uses
from targeting.training import MODEL_TYPES, TrainingConfig, train_product


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("fct_feature_snapshots")
    sample = dbt.ref("fct_training_sample")
    usage = dbt.ref("int_user_items_windowed")
    snapshots = dbt.ref("int_snapshots")
    products = dbt.ref("int_products")

    config = TrainingConfig(
        seed=int(dbt.config.get("random_seed")),
        top_k=int(dbt.config.get("top_k")),
        min_adopters_for_model=int(dbt.config.get("min_adopters_for_model")),
        latent_factors=int(dbt.config.get("latent_factors")),
        model_params=json.loads(dbt.config.get("model_params")),
        trained_at=dbt.config.get("trained_at"),
    )
    batch_size = int(dbt.config.get("batch_size"))
    ((score_date,),) = snapshots.filter("role = 'score'").select("snapshot_date").fetchall()
    sampled = features.join(
        sample.select("user_id, product_id, snapshot_date, sample_weight"),
        "user_id, product_id, snapshot_date",
    )

    frames = []
    for (product_id,) in products.select("product_id").order("product_id").fetchall():
        product = "product_id = '{}'".format(product_id.replace("'", "''"))
        rows, rows_usage = table_and_usage(
            sampled.filter(product).order("snapshot_date, user_id"), usage
        )
        test_rows = features.filter(f"{product} and role = 'test' and is_eligible")
        test_batches = frames_with_usage(
            with_item_uses(test_rows, usage).order("user_id"), batch_size
        )
        frames.append(train_product(product_id, rows, rows_usage, config, score_date, test_batches))
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return typed_relation(session, result, MODEL_TYPES)
