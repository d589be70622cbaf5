"""The Spark ML step's settings come from dbt's own files, read as dbt reads them."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from dbt_runner import REPO_ROOT

from targeting.importance import IMPORTANCE_TYPES
from targeting.scoring import SCORE_TYPES
from targeting.spark_settings import (
    DBT_SPARK_OVERRIDES,
    SPARK_TYPES,
    MlSettings,
    SettingsError,
    column_types,
    parse_cli_vars,
    project_vars,
    spark_conf,
    spark_ddl,
)
from targeting.training import MODEL_TYPES

STARTED = dt.datetime(2026, 3, 4, 5, 6, 7)


def write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with a dbt_project.yml and a profiles.yml of its own."""
    write(
        tmp_path / "dbt_project.yml",
        """\
        name: demo
        profile: demo_profile
        vars:
          targeting__top_k: 500
          targeting__model_params: {lightgbm: {num_leaves: 15, max_rounds: 50}}
        """,
    )
    write(
        tmp_path / "profiles.yml",
        """\
        demo_profile:
          target: dev
          outputs:
            spark:
              type: spark
              method: session
              server_side_parameters:
                spark.master: "local[{{ env_var('CORES', '*') }}]"
                spark.sql.warehouse.dir: "{{ env_var('HOME_DIR', 'data/spark') }}/warehouse"
                spark.sql.shuffle.partitions: 8
                spark.sql.ansi.enabled: "true"
        """,
    )
    return tmp_path


def test_spark_conf_renders_the_targets_parameters_with_env_var(project: Path) -> None:
    conf = spark_conf(project, project, env={"HOME_DIR": "/tmp/h"})
    assert conf == {
        "spark.master": "local[*]",
        "spark.sql.warehouse.dir": "/tmp/h/warehouse",
        "spark.sql.shuffle.partitions": "8",
        # as dbt-spark: ANSI mode off whatever the profile says
        "spark.sql.ansi.enabled": "false",
    }
    assert spark_conf(project, project, env={"CORES": "2"})["spark.master"] == "local[2]"


def test_spark_conf_fails_on_a_missing_target_or_variable(project: Path) -> None:
    with pytest.raises(SettingsError, match="no target 'nope'"):
        spark_conf(project, project, target="nope", env={})
    write(
        project / "profiles.yml",
        """\
        demo_profile:
          outputs:
            spark:
              server_side_parameters:
                spark.master: "{{ env_var('NEEDED') }}"
        """,
    )
    with pytest.raises(SettingsError, match="NEEDED"):
        spark_conf(project, project, env={})


def test_the_repos_spark_target_is_what_dbt_spark_gets() -> None:
    conf = spark_conf(REPO_ROOT, REPO_ROOT, env={"TARGETING_SPARK_HOME": "/x"})
    assert conf["spark.sql.warehouse.dir"] == "/x/warehouse"
    assert "databaseName=/x/metastore_db" in conf["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert conf.items() >= DBT_SPARK_OVERRIDES.items()
    assert all(isinstance(value, str) for value in conf.values())


def test_cli_vars_replace_the_project_defaults_whole(project: Path) -> None:
    merged = project_vars(project, "{targeting__model_params: {lightgbm: {num_leaves: 7}}}")
    assert merged == {
        "targeting__top_k": 500,
        "targeting__model_params": {"lightgbm": {"num_leaves": 7}},
    }
    assert project_vars(project, None) == project_vars(project, "")
    assert project_vars(project, "{new_var: 1}")["new_var"] == 1


@pytest.mark.parametrize("text", ["[1, 2]", "just text", "{unclosed: [1"])
def test_cli_vars_must_be_a_yaml_mapping(text: str) -> None:
    with pytest.raises(SettingsError, match="--vars"):
        parse_cli_vars(text)


def test_settings_are_the_ml_models_configs_rendered_with_the_vars() -> None:
    settings = MlSettings.load(REPO_ROOT, run_started_at=STARTED, env={})
    assert settings.training.seed == 42
    assert settings.training.top_k == 500
    assert settings.training.min_adopters_for_model == 50
    assert settings.training.latent_factors == 8
    assert settings.training.model_params == {}
    assert settings.training.trained_at == "2026-03-04 05:06:07"
    assert settings.training_batch_rows == settings.batch_rows == 200_000
    assert settings.max_reason_rows == 10_000
    clusters = settings.clusters
    assert (clusters.k_min, clusters.k_max, clusters.seed) == (2, 8, 42)
    assert (clusters.silhouette_sample, clusters.fit_sample) == (5000, 20000)
    assert clusters.features[0] == "sessions_30d" and len(clusters.features) == 13


def test_cli_vars_reach_every_setting_that_reads_them() -> None:
    settings = MlSettings.load(
        REPO_ROOT,
        "{targeting__random_seed: 7, targeting__top_k: 100, targeting__scoring_batch_rows: 10,"
        " targeting__max_reason_rows: 3, targeting__model_params: {lightgbm: {num_leaves: 5}}}",
        run_started_at=STARTED,
        env={},
    )
    assert (settings.training.seed, settings.clusters.seed) == (7, 7)
    assert settings.training.top_k == 100
    assert (settings.training_batch_rows, settings.batch_rows) == (10, 10)
    assert settings.max_reason_rows == 3
    assert settings.training.model_params == {"lightgbm": {"num_leaves": 5}}


def test_the_documented_column_types_are_the_written_ones() -> None:
    assert column_types(REPO_ROOT, "ml_propensity_models") == MODEL_TYPES
    assert column_types(REPO_ROOT, "ml_propensity_scores") == SCORE_TYPES
    assert column_types(REPO_ROOT, "ml_feature_importances") == IMPORTANCE_TYPES
    for types in (MODEL_TYPES, SCORE_TYPES, column_types(REPO_ROOT, "ml_user_clusters")):
        assert set(types.values()) <= set(SPARK_TYPES)


def test_spark_ddl_maps_each_type() -> None:
    types = {"a": "varchar", "b": "integer", "c": "timestamp", "d": "date"}
    assert spark_ddl(types) == "`a` string, `b` int, `c` timestamp, `d` date"
