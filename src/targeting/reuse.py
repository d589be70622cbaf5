"""When to train again: a product's stored models are reused while their inputs stay the same.

What the dbt Python model ``ml_propensity_models`` asks before it trains a product. The
models of a product depend on its train and test snapshot dates (the grid), the version
of the features (``fct_feature_snapshots.feature_version``: the vars that shape them and
the code that computes them), the settings of the models and of the training sample, and
the code of this package that trains and scores them. These are its **training inputs**,
stored beside the models as JSON (``training_inputs``). A run that finds the same inputs
reuses the stored models; a run that finds any of them changed, no stored model, or the
retrain switch (``targeting__retrain``) trains again, and says why (``training_reason``).

On 27 days out of 28 the grid does not move, so a daily run reuses every model and only
scores the new score snapshot with them (README, "Daily runs").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import inspect
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd

from targeting.training import TrainingConfig, date_text

# The modules whose code decides what a fitted model and its test scores are.
CODE_MODULES = (
    "targeting.training",
    "targeting.candidates",
    "targeting.encoding",
    "targeting.calibration",
    "targeting.metrics",
    "targeting.scoring",
    "targeting.relations",
)
RETRAIN_REQUESTED = "retrain requested (var targeting__retrain)"
NO_STORED_MODEL = "no stored model for this product (a first build or --full-refresh)"


def utc_now() -> str:
    """The time now (UTC, to the second), as ``trained_at`` holds it."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


@cache
def code_version() -> str:
    """md5 of the source of the modules that fit and score the models."""
    digest = hashlib.md5(usedforsecurity=False)
    for name in CODE_MODULES:
        digest.update(name.encode())
        digest.update(inspect.getsource(importlib.import_module(name)).encode())
    return digest.hexdigest()


def grid_dates(roles: Iterable[tuple[str, Any]]) -> tuple[list[Any], Any, Any]:
    """(train dates, test date, score date) of ``int_snapshots``' (role, snapshot_date) rows;
    None where a role has no snapshot."""
    by_role: dict[str, list[Any]] = {}
    for role, date in roles:
        by_role.setdefault(role, []).append(date)
    latest = {role: max(dates) for role, dates in by_role.items()}
    return sorted(by_role.get("train", [])), latest.get("test"), latest.get("score")


def training_inputs(
    product_id: str,
    config: TrainingConfig,
    train_snapshot_dates: Sequence[Any],
    test_snapshot_date: Any,
    feature_version: str | None,
    max_training_rows: int,
) -> dict[str, Any]:
    """Everything a product's fitted models depend on, as a JSON-able dict."""
    return {
        "product_id": product_id,
        "train_snapshot_dates": [date_text(d) for d in sorted(train_snapshot_dates)],
        "test_snapshot_date": date_text(test_snapshot_date),
        "feature_version": feature_version,
        "max_training_rows": int(max_training_rows),
        "seed": config.seed,
        "top_k": config.top_k,
        "min_adopters_for_model": config.min_adopters_for_model,
        "latent_factors": config.latent_factors,
        "model_params": config.model_params,
        "code_version": code_version(),
    }


@dataclass(frozen=True)
class Decision:
    """Whether to reuse a product's stored models, and if not, why it is trained."""

    reuse: bool
    reason: str | None = None


def decide(stored: pd.DataFrame | None, inputs: dict[str, Any], retrain: bool) -> Decision:
    """Reuse the stored rows of one product (``ml_propensity_models``) or train again.

    ``stored`` holds the product's rows from the last run (None or empty when there are
    none); they are reused only when every one of them was trained on ``inputs``.
    """
    if retrain:
        return Decision(False, RETRAIN_REQUESTED)
    if stored is None or stored.empty:
        return Decision(False, NO_STORED_MODEL)
    if "training_inputs" not in stored:
        return Decision(False, "the stored models do not record their training inputs")
    recorded = set(stored["training_inputs"])
    if len(recorded) != 1:
        return Decision(False, "the stored models of this product were trained on different inputs")
    (text,) = recorded
    previous = json.loads(text) if isinstance(text, str) else {}
    if previous == _normalized(inputs):
        return Decision(True)
    return Decision(False, describe_change(previous, inputs))


def describe_change(previous: dict[str, Any], inputs: dict[str, Any]) -> str:
    """What changed between the stored models' inputs and this run's, in a sentence."""
    inputs = _normalized(inputs)
    changed = sorted(
        key for key in previous.keys() | inputs.keys() if previous.get(key) != inputs.get(key)
    )
    if "test_snapshot_date" in changed:
        return (
            f"the grid moved: test snapshot {previous.get('test_snapshot_date')} -> "
            f"{inputs.get('test_snapshot_date')}"
        )
    return "changed since the stored models: " + ", ".join(changed)


def _normalized(inputs: dict[str, Any]) -> dict[str, Any]:
    """``inputs`` as they read back from their JSON (tuples become lists, and so on)."""
    return json.loads(inputs_json(inputs))


def inputs_json(inputs: dict[str, Any]) -> str:
    return json.dumps(inputs, sort_keys=True)
