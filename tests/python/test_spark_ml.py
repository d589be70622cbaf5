"""The Spark ML step (``python -m targeting.spark_ml``) gives what dbt's Python models give.

Compared with the DuckDB demo warehouse (``TARGETING_DEMO_WAREHOUSE``; built here when
unset): scored in Spark, DuckDB's own models give DuckDB's scores and reasons; a full run
trains models with DuckDB's metrics and champions. The Spark warehouse is under
``TARGETING_SPARK_HOME`` (a temporary folder when unset): the input tables found there
(``dbt build --target spark``) are used, the missing ones copied from DuckDB. The full run
is made here and replaces the ``ml`` tables there, unless ``TARGETING_SPARK_ML_DONE=1``
says that the step has just run on that warehouse (``make test-spark`` runs
``python -m targeting.spark_ml`` before the tests): then its tables are checked as they are.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from dbt_runner import REPO_ROOT

pytest.importorskip("pyspark", reason="pyspark is not installed")

from spark_fixtures import duckdb_table, ensure_tables

from targeting import spark_ml
from targeting.importance import IMPORTANCE_TYPES
from targeting.relations import batches, usage_at
from targeting.scoring import SCORE_TYPES, score_product
from targeting.spark_settings import SPARK_TYPES, MlSettings, column_types, spark_conf
from targeting.training import METRIC_COLUMNS, MODEL_TYPES

pytestmark = [
    pytest.mark.spark,
    pytest.mark.integration,
    # pyspark warns about pandas 3 where it registers mapInArrow, which needs no pandas
    pytest.mark.filterwarnings(f"ignore:{spark_ml.PANDAS_WARNING}:FutureWarning"),
]

SPARK_HOME_ENV = "TARGETING_SPARK_HOME"
ML_DONE_ENV = "TARGETING_SPARK_ML_DONE"
KEY = ["product_id", "model_name", "user_id", "snapshot_date"]
REASONS = ["reason_1", "reason_2", "reason_3"]
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: Path) -> Path:
    return demo_warehouse


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory):
    """A session built from the profile's spark target, its warehouse under
    TARGETING_SPARK_HOME or a temporary folder."""
    home = os.environ.get(SPARK_HOME_ENV) or str(tmp_path_factory.mktemp("spark"))
    conf = spark_conf(REPO_ROOT, REPO_ROOT, env={**os.environ, SPARK_HOME_ENV: home})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=spark_ml.PANDAS_WARNING)
        session = spark_ml.spark_session(conf)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def inputs(spark, warehouse: Path) -> dict:
    ensure_tables(spark, warehouse, spark_ml.INPUT_TABLES.values())
    return spark_ml.read_inputs(spark)


@pytest.fixture(scope="module")
def ml_run(spark, inputs) -> dt.datetime | None:
    """The ML step's tables in the Spark warehouse, written by a full run here (its start
    time returned), or by the run ``TARGETING_SPARK_ML_DONE=1`` announces (None)."""
    if os.environ.get(ML_DONE_ENV) == "1":
        outputs = [
            spark_ml.MODELS_TABLE,
            spark_ml.IMPORTANCES_TABLE,
            spark_ml.SCORES_TABLE,
            spark_ml.CLUSTERS_TABLE,
        ]
        missing = [table for table in outputs if not spark.catalog.tableExists(table)]
        assert not missing, f"{ML_DONE_ENV}=1, but the Spark warehouse has no {missing}"
        return None
    started = dt.datetime(2026, 1, 2, 3, 4, 5)
    settings = MlSettings.load(REPO_ROOT, run_started_at=started)
    spark_ml.run(spark, settings, REPO_ROOT, log=print)
    return started


def duckdb_frame(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).df()


def duckdb_models(spark, warehouse: Path) -> pd.DataFrame:
    """DuckDB's trained models, read into Spark and back as the scoring step reads them."""
    models = duckdb_table(spark, warehouse, spark_ml.MODELS_TABLE)
    return models.toArrow().to_pandas(date_as_object=False)


def values(series: pd.Series) -> list:
    """The values, with None for every kind of null."""
    return [None if pd.isna(value) else value for value in series]


def max_difference(left: pd.Series, right: pd.Series) -> float:
    """Largest absolute difference; NaN against a number counts as infinite."""
    left, right = left.to_numpy(dtype="float64"), right.to_numpy(dtype="float64")
    assert (np.isnan(left) == np.isnan(right)).all(), "null in one, a number in the other"
    known = ~np.isnan(left)
    return float(np.abs(left[known] - right[known]).max(initial=0.0))


def assert_same_scores(spark_scores: pd.DataFrame, duckdb_scores: pd.DataFrame) -> dict:
    """Row for row on the key: the same rows, labels and reasons; scores to TOLERANCE."""
    assert list(spark_scores.columns) == list(SCORE_TYPES)
    assert not spark_scores.duplicated(KEY).any()
    for frame in (spark_scores, duckdb_scores):
        frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"])
    both = duckdb_scores.merge(
        spark_scores, on=KEY, how="outer", suffixes=("_duckdb", "_spark"), indicator=True
    )
    assert (both["_merge"] == "both").all(), both["_merge"].value_counts()
    for column in ["role", "label", *REASONS]:
        duck = both[f"{column}_duckdb"].astype(object).where(both[f"{column}_duckdb"].notna())
        spark = both[f"{column}_spark"].astype(object).where(both[f"{column}_spark"].notna())
        differing = both.loc[duck.ne(spark) & ~(duck.isna() & spark.isna()), KEY]
        assert differing.empty, f"{column} differs on {len(differing)} rows:\n{differing.head()}"
    differences = {
        column: max_difference(both[f"{column}_duckdb"], both[f"{column}_spark"])
        for column in ("score", "probability")
    }
    print(f"\n{len(both):,} scores, max abs difference {differences}")
    assert max(differences.values()) <= TOLERANCE, differences
    return differences


