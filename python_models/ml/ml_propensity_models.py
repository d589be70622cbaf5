"""Propensity models per product x candidate: out-of-time fit, champion, refit for scoring.

Logic: targeting.training.train_product (one call per product).
"""

import json

import pandas as pd

from targeting.encoding import Usage
from targeting.relations import typed_relation
from targeting.training import MODEL_TYPES, TrainingConfig, train_product


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("fct_feature_snapshots")
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
    labeled_dates = snapshots.filter("is_labeled").select("snapshot_date")
    ((score_date,),) = snapshots.filter("role = 'score'").select("snapshot_date").fetchall()
    labeled_usage = Usage(usage.join(labeled_dates, "snapshot_date").order("all").df())

    frames = []
    for (product_id,) in products.select("product_id").order("product_id").fetchall():
        quoted = product_id.replace("'", "''")
        rows = features.filter(f"product_id = '{quoted}' and role != 'score'")
        frame = rows.order("snapshot_date, user_id").df()
        frames.append(train_product(product_id, frame, labeled_usage, config, score_date))
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return typed_relation(session, result, MODEL_TYPES)
