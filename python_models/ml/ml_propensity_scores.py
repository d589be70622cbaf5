"""Scores of every eligible user at the test and score snapshots, per product x model.

Reasons are worded for each product's champion at the score snapshot, for its
targeting__max_reason_rows best-scored users. Rows are read once, in batches with each
row's item usage beside it, and written in batches. Logic:
targeting.scoring.score_product (the stored models rebuilt from their JSON).
"""

from targeting.relations import collect_batches, frames_with_usage, with_item_uses
from targeting.scoring import SCORE_TYPES, score_product


def model(dbt, session):
    dbt.config(materialized="table")
    models = dbt.ref("ml_propensity_models")
    features = dbt.ref("fct_feature_snapshots")
    usage = dbt.ref("int_user_items_windowed")

    batch_size = int(dbt.config.get("batch_size"))
    max_reason_rows = int(dbt.config.get("max_reason_rows"))
    # reads on a connection of their own: the batches are written while they are read
    reader = session.cursor()

    def rows_of(product, role):
        rows = features.filter(f"{product} and is_eligible and role = '{role}'")
        relation = with_item_uses(rows, usage).order("user_id")
        return lambda: frames_with_usage(relation, batch_size, reader)

    def batches():
        for (product_id,) in models.select("product_id").distinct().order("product_id").fetchall():
            product = "product_id = '{}'".format(product_id.replace("'", "''"))
            yield from score_product(
                models.filter(product).order("model_name").df(),
                rows_of(product, "test"),
                rows_of(product, "score"),
                max_reason_rows,
            )

    return collect_batches(session, batches(), SCORE_TYPES, "ml_propensity_scores__batches")
