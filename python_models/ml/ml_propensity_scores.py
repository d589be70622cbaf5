"""Scores of every eligible user at the test and score snapshots, per product x model.

Logic: targeting.scoring.score_product (the stored models rebuilt from their JSON).
"""

from targeting.encoding import Usage
from targeting.relations import collect_batches
from targeting.scoring import SCORE_TYPES, score_product


def model(dbt, session):
    dbt.config(materialized="table")
    models = dbt.ref("ml_propensity_models")
    features = dbt.ref("fct_feature_snapshots")
    usage = dbt.ref("int_user_items_windowed")
    snapshots = dbt.ref("int_snapshots")

    scored_dates = snapshots.filter("role in ('test', 'score')").select("snapshot_date")
    scored_usage = Usage(usage.join(scored_dates, "snapshot_date").order("all").df())
    batch_size = int(dbt.config.get("batch_size"))

    def batches():
        for (product_id,) in models.select("product_id").distinct().order("product_id").fetchall():
            quoted = product_id.replace("'", "''")
            product_models = models.filter(f"product_id = '{quoted}'").order("model_name").df()
            rows = features.filter(
                f"product_id = '{quoted}' and is_eligible and role in ('test', 'score')"
            ).order("snapshot_date, user_id")
            test_rows = rows.filter("role = 'test'").df()
            score_rows = rows.filter("role = 'score'").df()
            yield from score_product(
                product_models, test_rows, score_rows, scored_usage, batch_size
            )

    return collect_batches(session, batches(), SCORE_TYPES, "ml_propensity_scores__batches")
