"""``python -m targeting.spark_ml``: the three ML models of the dbt project, on Spark.

dbt-spark runs dbt Python models only on Databricks, so on the ``spark`` target
``ml_propensity_models``, ``ml_propensity_scores`` and ``ml_user_clusters`` are built by
this command after ``dbt build --target spark``, and ``ml_feature_importances`` with them
(``targeting.importance``, read from the models' table). It reads the tables the SQL
models wrote and writes the ``ml.*`` tables with the columns and types they have on
DuckDB, calling the same functions as the dbt Python models:

- training (``targeting.training.train_product``) runs on the driver, one product at a
  time: its bounded training sample in one piece, its test rows in batches;
- scoring (``targeting.scoring``) runs inside Spark with ``mapInArrow``: a first pass
  scores the score snapshot under each product's champion to find its
  ``max_reason_rows`` best-scored users, a second scores every row and words the
  reasons of those users;
- clustering (``targeting.clusters.cluster_users``) runs on the driver.

Rows reach the functions as Arrow, each with its item usage as a list beside it, and
become (rows, ``Usage``) through ``relations.split_usage``: the same frames and usage as
DuckDB hands them (there the usage of a snapshot is read once, ``relations.usage_at``;
scores are the same bits either way, tests/python/test_spark_ml.py). The Spark session is
built from the ``spark`` target of ``profiles.yml`` and the settings from the same files
dbt reads (``targeting.spark_settings``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from targeting.clusters import cluster_users
from targeting.importance import IMPORTANCE_TYPES, model_importances
from targeting.relations import ITEM_USES, split_usage
from targeting.reuse import NO_STORED_MODEL, grid_dates, inputs_json, training_inputs
from targeting.scoring import (
    ARTIFACT_COLUMNS,
    SCORE_TYPES,
    Stored,
    reason_model,
    score_stored,
    stored_models,
)
from targeting.spark_settings import (
    PROFILE_TARGET,
    SPARK_TYPES,
    MlSettings,
    SettingsError,
    column_types,
    spark_conf,
    spark_ddl,
)
from targeting.training import MODEL_TYPES, train_product

# The tables the dbt models wrote that this step reads, by the name used here.
INPUT_TABLES = {
    "features": "marts.fct_feature_snapshots",
    "sample": "marts.fct_training_sample",
    "usage": "intermediate.int_user_items_windowed",
    "snapshots": "intermediate.int_snapshots",
    "products": "intermediate.int_products",
    "behavior": "intermediate.int_users_behavior_windowed",
}
ML_DATABASE = "ml"
MODELS_TABLE = f"{ML_DATABASE}.ml_propensity_models"
SCORES_TABLE = f"{ML_DATABASE}.ml_propensity_scores"
CLUSTERS_TABLE = f"{ML_DATABASE}.ml_user_clusters"
IMPORTANCES_TABLE = f"{ML_DATABASE}.ml_feature_importances"
# Per scored row, the models whose reasons it gets (a helper column of the scoring pass).
EXPLAIN = "_explain_models"
# The first scoring pass's columns: enough to rank each model's users.
RANK_TYPES = {
    "product_id": "varchar",
    "model_name": "varchar",
    "user_id": "varchar",
    "score": "double",
}
ARROW_TYPES = {
    "varchar": pa.string(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
# pyspark warns about pandas 3 on import paths it does not use here: rows cross as Arrow.
PANDAS_WARNING = "PySpark does not yet fully support pandas"

Log = Callable[[str], None]


class MissingTableError(RuntimeError):
    """An input table is not in the Spark warehouse."""


def log_line(message: str) -> None:
    print(f"spark_ml: {message}", file=sys.stderr, flush=True)


def spark_session(conf: Mapping[str, str]) -> SparkSession:
    """The session dbt-spark's ``method: session`` builds: Hive support and ``conf``.

    The Python workers run this interpreter (unless PYSPARK_PYTHON says otherwise), so
    they import the same ``targeting`` package and libraries as the driver.
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def read_inputs(spark: SparkSession) -> dict[str, DataFrame]:
    """The input tables; fails in one line naming the missing ones."""
    missing = [table for table in INPUT_TABLES.values() if not spark.catalog.tableExists(table)]
    if missing:
        raise MissingTableError(
            f"{', '.join(missing)} not in the Spark warehouse: run `dbt build --target spark` "
            "first (make run-spark does)"
        )
    return {name: spark.table(table) for name, table in INPUT_TABLES.items()}


