"""The settings of the Spark ML step (``targeting.spark_ml``), read where dbt reads them.

Nothing here is written twice: the Spark session's settings are the ``spark`` target's
``server_side_parameters`` in ``profiles.yml``; the vars are ``dbt_project.yml``'s
defaults with ``--vars`` over them, as dbt merges them; which var feeds which setting of
the three ML models is their ``config:`` in ``python_models/ml/_ml__models.yml``,
rendered here as dbt renders it (``var``, ``env_var``, ``tojson``, ``run_started_at``).
Pure: no Spark needed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined

from targeting.training import TrainingConfig

PROFILE_TARGET = "spark"
ML_MODELS_YAML = Path("python_models") / "ml" / "_ml__models.yml"
# dbt-spark sets this over whatever the profile says (dbt.adapters.spark.connections).
DBT_SPARK_OVERRIDES = {"spark.sql.ansi.enabled": "false"}
# The warehouse types of the models' columns (DuckDB SQL) and their Spark SQL types.
SPARK_TYPES = {
    "varchar": "string",
    "integer": "int",
    "bigint": "bigint",
    "double": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}


def spark_ddl(types: Mapping[str, str]) -> str:
    """A Spark schema (DDL) with each column's warehouse type mapped to Spark's."""
    return ", ".join(f"`{name}` {SPARK_TYPES[sql_type]}" for name, sql_type in types.items())


class SettingsError(ValueError):
    """A settings file or ``--vars`` that cannot be used; the message says which and why."""


def env_var_function(env: Mapping[str, str]) -> Callable[..., str]:
    """dbt's ``env_var(name, default)``: the variable's value, else the default, else an error."""

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise SettingsError(f"env_var('{name}') is not set and has no default")

    return env_var


def render(value: Any, context: Mapping[str, Any]) -> Any:
    """Strings rendered as Jinja templates with ``context``; lists and mappings recursively."""
    if isinstance(value, str):
        environment = Environment(undefined=StrictUndefined, keep_trailing_newline=True)
        return environment.from_string(value).render(**context)
    if isinstance(value, list):
        return [render(item, context) for item in value]
    if isinstance(value, dict):
        return {key: render(item, context) for key, item in value.items()}
    return value


def load_yaml(path: Path) -> Any:
    if not path.is_file():
        raise SettingsError(f"{path} not found")
    with path.open() as file:
        return yaml.safe_load(file)


def spark_conf(
    profiles_dir: Path | str = ".",
    project_dir: Path | str = ".",
    target: str = PROFILE_TARGET,
    env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The Spark settings of ``target`` in ``profiles.yml``, as dbt-spark's session gets them:
    the server_side_parameters rendered (``env_var``), as text, with ANSI mode off."""
    env = os.environ if env is None else env
    profile = load_yaml(Path(project_dir) / "dbt_project.yml")["profile"]
    path = Path(profiles_dir) / "profiles.yml"
    outputs = (load_yaml(path).get(profile) or {}).get("outputs") or {}
    if target not in outputs:
        raise SettingsError(f"{path}: profile {profile!r} has no target {target!r}")
    parameters = outputs[target].get("server_side_parameters") or {}
    context = {"env_var": env_var_function(env)}
    conf = {str(key): str(render(str(value), context)) for key, value in parameters.items()}
    return {**conf, **DBT_SPARK_OVERRIDES}


def parse_cli_vars(text: str | None) -> dict[str, Any]:
    """``--vars`` as dbt reads it: a YAML mapping (empty when not given)."""
    if not text:
        return {}
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SettingsError(f"--vars is not valid YAML: {error}") from error
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise SettingsError(f"--vars must be a YAML mapping, got: {text}")
    return parsed