def test_duckdbs_models_scored_in_spark_give_duckdbs_scores_and_reasons(
    spark, inputs, warehouse: Path
) -> None:
    settings = MlSettings.load(REPO_ROOT)
    scores = spark_ml.score_models(spark, duckdb_models(spark, warehouse), inputs, settings)
    assert [(f.name, f.dataType.simpleString()) for f in scores.schema.fields] == [
        (name, SPARK_TYPES[sql_type]) for name, sql_type in SCORE_TYPES.items()
    ]
    assert_same_scores(
        scores.toArrow().to_pandas(date_as_object=False),
        duckdb_frame(warehouse, f"select * from {spark_ml.SCORES_TABLE}"),
    )


def test_reasons_only_for_the_best_scored_users_as_on_duckdb(
    spark, inputs, warehouse: Path
) -> None:
    """With fewer reason rows than users, Spark words the same users' reasons as
    ``score_product`` on DuckDB (ties in score broken by user_id)."""
    product, max_reason_rows = "analytics_pro", 700
    settings = MlSettings.load(REPO_ROOT, f"{{targeting__max_reason_rows: {max_reason_rows}}}")
    models = duckdb_models(spark, warehouse)
    models = models[models["product_id"] == product].sort_values("model_name")
    spark_scores = spark_ml.score_models(spark, models, inputs, settings)
    spark_scores = spark_scores.toArrow().to_pandas(date_as_object=False)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        features = con.table("marts.fct_feature_snapshots")
        usage = con.table("intermediate.int_user_items_windowed")

        def rows_of(role: str):
            rows = features.filter(f"product_id = '{product}' and is_eligible and role = '{role}'")
            role_usage = usage_at(rows, usage)
            return lambda: batches(rows.order("user_id"), role_usage, settings.batch_rows)

        duckdb_scores = pd.concat(
            score_product(models, rows_of("test"), rows_of("score"), max_reason_rows),
            ignore_index=True,
        )
    explained = spark_scores[spark_scores["reason_1"].notna()]
    assert 0 < explained.groupby("model_name").size().max() <= max_reason_rows
    assert (explained["role"] == "score").all()
    assert_same_scores(spark_scores, duckdb_scores)


def test_a_missing_input_table_fails_in_one_line(spark, monkeypatch) -> None:
    tables = {**spark_ml.INPUT_TABLES, "nothing": "marts.no_such_table"}
    monkeypatch.setattr(spark_ml, "INPUT_TABLES", tables)
    with pytest.raises(spark_ml.MissingTableError) as raised:
        spark_ml.read_inputs(spark)
    message = str(raised.value)
    assert "marts.no_such_table" in message and "dbt build --target spark" in message
    assert "\n" not in message


def test_a_full_run_trains_duckdbs_models_and_writes_the_ml_tables(
    spark, ml_run: dt.datetime | None, warehouse: Path
) -> None:
    for table, types in (
        (spark_ml.MODELS_TABLE, MODEL_TYPES),
        (spark_ml.IMPORTANCES_TABLE, IMPORTANCE_TYPES),
        (spark_ml.SCORES_TABLE, SCORE_TYPES),
        (spark_ml.CLUSTERS_TABLE, column_types(REPO_ROOT, "ml_user_clusters")),
    ):
        fields = spark.table(table).schema.fields
        assert [(f.name, f.dataType.simpleString()) for f in fields] == [
            (name, SPARK_TYPES[sql_type]) for name, sql_type in types.items()
        ], table

    models = spark_ml.stored_frame(spark, spark_ml.MODELS_TABLE)
    expected = duckdb_frame(warehouse, f"select * from {spark_ml.MODELS_TABLE}")
    both = expected.merge(models, on=["product_id", "model_name"], suffixes=("_duckdb", "_spark"))
    assert len(both) == len(expected) == len(models)
    for column in ["status", "is_champion", "is_cold_start", "n_train_rows", "best_iteration"]:
        assert values(both[f"{column}_duckdb"]) == values(both[f"{column}_spark"]), column
    differences = {
        column: max_difference(both[f"{column}_duckdb"], both[f"{column}_spark"])
        for column in [*METRIC_COLUMNS, "validation_pr_auc"]
    }
    print(f"\nmodel metrics, max abs difference: {max(differences.values())}")
    assert max(differences.values()) <= TOLERANCE, differences
    # every model of a run carries the run's start (dbt's run_started_at on DuckDB)
    started = models["trained_at"].iloc[0] if ml_run is None else pd.Timestamp(ml_run, tz="UTC")
    assert (models["trained_at"] == started).all()

    # the same models: the same scores as DuckDB's
    assert_same_scores(
        spark_ml.stored_frame(spark, spark_ml.SCORES_TABLE),
        duckdb_frame(warehouse, f"select * from {spark_ml.SCORES_TABLE}"),
    )

    clusters = spark_ml.stored_frame(spark, spark_ml.CLUSTERS_TABLE).sort_values("user_id")
    expected_clusters = duckdb_frame(
        warehouse, f"select * from {spark_ml.CLUSTERS_TABLE} order by user_id"
    )
    pd.testing.assert_frame_equal(
        clusters.reset_index(drop=True).drop(columns="snapshot_date"),
        expected_clusters.drop(columns="snapshot_date"),
        check_dtype=False,
    )