def with_item_uses(rows: DataFrame, usage: DataFrame) -> DataFrame:
    """``rows`` with each row's usage as a list column ``item_uses`` in (item_kind, item)
    order, null without usage (``relations.split_usage`` reads it)."""
    dates = rows.select("snapshot_date").distinct()
    items = F.struct("item_kind", "item", "uses_90d")
    lists = (
        usage.join(dates, "snapshot_date")
        .groupBy("user_id", "snapshot_date")
        .agg(F.sort_array(F.collect_list(items)).alias(ITEM_USES))
    )
    return rows.join(lists, ["user_id", "snapshot_date"], "left").select(*rows.columns, ITEM_USES)


def typed_frame(spark: SparkSession, frame: pd.DataFrame, types: Mapping[str, str]) -> DataFrame:
    """``frame``'s columns ``types`` cast to their Spark types (NaN and None become null),
    as ``relations.typed_relation`` does on DuckDB."""
    if frame.empty:
        return spark.createDataFrame([], spark_ddl(types))
    arrays = []
    for name, sql_type in types.items():
        array = pa.array(frame[name], from_pandas=True)
        # an all-null column has no type of its own
        arrays.append(array.cast(ARROW_TYPES[sql_type]) if pa.types.is_null(array.type) else array)
    table = pa.Table.from_arrays(arrays, names=list(types))
    columns = [F.col(f"`{name}`").cast(SPARK_TYPES[t]).alias(name) for name, t in types.items()]
    return spark.createDataFrame(table).select(*columns)


def arrow_batch(frame: pd.DataFrame, types: Mapping[str, str]) -> pa.RecordBatch:
    """``frame``'s columns ``types`` as an Arrow batch of exactly the Spark schema's types
    (NaN and None become null)."""
    arrays = [
        pa.array(frame[name], from_pandas=True).cast(ARROW_TYPES[sql_type])
        for name, sql_type in types.items()
    ]
    return pa.RecordBatch.from_arrays(arrays, names=list(types))


def arrow_batches(rows: DataFrame, key: str, batch_rows: int) -> Iterator[pa.Table]:
    """``rows`` in ``key`` order (a unique key), as Arrow tables of at most ``batch_rows``
    rows: the keys are read first, then one query per range of keys (persist ``rows``)."""
    keys = rows.select(key).orderBy(key).toArrow().column(key).to_pylist()
    bounds = keys[::batch_rows]
    for position, low in enumerate(bounds):
        selected = F.col(key) >= low
        if position + 1 < len(bounds):
            selected &= F.col(key) < bounds[position + 1]
        yield rows.filter(selected).orderBy(key).toArrow()


def score_snapshot_date(snapshots: DataFrame) -> dt.date:
    dates = snapshots.filter("role = 'score'").select("snapshot_date").collect()
    if len(dates) != 1:
        raise RuntimeError(f"intermediate.int_snapshots has {len(dates)} score snapshots, not 1")
    return dates[0][0]


def train_models(inputs: Mapping[str, DataFrame], settings: MlSettings, log: Log) -> pd.DataFrame:
    """``ml_propensity_models``' rows (columns ``MODEL_TYPES``), one product at a time in
    product_id order, as the dbt Python model ``ml_propensity_models`` computes them."""
    features, usage = inputs["features"], inputs["usage"]
    score_date = score_snapshot_date(inputs["snapshots"])
    keys = ["user_id", "product_id", "snapshot_date"]
    sampled = features.join(inputs["sample"].select(*keys, "sample_weight"), keys).select(
        *features.columns, "sample_weight"
    )
    products = inputs["products"].select("product_id").orderBy("product_id").collect()
    train_dates, test_date, _ = grid_dates(
        inputs["snapshots"].select("role", "snapshot_date").collect()
    )
    feature_version = ",".join(
        sorted(
            row[0]
            for row in features.filter(F.col("role").isin("train", "test"))
            .select("feature_version")
            .distinct()
            .collect()
        )
    )
    # every product's rows with their usage, joined once and read once per product
    training_rows = with_item_uses(sampled, usage).persist()
    test_rows = features.filter((F.col("role") == "test") & F.col("is_eligible"))
    test_rows = with_item_uses(test_rows, usage).persist()
    frames = []
    try:
        for (product_id,) in products:
            started = time.monotonic()
            product = F.col("product_id") == product_id
            table = training_rows.filter(product).orderBy("snapshot_date", "user_id").toArrow()
            rows, rows_usage = split_usage(table)
            test_batches = (
                split_usage(batch)
                for batch in arrow_batches(
                    test_rows.filter(product), "user_id", settings.training_batch_rows
                )
            )
            frame = train_product(
                product_id, rows, rows_usage, settings.training, score_date, test_batches
            )
            # a Spark run trains every model: its tables are built anew each time
            product_inputs = training_inputs(
                product_id,
                settings.training,
                train_dates,
                test_date,
                feature_version,
                settings.max_training_rows,
            )
            frame = frame.assign(
                training_reason=NO_STORED_MODEL, training_inputs=inputs_json(product_inputs)
            )
            frames.append(frame)
            fitted = ", ".join(frame.loc[frame["status"] == "ok", "model_name"]) or "no model"
            log(
                f"product {product_id}: trained {fitted} on {len(rows):,} rows "
                f"in {time.monotonic() - started:.0f} s"
            )
    finally:
        training_rows.unpersist()
        test_rows.unpersist()
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*MODEL_TYPES])


