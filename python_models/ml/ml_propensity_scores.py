"""Scores of every eligible user at the test and score snapshots, per product x model.

Reasons are worded for each product's champion at the score snapshot, for its
targeting__max_reason_rows best-scored users. Rows are read once, in batches with each
row's item usage beside it, and written in batches. The test scores of a model kept from
an earlier run (same trained_at) are kept too, not computed again: a daily run scores the
score snapshot only. Products are scored side by side, one per core, each read on a
connection of its own (at most one product per core in memory). Logic:
targeting.scoring.score_product (the stored models rebuilt from their JSON).
"""

import contextvars
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from targeting.relations import (
    collect_batches,
    frames_with_usage,
    kept_test_scores,
    stored_rows,
    with_item_uses,
)
from targeting.scoring import SCORE_TYPES, score_product, stored_models
from targeting.threads import cores


def model(dbt, session):
    dbt.config(materialized="table")
    models = dbt.ref("ml_propensity_models")
    features = dbt.ref("fct_feature_snapshots")
    usage = dbt.ref("int_user_items_windowed")

    batch_size = int(dbt.config.get("batch_size"))
    max_reason_rows = int(dbt.config.get("max_reason_rows"))
    # the test scores this table holds from the last run, and the models they came from
    previous = stored_rows(session, str(dbt.this), "role = 'test'")
    models_frame = models.order("product_id, model_name").df()
    models_frame, kept = kept_test_scores(models_frame, previous)

    def query_of(product_models, product, role):
        """The query of the product's rows of ``role``; None when no model scores them (a
        daily run keeps the test scores)."""
        if not stored_models(product_models, role):
            return None
        rows = features.filter(f"{product} and is_eligible and role = '{role}'")
        return with_item_uses(rows, usage).order("user_id").sql_query()

    def scores_of(product_models, queries, connection):
        """The product's scores, its rows read on ``connection`` (a cursor of this
        thread's own)."""
        try:
            test, score = (
                [] if query is None else list(frames_with_usage(query, batch_size, connection))
                for query in queries
            )
            return list(score_product(product_models, lambda: test, lambda: score, max_reason_rows))
        finally:
            connection.close()

    def batches():
        # products scored side by side, one per core, each read on a connection of its
        # own; a product's scores depend on its rows and models only, the same bits
        # whichever product is scored beside it. Yielded (and written) in product order,
        # the next product started before the last one's scores are written.
        with ThreadPoolExecutor(max_workers=cores()) as pool:
            running = deque()
            for product_id in sorted(models_frame["product_id"].unique()):
                done = running.popleft().result() if len(running) >= cores() else []
                product_models = models_frame[models_frame["product_id"] == product_id]
                product = "product_id = '{}'".format(product_id.replace("'", "''"))
                queries = [query_of(product_models, product, role) for role in ("test", "score")]
                # in dbt's logging context, so that the progress lines reach dbt's log
                running.append(
                    pool.submit(
                        contextvars.copy_context().run,
                        scores_of,
                        product_models,
                        queries,
                        session.cursor(),
                    )
                )
                yield from done
            while running:
                yield from running.popleft().result()

    scored = collect_batches(session, batches(), SCORE_TYPES, "ml_propensity_scores__batches")
    return scored if kept is None else scored.union(kept)
