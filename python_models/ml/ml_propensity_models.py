"""Propensity models per product x candidate: out-of-time fit, champion, refit for scoring.

Learns from fct_training_sample's rows (all of them below targeting__max_training_rows
per product, else a weighted sample), judges on every row of the test snapshot, read in
batches (its item usage read once, for every product). A product whose training inputs (grid
dates, feature version, settings, code) are those of its stored models keeps them
(targeting.reuse): a daily run trains nothing. The products to train train side by side,
one per core, the longest first, each read on a connection of its own
(targeting.threads.side_by_side).
Logic: targeting.training.train_product.
"""

import json

import pandas as pd

from targeting.progress import log_progress
from targeting.relations import batches, table_and_usage, typed_relation, usage_at
from targeting.reuse import decide, grid_dates, inputs_json, training_inputs, utc_now
from targeting.threads import cores, side_by_side
from targeting.training import MODEL_TYPES, TrainingConfig, train_product


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key=["product_id", "model_name"],
        on_schema_change="sync_all_columns",
    )
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
        # the clock, not run_started_at: dbt renders YAML configs when it parses, and a
        # run that reuses the parse would stamp its models with an earlier run's time
        trained_at=utc_now(),
    )
    batch_size = int(dbt.config.get("batch_size"))
    retrain = str(dbt.config.get("retrain")).lower() == "true"
    max_training_rows = int(dbt.config.get("max_training_rows"))
    train_dates, test_date, score_date = grid_dates(
        snapshots.select("role, snapshot_date").fetchall()
    )
    feature_versions = features.filter("role in ('train', 'test')").select("feature_version")
    feature_version = ",".join(v for (v,) in feature_versions.distinct().order("1").fetchall())
    stored = session.sql(f"select * from {dbt.this}").df() if dbt.is_incremental else None
    sampled = features.join(
        sample.select("user_id, product_id, snapshot_date, sample_weight"),
        "user_id, product_id, snapshot_date",
    )

    def training(product_id, decision, inputs, test_usage):
        """The product's model rows, trained in a worker thread on a connection of its own."""
        product = "product_id = '{}'".format(product_id.replace("'", "''"))
        rows = sampled.filter(product).order("snapshot_date, user_id")
        test_rows = features.filter(f"{product} and role = 'test' and is_eligible")
        test_rows = test_rows.order("user_id")

        def train():
            connection = session.cursor()
            try:
                log_progress(f"ml_propensity_models {product_id}: training, {decision.reason}")
                rows_read, rows_usage = table_and_usage(rows, usage, connection)
                test_batches = batches(test_rows, test_usage, batch_size, connection)
                frame = train_product(
                    product_id, rows_read, rows_usage, config, score_date, test_batches
                )
            finally:
                connection.close()
            yield frame.assign(training_reason=decision.reason, training_inputs=inputs_json(inputs))

        return train

    frames, to_train = {}, []
    product_ids = [p for (p,) in products.select("product_id").order("product_id").fetchall()]
    for product_id in product_ids:
        inputs = training_inputs(
            product_id, config, train_dates, test_date, feature_version, max_training_rows
        )
        kept = None if stored is None else stored[stored["product_id"] == product_id]
        decision = decide(kept, inputs, retrain)
        if decision.reuse:
            log_progress(
                f"ml_propensity_models {product_id}: stored models kept (inputs unchanged)"
            )
            frames[product_id] = kept.assign(score_snapshot_date=score_date)
        else:
            to_train.append((product_id, decision, inputs))
    # the test snapshot's usage, read once for every product to train
    test_usage = usage_at(features.filter("role = 'test'"), usage) if to_train else None
    jobs = [(product, training(product, *args, test_usage)) for product, *args in to_train]
    # a product's training takes longer the more adopting rows it has (more rounds, larger
    # trees); a cold-start product, with a handful, takes least
    adopting = (
        dict(sample.filter("is_adopting").aggregate("product_id, count(*)").fetchall())
        if jobs
        else {}
    )
    costs = [adopting.get(product, 0) for product, _ in jobs]
    # the products train side by side, one per core, the longest first (each fit is
    # single-threaded and reads its product's rows only: the same bits whatever trains
    # beside it, in whatever order)
    for index, frame in side_by_side([job for _, job in jobs], cores(), costs):
        frames[jobs[index][0]] = frame
    frames = [frames[product_id] for product_id in product_ids]
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return typed_relation(session, result, MODEL_TYPES)
