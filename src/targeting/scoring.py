"""Scoring: rebuild a stored model from its JSON and score rows, with the reasons why.

What the dbt Python model ``ml_propensity_scores`` calls. A model row of
``ml_propensity_models`` carries two fits (``training``): ``evaluation_model`` scores the
test snapshot, ``scoring_model`` the score snapshot. Rows are scored in batches, so
memory stays bounded whatever the number of users.

Reasons are the encoded features that pushed a user's score up the most (positive
contributions only, at most ``n_reasons``), worded as a person reads them:
``n_teammates_adopted=3``, ``industry=software``, ``recency_days=missing``. They are
worded for the score snapshot, where people act on the list, and there for the
best-scored users up to a bound (``score_product``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from targeting.calibration import apply_calibration
from targeting.candidates import MODEL_CLASSES
from targeting.encoding import FeatureEncoder, Usage
from targeting.metrics import ranking_order
from targeting.threads import single_threaded

N_REASONS = 3
# The columns of ml_propensity_scores and their warehouse types.
SCORE_TYPES = {
    "product_id": "varchar",
    "model_name": "varchar",
    "user_id": "varchar",
    "snapshot_date": "date",
    "role": "varchar",
    "label": "integer",
    "score": "double",
    "probability": "double",
    **{f"reason_{i}": "varchar" for i in range(1, N_REASONS + 1)},
    # when the fit that scored the row was trained (ml_propensity_models.trained_at): a run
    # that reuses a model keeps its test scores (ml_propensity_scores)
    "trained_at": "timestamp",
}

# Which fit of a model row scores which role: the evaluation fit the test snapshot, the
# scoring fit the score snapshot.
ARTIFACT_COLUMNS = {"test": "evaluation_model", "score": "scoring_model"}
Stored = list[tuple[str, str, dict[str, Any]]]


def load_model(artifact: dict[str, Any] | str) -> tuple[FeatureEncoder, Any]:
    """The encoder and the candidate model of a stored model (JSON text or dict)."""
    data = json.loads(artifact) if isinstance(artifact, str) else artifact
    encoder = FeatureEncoder.from_dict(data["encoder"])
    model = MODEL_CLASSES[data["model_name"]].from_dict(data["model"])
    return encoder, model


@single_threaded
def predict(
    artifact: dict[str, Any] | str, rows: pd.DataFrame, usage: Usage
) -> tuple[np.ndarray, np.ndarray]:
    """(score, calibrated probability) of ``rows`` under a stored model."""
    data = json.loads(artifact) if isinstance(artifact, str) else artifact
    encoder, model = load_model(data)
    score = model.score(encoder.transform(rows, usage))
    return score, apply_calibration(score, data["calibration"])


def top_reasons(
    contributions: np.ndarray,
    encoder: FeatureEncoder,
    rows: pd.DataFrame,
    usage: Usage,
    n_reasons: int = N_REASONS,
) -> list[np.ndarray]:
    """``n_reasons`` arrays of reason texts (None where fewer features pushed up).

    A feature and its missing indicator can word the same (``recency_days=missing``):
    a row never gets the same reason twice.
    """
    n_rows, n_columns = contributions.shape
    reasons = [np.full(n_rows, None, dtype=object) for _ in range(n_reasons)]
    if n_rows == 0 or n_columns == 0:
        return reasons
    # largest first; ties in column order, so the wording never depends on the sort
    n_candidates = min(2 * n_reasons, n_columns)
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :n_candidates]
    candidates = []
    for rank in range(n_candidates):
        columns = order[:, rank]
        texts = np.full(n_rows, None, dtype=object)
        pushed_up = np.flatnonzero(contributions[np.arange(n_rows), columns] > 0)
        if pushed_up.size:
            texts[pushed_up] = encoder.describe(rows, usage, pushed_up, columns[pushed_up])
        candidates.append(texts)
    for row in range(n_rows):
        kept: list[str] = []
        for texts in candidates:
            text = texts[row]
            if text is not None and text not in kept:
                kept.append(text)
                if len(kept) == n_reasons:
                    break
        for rank, text in enumerate(kept):
            reasons[rank][row] = text
    return reasons


def score_rows(
    artifact: dict[str, Any] | str,
    rows: pd.DataFrame,
    usage: Usage,
    batch_size: int = 200_000,
    reason_user_ids: Collection[str] | None = None,
) -> Iterator[pd.DataFrame]:
    """Scores of ``rows`` (columns ``SCORE_TYPES`` but product and model), in batches."""
    batches = (
        (rows.iloc[start : start + batch_size], usage) for start in range(0, len(rows), batch_size)
    )
    return score_batches(artifact, batches, reason_user_ids)


def score_batches(
    artifact: dict[str, Any] | str,
    batches: Iterable[tuple[pd.DataFrame, Usage]],
    reason_user_ids: Collection[str] | None = None,
) -> Iterator[pd.DataFrame]:
    """Scores of every row of ``batches`` (rows, their usage); reasons for the rows of
    ``reason_user_ids`` (every row when None, no row when empty)."""
    data = json.loads(artifact) if isinstance(artifact, str) else artifact
    encoder, model = load_model(data)
    for batch, usage in batches:
        if len(batch):
            yield _score_batch(data, encoder, model, batch, usage, reason_user_ids)


@single_threaded
def _score_batch(
    data: dict[str, Any],
    encoder: FeatureEncoder,
    model: Any,
    batch: pd.DataFrame,
    usage: Usage,
    reason_user_ids: Collection[str] | None,
    matrix: np.ndarray | None = None,
) -> pd.DataFrame:
    matrix = encoder.transform(batch, usage) if matrix is None else matrix
    score = model.score(matrix)
    out = pd.DataFrame(
        {
            "user_id": batch["user_id"].to_numpy(),
            "snapshot_date": batch["snapshot_date"].to_numpy(),
            "role": batch["role"].to_numpy(),
            "label": pd.to_numeric(batch["label"], errors="coerce").to_numpy(),
            "score": score,
            "probability": apply_calibration(score, data["calibration"]),
        }
    )
    explained = (
        np.arange(len(batch))
        if reason_user_ids is None
        else np.flatnonzero(batch["user_id"].isin(reason_user_ids).to_numpy())
    )
    reasons = [np.full(len(batch), None, dtype=object) for _ in range(N_REASONS)]
    if explained.size:
        rows = batch.iloc[explained]
        contributions = model.contributions(matrix[explained])
        for rank, texts in enumerate(top_reasons(contributions, encoder, rows, usage)):
            reasons[rank][explained] = texts
    for rank, texts in enumerate(reasons):
        out[f"reason_{rank + 1}"] = texts
    out["trained_at"] = pd.Timestamp(data["trained_at"]) if data.get("trained_at") else None
    return out


Batches = Callable[[], Iterable[tuple[pd.DataFrame, Usage]]]


def score_product(
    models: pd.DataFrame,
    test_batches: Batches,
    score_batches_of: Batches,
    max_reason_rows: int | None = None,
) -> Iterator[pd.DataFrame]:
    """Every fitted model of one product on its eligible test and score rows.

    The batches, each (rows, their usage), come from callables, so the score rows can be
    read twice: once to find each model's ``max_reason_rows`` best-scored users, whose
    reasons are then worded (LightGBM's contributions cost far more than its scores).
    None words every user's reasons. Test rows get no reasons: they are for judging the
    model, not for acting on. Every pass scores all the models of the product at once,
    and models fitted on the same split share one encoding of each batch.
    """
    for role, batches in (("test", test_batches), ("score", score_batches_of)):
        stored = stored_models(models, role)
        if not stored:
            continue
        reason_user_ids: list[set[str] | None] = [set()] * len(stored)
        if role == "score" and max_reason_rows is None:
            reason_user_ids = [None] * len(stored)
        elif role == "score":
            reason_user_ids = _top_user_ids(stored, batches(), max_reason_rows)
        for batch, usage in batches():
            if len(batch):
                yield from score_stored(stored, batch, usage, reason_user_ids)


def stored_models(models: pd.DataFrame, role: str) -> Stored:
    """(product_id, model_name, fit) of every fitted model row with a fit for ``role``; each
    fit also holds its row's ``trained_at`` (as text), which the scores carry."""
    column = ARTIFACT_COLUMNS[role]
    return [
        (
            model.product_id,
            model.model_name,
            {**json.loads(getattr(model, column)), "trained_at": _text(model)},
        )
        for model in models.itertuples()
        if model.status == "ok" and isinstance(getattr(model, column), str)
    ]


def _text(model: Any) -> str | None:
    trained_at = getattr(model, "trained_at", None)
    if trained_at is None or pd.isna(trained_at):
        return None
    stamp = pd.Timestamp(trained_at)
    # UTC without a zone, as the warehouse's timestamp holds it (Spark may read it zoned)
    return str(stamp.tz_convert(None) if stamp.tzinfo is not None else stamp)


def score_stored(
    stored: Stored,
    batch: pd.DataFrame,
    usage: Usage,
    reason_user_ids: list[Collection[str] | None],
) -> Iterator[pd.DataFrame]:
    """The scores of one non-empty batch under each stored model (columns ``SCORE_TYPES``),
    with reasons for that model's ``reason_user_ids`` (every row when None)."""
    for (product_id, model_name, data), reasons_for, (encoder, model, matrix) in zip(
        stored, reason_user_ids, _encoded(stored, batch, usage), strict=True
    ):
        out = _score_batch(data, encoder, model, batch, usage, reasons_for, matrix)
        out.insert(0, "model_name", model_name)
        out.insert(0, "product_id", product_id)
        yield out


def _encoded(
    stored: Stored, batch: pd.DataFrame, usage: Usage
) -> list[tuple[FeatureEncoder, Any, np.ndarray]]:
    """Per stored model: its encoder, its model and the batch encoded, each encoding once."""
    matrices: dict[str, np.ndarray] = {}
    out = []
    for _, _, data in stored:
        encoder, model = load_model(data)
        key = json.dumps(data["encoder"], sort_keys=True)
        if key not in matrices:
            matrices[key] = encoder.transform(batch, usage)
        out.append((encoder, model, matrices[key]))
    return out


@single_threaded
def _top_user_ids(
    stored: Stored,
    batches: Iterable[tuple[pd.DataFrame, Usage]],
    n_users: int,
) -> list[set[str]]:
    """Per stored model, its ``n_users`` best-scored users (ties by user_id, as the marts
    rank), from one pass over the batches."""
    user_ids, scores = [], [[] for _ in stored]
    for batch, usage in batches:
        user_ids.append(batch["user_id"].astype(str).to_numpy(dtype=object))
        for position, (_, model, matrix) in enumerate(_encoded(stored, batch, usage)):
            scores[position].append(model.score(matrix))
    if not user_ids:
        return [set() for _ in stored]
    all_users = np.concatenate(user_ids)
    return [
        set(all_users[ranking_order(np.concatenate(model_scores), all_users)[:n_users]])
        for model_scores in scores
    ]
