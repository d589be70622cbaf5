"""Scores of every eligible user at the test and score snapshots, per product x model.

Reasons are worded for each product's champion at the score snapshot, for its
targeting__max_reason_rows best-scored users. Rows are read once, in batches with each
row's item usage beside it, and written in batches. The test scores of a model kept from
an earlier run (same trained_at) are kept too, not computed again: a daily run scores the
score snapshot only. Incremental: such a run deletes every row but the kept test scores
and appends what it scored, so the kept rows (most of the table) are neither read into
this run nor written again. Logic: targeting.scoring.score_product (the stored models
rebuilt from their JSON).
"""

from targeting.relations import (
    collect_batches,
    drop_all_but,
    frames_with_usage,
    kept_test_scores,
    stored_rows,
    with_item_uses,
)
from targeting.scoring import SCORE_TYPES, score_product


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="append",
        on_schema_change="sync_all_columns",
    )
    models = dbt.ref("ml_propensity_models")
    features = dbt.ref("fct_feature_snapshots")
    usage = dbt.ref("int_user_items_windowed")

    batch_size = int(dbt.config.get("batch_size"))
    max_reason_rows = int(dbt.config.get("max_reason_rows"))
    # reads on a connection of their own: the batches are written while they are read
    reader = session.cursor()
    # the test scores this table holds from the last run, and the models they came from
    previous = stored_rows(session, str(dbt.this), "role = 'test'")
    models_frame = models.order("product_id, model_name").df()
    models_frame, kept = kept_test_scores(models_frame, previous)

    def rows_of(product, role):
        rows = features.filter(f"{product} and is_eligible and role = '{role}'")
        relation = with_item_uses(rows, usage).order("user_id")
        return lambda: frames_with_usage(relation, batch_size, reader)

    def batches():
        for product_id in sorted(models_frame["product_id"].unique()):
            product = "product_id = '{}'".format(product_id.replace("'", "''"))
            yield from score_product(
                models_frame[models_frame["product_id"] == product_id],
                rows_of(product, "test"),
                rows_of(product, "score"),
                max_reason_rows,
            )

    scored = collect_batches(session, batches(), SCORE_TYPES, "ml_propensity_scores__batches")
    if dbt.is_incremental:
        # the kept test scores stay where they are; everything else is replaced
        drop_all_but(session, str(dbt.this), kept)
        return scored
    return scored if kept is None else scored.union(kept)
