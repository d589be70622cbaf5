"""Scoring: rebuild a stored model from its JSON and score rows, with the reasons why.

What the dbt Python model ``ml_propensity_scores`` calls. A model row of
``ml_propensity_models`` carries two fits (``training``): ``evaluation_model`` scores the
test snapshot, ``scoring_model`` the score snapshot. Rows are scored in batches, so
memory stays bounded whatever the number of users.

Reasons are the encoded features that pushed a user's score up the most (positive
contributions only, at most ``n_reasons``), worded as a person reads them:
``n_teammates_adopted=3``, ``industry=software``, ``recency_days=missing``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from targeting.calibration import apply_calibration
from targeting.candidates import MODEL_CLASSES
from targeting.encoding import FeatureEncoder, Usage
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
}


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
) -> Iterator[pd.DataFrame]:
    """Scores of ``rows`` (columns ``SCORE_TYPES`` but product and model), in batches."""
    data = json.loads(artifact) if isinstance(artifact, str) else artifact
    encoder, model = load_model(data)
    for start in range(0, len(rows), batch_size):
        yield _score_batch(data, encoder, model, rows.iloc[start : start + batch_size], usage)


@single_threaded
def _score_batch(
    data: dict[str, Any], encoder: FeatureEncoder, model: Any, batch: pd.DataFrame, usage: Usage
) -> pd.DataFrame:
    matrix = encoder.transform(batch, usage)
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
    for i, texts in enumerate(top_reasons(model.contributions(matrix), encoder, batch, usage)):
        out[f"reason_{i + 1}"] = texts
    return out


def score_product(
    models: pd.DataFrame,
    test_rows: pd.DataFrame,
    score_rows_frame: pd.DataFrame,
    usage: Usage,
    batch_size: int = 200_000,
) -> Iterator[pd.DataFrame]:
    """Every fitted model of one product on its eligible test and score rows."""
    for model in models.itertuples():
        if model.status != "ok":
            continue
        for artifact, rows in (
            (model.evaluation_model, test_rows),
            (model.scoring_model, score_rows_frame),
        ):
            if artifact is None or not isinstance(artifact, str) or len(rows) == 0:
                continue
            for batch in score_rows(artifact, rows, usage, batch_size):
                batch.insert(0, "model_name", model.model_name)
                batch.insert(0, "product_id", model.product_id)
                yield batch