def project_vars(project_dir: Path | str = ".", cli_vars: str | None = None) -> dict[str, Any]:
    """The vars of a run: ``dbt_project.yml``'s defaults, each replaced by ``--vars``' value
    when it has one (dbt replaces a var whole: a mapping is not merged key by key)."""
    defaults = load_yaml(Path(project_dir) / "dbt_project.yml").get("vars") or {}
    return {**defaults, **parse_cli_vars(cli_vars)}


# dbt's hooks are SQL for dbt to run (with this and ref), not settings of the models.
HOOKS = ("pre_hook", "post_hook", "pre-hook", "post-hook")


def model_configs(
    project_dir: Path | str,
    variables: Mapping[str, Any],
    run_started_at: dt.datetime,
    env: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """The ``config:`` of each model in ``_ml__models.yml``, rendered as dbt renders it."""
    env = os.environ if env is None else env

    def var(name: str, default: Any = None) -> Any:
        if name in variables:
            return variables[name]
        if default is not None:
            return default
        raise SettingsError(f"var('{name}') is not defined in dbt_project.yml or --vars")

    context = {
        "var": var,
        "env_var": env_var_function(env),
        "tojson": json.dumps,
        "run_started_at": run_started_at,
    }
    models = load_yaml(Path(project_dir) / ML_MODELS_YAML).get("models") or []
    return {
        model["name"]: render(
            {key: value for key, value in (model.get("config") or {}).items() if key not in HOOKS},
            context,
        )
        for model in models
    }


def column_types(project_dir: Path | str, model: str) -> dict[str, str]:
    """A model's columns and their documented warehouse types, from ``_ml__models.yml``."""
    for entry in load_yaml(Path(project_dir) / ML_MODELS_YAML).get("models") or []:
        if entry["name"] == model:
            return {column["name"]: column["data_type"] for column in entry["columns"]}
    raise SettingsError(f"{ML_MODELS_YAML}: no model {model!r}")


@dataclass(frozen=True)
class ClusterSettings:
    features: list[str]
    k_min: int
    k_max: int
    seed: int
    silhouette_sample: int
    fit_sample: int


@dataclass(frozen=True)
class MlSettings:
    """What the three ML models of one run are configured with."""

    training: TrainingConfig
    # rows read or scored at a time: the test rows of training, the rows of scoring
    training_batch_rows: int
    # the training sample's bound (targeting__max_training_rows), one of the training inputs
    max_training_rows: int
    batch_rows: int
    max_reason_rows: int
    clusters: ClusterSettings

    @classmethod
    def load(
        cls,
        project_dir: Path | str = ".",
        cli_vars: str | None = None,
        run_started_at: dt.datetime | None = None,
        env: Mapping[str, str] | None = None,
    ) -> MlSettings:
        """The settings of a run started at ``run_started_at`` (UTC; default now)."""
        started = run_started_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        configs = model_configs(project_dir, project_vars(project_dir, cli_vars), started, env)
        models = configs["ml_propensity_models"]
        scores = configs["ml_propensity_scores"]
        clusters = configs["ml_user_clusters"]
        return cls(
            training=TrainingConfig(
                seed=int(models["random_seed"]),
                top_k=int(models["top_k"]),
                min_adopters_for_model=int(models["min_adopters_for_model"]),
                latent_factors=int(models["latent_factors"]),
                model_params=json.loads(models["model_params"]),
                trained_at=started.strftime("%Y-%m-%d %H:%M:%S"),
            ),
            training_batch_rows=int(models["batch_size"]),
            max_training_rows=int(models["max_training_rows"]),
            batch_rows=int(scores["batch_size"]),
            max_reason_rows=int(scores["max_reason_rows"]),
            clusters=ClusterSettings(
                features=list(clusters["cluster_features"]),
                k_min=int(clusters["cluster_k_min"]),
                k_max=int(clusters["cluster_k_max"]),
                seed=int(clusters["random_seed"]),
                silhouette_sample=int(clusters["cluster_silhouette_sample"]),
                fit_sample=int(clusters["cluster_fit_sample"]),
            ),
        )
