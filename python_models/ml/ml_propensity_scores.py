"""Scores of every eligible user at the test and score snapshots, per product x model.

Reasons are worded for each product's champion at the score snapshot, for its
targeting__max_reason_rows best-scored users. Rows are read once, in batches, and written
in batches; the item usage of a snapshot is read once, for every product. The products are
scored side by side, one per core, the longest first (targeting.threads.side_by_side). The
test scores of a model kept from an earlier run (same trained_at) are kept too, not
computed again: a daily run scores the score snapshot only. Incremental: such a run
deletes every row but the kept test scores and appends what it scored, so the kept rows
(most of the table) are neither read into this run nor written again; the delete and
the append are one transaction, so a build killed in between loses no score. Logic:
targeting.scoring.score_product (the stored models rebuilt from their JSON).
"""

from targeting.relations import (
    batches,
    collect_batches,
    kept_test_scores,
    replace_all_but,
    stored_rows,
    usage_at,
)
from targeting.scoring import ARTIFACT_COLUMNS, SCORE_TYPES, score_product
from targeting.threads import cores, side_by_side


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
    # the test scores this table holds from the last run, and the models they came from
    previous = stored_rows(session, str(dbt.this), "role = 'test'")
    models_frame = models.order("product_id, model_name").df()
    models_frame, kept = kept_test_scores(models_frame, previous)
    # the usage of each snapshot some fit scores, read once for every product (a daily
    # run: the score snapshot's only)
    fitted = models_frame[models_frame["status"] == "ok"]
    usage_of = {
        role: usage_at(features.filter(f"role = '{role}'"), usage)
        for role, column in ARTIFACT_COLUMNS.items()
        if fitted[column].notna().any()
    }

    def scoring(product_id):
        """The product's score batches, computed in a worker thread that reads its rows on
        a connection of its own (the batches are written while they are read)."""
        product = "product_id = '{}'".format(product_id.replace("'", "''"))
        rows = {
            role: features.filter(f"{product} and is_eligible and role = '{role}'").order("user_id")
            for role in ("test", "score")
        }

        def score():
            reader = session.cursor()

            def batches_of(role):
                # called only for a role some fit scores, whose usage was read
                return lambda: batches(rows[role], usage_of[role], batch_size, reader)

            try:
                yield from score_product(
                    models_frame[models_frame["product_id"] == product_id],
                    batches_of("test"),
                    batches_of("score"),
                    max_reason_rows,
                )
            finally:
                reader.close()

        return score

    # the products are scored side by side, one per core, their batches written as they
    # come (each product's in a table of its own: the rows keep the order of the products).
    # The longest start first: a product's time grows with the size of the fits it scores
    # (LightGBM's trees, their contributions most), which the length of their text tells.
    product_ids = sorted(models_frame["product_id"].unique())
    jobs = [scoring(product_id) for product_id in product_ids]
    costs = [
        sum(
            len(text)
            for column in ARTIFACT_COLUMNS.values()
            for text in models_frame.loc[models_frame["product_id"] == product_id, column]
            if isinstance(text, str)
        )
        for product_id in product_ids
    ]
    scored = collect_batches(
        session, side_by_side(jobs, cores(), costs), SCORE_TYPES, "ml_propensity_scores__batches"
    )
    if dbt.is_incremental:
        # the kept test scores stay where they are; everything else is replaced, in one
        # transaction (dbt then appends nothing)
        return replace_all_but(session, str(dbt.this), kept, scored)
    return scored if kept is None else scored.union(kept)