def _scorer(
    stored: Mapping[str, Stored], types: Mapping[str, str], explain: bool
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function scoring batches of rows (with ``item_uses``, and with
    ``EXPLAIN`` when ``explain``) under ``stored`` (per role, the product's stored fits).

    Each product and role of a batch is scored by ``scoring.score_stored``; the reasons of
    a row are worded for the models its ``EXPLAIN`` list names. Returns ``types``' columns.
    """

    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for record_batch in batches:
            table = pa.Table.from_batches([record_batch])
            groups = list(
                zip(
                    table.column("product_id").to_pylist(),
                    table.column("role").to_pylist(),
                    strict=True,
                )
            )
            for product_id, role in sorted(set(groups)):
                models = [fit for fit in stored[role] if fit[0] == product_id]
                if not models:
                    continue
                # one product and role at a time, as on DuckDB: a user's usage is the same
                # list in every product's row, and must be counted once
                rows = table.take([i for i, key in enumerate(groups) if key == (product_id, role)])
                explained = rows.column(EXPLAIN).to_pylist() if explain else None
                batch, usage = split_usage(rows.drop_columns([EXPLAIN]) if explain else rows)
                reason_user_ids = [set() for _ in models]
                if explained is not None:
                    for user_ids, (_, model_name, _) in zip(reason_user_ids, models, strict=True):
                        user_ids.update(
                            user_id
                            for user_id, names in zip(batch["user_id"], explained, strict=True)
                            if model_name in (names or ())
                        )
                for out in score_stored(models, batch, usage, reason_user_ids):
                    yield arrow_batch(out, types)

    return score


def score_models(
    spark: SparkSession,
    models: pd.DataFrame,
    inputs: Mapping[str, DataFrame],
    settings: MlSettings,
) -> DataFrame:
    """``ml_propensity_scores`` (columns ``SCORE_TYPES``) of ``models`` (rows of
    ``ml_propensity_models``), computed in Spark by the time it returns (checkpointed),
    in a stable row order.

    As ``scoring.score_product``: every eligible row of the test snapshot under the
    evaluation fit, of the score snapshot under the scoring fit, and reasons at the score
    snapshot for the champion's ``max_reason_rows`` best-scored users (score descending,
    then user_id).
    """
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(settings.batch_rows))
    stored = {role: stored_models(models, role) for role in ARTIFACT_COLUMNS}
    products = sorted({fit[0] for fits in stored.values() for fit in fits})
    # reasons are worded for each product's champion only: the first pass ranks its users
    champions = {product: reason_model(rows) for product, rows in models.groupby("product_id")}
    fits = spark.sparkContext.broadcast(stored)
    champion_fits = spark.sparkContext.broadcast(
        {"score": [fit for fit in stored["score"] if champions.get(fit[0]) == fit[1]]}
    )
    rows = inputs["features"].filter(
        F.col("is_eligible")
        & F.col("role").isin(*ARTIFACT_COLUMNS)
        & F.col("product_id").isin(*products)
    )
    # read by both passes; each pass's result is computed once (localCheckpoint), not
    # again for the samples that range partitioning and sorting take of their input
    rows = with_item_uses(rows, inputs["usage"]).persist()

    def in_order(frame: DataFrame) -> DataFrame:
        # Few, large batches: contiguous users of one product and role in each partition,
        # since wording reasons costs per batch as well as per row. A row's score and
        # reasons do not depend on the rows batched with it.
        order = ["product_id", "role", "user_id"]
        return frame.repartitionByRange(*order).sortWithinPartitions(*order)

    def scored(frame: DataFrame, types: Mapping[str, str], explain: bool, by=fits) -> DataFrame:
        def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            return _scorer(by.value, types, explain)(batches)

        return in_order(frame).mapInArrow(score, spark_ddl(types))

    try:
        score_rows = rows.filter(F.col("role") == "score")
        ranked = scored(score_rows, RANK_TYPES, explain=False, by=champion_fits)
        best_first = Window.partitionBy("product_id", "model_name").orderBy(
            F.desc("score"), F.asc("user_id")
        )
        explain = (
            ranked.withColumn("_rank", F.row_number().over(best_first))
            .filter(F.col("_rank") <= settings.max_reason_rows)
            .groupBy("product_id", "user_id")
            .agg(F.sort_array(F.collect_list("model_name")).alias(EXPLAIN))
            .withColumn("role", F.lit("score"))
            .localCheckpoint()
        )
        explained = rows.join(explain, ["product_id", "user_id", "role"], "left")
        scores = scored(explained.select(*rows.columns, EXPLAIN), SCORE_TYPES, explain=True)
        scores = scores.localCheckpoint()
    finally:
        rows.unpersist()
    return scores.orderBy("product_id", "model_name", "snapshot_date", "user_id")


def cluster(inputs: Mapping[str, DataFrame], settings: MlSettings) -> pd.DataFrame:
    """``ml_user_clusters``' rows, as the dbt Python model ``ml_user_clusters`` computes them."""
    behavior = inputs["behavior"]
    score_dates = inputs["snapshots"].filter("role = 'score'").select("snapshot_date")
    # in key order: k-means depends on the row order
    rows = behavior.join(score_dates, "snapshot_date").select(*behavior.columns).orderBy("user_id")
    frame = rows.toArrow().to_pandas(date_as_object=False)
    options = settings.clusters
    return cluster_users(
        frame,
        options.features,
        k_min=options.k_min,
        k_max=options.k_max,
        seed=options.seed,
        silhouette_sample=options.silhouette_sample,
        fit_sample=options.fit_sample,
    )


def write_table(frame: DataFrame, table: str) -> None:
    """``frame`` as the Parquet table ``table``, replacing it."""
    database = table.split(".", 1)[0]
    if not frame.sparkSession.catalog.databaseExists(database):
        frame.sparkSession.sql(f"create database if not exists `{database}`")
    frame.write.mode("overwrite").format("parquet").saveAsTable(table)


def stored_frame(spark: SparkSession, table: str) -> pd.DataFrame:
    return spark.table(table).toArrow().to_pandas(date_as_object=False)


def run(
    spark: SparkSession, settings: MlSettings, project_dir: Path | str = ".", log: Log = log_line
) -> None:
    """Train, score and cluster, writing ``ml.ml_propensity_models`` (and the
    ``ml.ml_feature_importances`` read from it), ``ml.ml_propensity_scores`` and
    ``ml.ml_user_clusters``."""
    inputs = read_inputs(spark)

    started = time.monotonic()
    models = train_models(inputs, settings, log)
    write_table(typed_frame(spark, models, MODEL_TYPES), MODELS_TABLE)
    log(f"wrote {MODELS_TABLE}: {len(models)} rows in {time.monotonic() - started:.0f} s")
    importances = model_importances(models)
    write_table(typed_frame(spark, importances, IMPORTANCE_TYPES), IMPORTANCES_TABLE)
    log(f"wrote {IMPORTANCES_TABLE}: {len(importances):,} rows")

    started = time.monotonic()
    write_table(
        score_models(spark, stored_frame(spark, MODELS_TABLE), inputs, settings), SCORES_TABLE
    )
    n_scores = spark.table(SCORES_TABLE).count()
    log(f"wrote {SCORES_TABLE}: {n_scores:,} rows in {time.monotonic() - started:.0f} s")

    started = time.monotonic()
    clusters = cluster(inputs, settings)
    types = column_types(project_dir, "ml_user_clusters")
    write_table(typed_frame(spark, clusters, types), CLUSTERS_TABLE)
    log(f"wrote {CLUSTERS_TABLE}: {len(clusters):,} rows in {time.monotonic() - started:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m targeting.spark_ml",
        description="Train, score and cluster on Spark after `dbt build --target spark`.",
    )
    parser.add_argument(
        "--profiles-dir",
        default=os.environ.get("DBT_PROFILES_DIR", "."),
        help="folder of profiles.yml (default: $DBT_PROFILES_DIR, else .)",
    )
    parser.add_argument("--project-dir", default=".", help="folder of dbt_project.yml")
    parser.add_argument("--target", default=PROFILE_TARGET, help="the profile's Spark target")
    parser.add_argument("--vars", default=None, help="a YAML mapping, as dbt's --vars")
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore", message=PANDAS_WARNING, category=FutureWarning)
    try:
        settings = MlSettings.load(args.project_dir, args.vars)
        conf = spark_conf(args.profiles_dir, args.project_dir, args.target)
    except SettingsError as error:
        log_line(f"error: {error}")
        return 2
    started = time.monotonic()
    spark = spark_session(conf)
    spark.sparkContext.setLogLevel("WARN")
    try:
        run(spark, settings, args.project_dir)
    except MissingTableError as error:
        log_line(f"error: {error}")
        return 1
    finally:
        spark.stop()
    log_line(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
