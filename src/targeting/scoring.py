"""Scoring: rebuild a stored model from its JSON and score rows, with the reasons why.

What the dbt Python model ``ml_propensity_scores`` calls. A model row of
``ml_propensity_models`` carries two fits (``training``): ``evaluation_model`` scores the
test snapshot, ``scoring_model`` the score snapshot. Rows are scored in batches, so
memory stays bounded whatever the number of users.

Reasons are the encoded features that pushed a user's score up the most (positive
contributions only, at most ``n_reasons``), worded as a person reads them:
``n_teammates_adopted=3``, ``industry=software``, ``recency_days=missing``. They are
worded for the score snapshot, where people act on the list, for the champion, whose
list it is (``fct_ranked_targets``), and there for its best-scored users up to a bound
(``score_product``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from targeting.calibration import apply_calibration
from targeting.candidates import MODEL_CLASSES, shared_fits
from targeting.encoding import FeatureEncoder, Usage
from targeting.metrics import ranking_order
from targeting.progress import Progress
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


def load_models(stored: Stored) -> list[tuple[FeatureEncoder, Any]]:
    """``load_model`` of each stored fit, the fits they hold in common as one object
    (``candidates.shared_fits``: the ensemble's members are the product's own logistic
    regression and LightGBM fits), so that each batch is scored by a fit once."""
    loaded = [load_model(data) for _, _, data in stored]
    models = shared_fits(
        [
            (data["model_name"], data["model"], model)
            for (_, _, data), (_, model) in zip(stored, loaded, strict=True)
        ]
    )
    return [(encoder, model) for (encoder, _), model in zip(loaded, models, strict=True)]


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
    usage: Usage | None,
    n_reasons: int = N_REASONS,
    latent: np.ndarray | None = None,
) -> list[np.ndarray]:
    """``n_reasons`` arrays of reason texts (None where fewer features pushed up).

    A feature and its missing indicator can word the same (``recency_days=missing``):
    a row never gets the same reason twice. ``latent``: the rows' latent factors
    (``FeatureEncoder.latent``) when their usage is not at hand.
    """
    n_rows, n_columns = contributions.shape
    reasons = [np.full(n_rows, None, dtype=object) for _ in range(n_reasons)]
    if n_rows == 0 or n_columns == 0:
        return reasons
    # largest first; ties in column order, so the wording never depends on the sort
    n_candidates = min(2 * n_reasons, n_columns)
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :n_candidates]
    # every (row, rank) whose column pushed the score up, worded in one call
    present = np.take_along_axis(contributions, order, axis=1) > 0
    row_of, rank_of = np.nonzero(present)
    texts = np.full((n_rows, n_candidates), None, dtype=object)
    texts[row_of, rank_of] = encoder.describe(rows, usage, row_of, order[row_of, rank_of], latent)
    # a text already worded at a better rank of the row is no reason again
    for rank in range(1, n_candidates):
        for earlier in range(rank):
            present[:, rank] &= ~(present[:, earlier] & (texts[:, rank] == texts[:, earlier]))
    position = np.cumsum(present, axis=1)
    for reason, out in enumerate(reasons):
        hit = present & (position == reason + 1)
        worded = np.flatnonzero(hit.any(axis=1))
        out[worded] = texts[worded, hit[worded].argmax(axis=1)]
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
    if reason_user_ids is None:
        explained = np.arange(len(batch))
    elif not reason_user_ids:
        explained = np.arange(0)
    else:
        explained = np.flatnonzero(batch["user_id"].isin(reason_user_ids).to_numpy())
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

    The batches, each (rows, their usage), come from callables; each is read once. Every
    batch is scored by all the models of the product at once, and models fitted on the
    same split share one encoding of it. Reasons are worded for the champion only (the
    model whose scores the marts rank), at the score snapshot, for its
    ``max_reason_rows`` best-scored users (score descending, then user_id, as the marts
    rank): the rows that may still be among them are held back, with what wording needs,
    and yielded worded once every batch is scored (LightGBM's contributions cost far more
    than its scores); the others are yielded as they are scored. None words every row of
    the champion. Test rows get no reasons: they are for judging the model, not for
    acting on.
    """
    champion = reason_model(models)
    progress = None
    for role, batches in (("test", test_batches), ("score", score_batches_of)):
        stored = stored_models(models, role)
        if not stored:
            continue
        progress = progress or Progress(f"ml_propensity_scores {stored[0][0]}")
        names = ", ".join(name for _, name, _ in stored)
        progress(f"{role} snapshot: scoring with {names}")
        loaded = load_models(stored)
        explained = [role == "score" and name == champion for _, name, _ in stored]
        reason_user_ids = [
            None if explain and max_reason_rows is None else set() for explain in explained
        ]
        tops = [
            _BestRows(max_reason_rows) if explain and max_reason_rows is not None else None
            for explain in explained
        ]
        n_rows = 0
        for batch, usage in batches():
            if not len(batch):
                continue
            scored = _scored(stored, batch, usage, reason_user_ids, loaded)
            for (out, encoder, matrix), top in zip(scored, tops, strict=True):
                yield out if top is None else top.add(out, batch, usage, encoder, matrix)
            n_rows += len(batch)
            progress(f"{role} snapshot: {n_rows:,} rows scored")
        for top, (encoder, model), (_, name, _) in zip(tops, loaded, stored, strict=True):
            if top is not None and top.held is not None:
                n_held = len(top.held.out)
                progress(f"wording the reasons of {name}'s {n_held:,} best-scored users")
                yield top.worded(encoder, model)


def reason_model(models: pd.DataFrame) -> str | None:
    """The model of one product whose scores get reasons: its champion (None without)."""
    if "is_champion" not in models:
        return None
    champions = models.loc[models["is_champion"].fillna(False).astype(bool), "model_name"]
    return champions.iloc[0] if len(champions) else None


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
    loaded = load_models(stored)
    for out, _, _ in _scored(stored, batch, usage, reason_user_ids, loaded):
        yield out


def _scored(
    stored: Stored,
    batch: pd.DataFrame,
    usage: Usage,
    reason_user_ids: list[Collection[str] | None],
    loaded: list[tuple[FeatureEncoder, Any]],
) -> Iterator[tuple[pd.DataFrame, FeatureEncoder, np.ndarray]]:
    """Per stored model: (the batch's scores, its encoder, the batch encoded)."""
    matrices: dict[str, np.ndarray] = {}
    for (product_id, model_name, data), reasons_for, (encoder, model) in zip(
        stored, reason_user_ids, loaded, strict=True
    ):
        # models fitted on the same split share the encoding
        key = json.dumps(data["encoder"], sort_keys=True)
        if key not in matrices:
            matrices[key] = encoder.transform(batch, usage)
        matrix = matrices[key]
        out = _score_batch(data, encoder, model, batch, usage, reasons_for, matrix)
        out.insert(0, "model_name", model_name)
        out.insert(0, "product_id", product_id)
        yield out, encoder, matrix


@dataclass
class _Held:
    """Scored rows (columns ``SCORE_TYPES``) with what wording their reasons needs: their
    feature values, encoded rows and latent factors (their usage is not kept)."""

    out: pd.DataFrame
    rows: pd.DataFrame
    matrix: np.ndarray
    latent: np.ndarray | None

    def take(self, positions: np.ndarray) -> _Held:
        return _Held(
            self.out.iloc[positions].reset_index(drop=True),
            self.rows.iloc[positions].reset_index(drop=True),
            self.matrix[positions],
            None if self.latent is None else self.latent[positions],
        )

    def __add__(self, other: _Held) -> _Held:
        return _Held(
            pd.concat([self.out, other.out], ignore_index=True),
            pd.concat([self.rows, other.rows], ignore_index=True),
            np.concatenate([self.matrix, other.matrix]),
            None if self.latent is None else np.concatenate([self.latent, other.latent]),
        )


class _BestRows:
    """One model's ``limit`` best-scored rows so far (score descending, then user_id, as
    the marts rank), held back to be worded once every batch is scored."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held: _Held | None = None

    @single_threaded
    def add(
        self,
        out: pd.DataFrame,
        batch: pd.DataFrame,
        usage: Usage,
        encoder: FeatureEncoder,
        matrix: np.ndarray,
    ) -> pd.DataFrame:
        """Hold the rows of the batch's scores ``out`` that are among the best so far;
        return the rows that are not, or no longer, without reasons."""
        # only the batch's own best rows can be among the best of all
        best = ranking_order(out["score"].to_numpy(), out["user_id"].to_numpy())[: self.limit]
        best = np.sort(best)
        rows = batch.iloc[best].reset_index(drop=True)
        scored = out.iloc[best].reset_index(drop=True)
        held = _Held(scored, rows, matrix[best], encoder.latent(rows, usage))
        if self.held is not None:
            held = self.held + held
        order = ranking_order(held.out["score"].to_numpy(), held.out["user_id"].to_numpy())
        self.held = held.take(order[: self.limit])
        others = np.ones(len(out), dtype=bool)
        others[best] = False
        return pd.concat([out[others], held.out.iloc[order[self.limit :]]], ignore_index=True)

    @single_threaded
    def worded(self, encoder: FeatureEncoder, model: Any) -> pd.DataFrame:
        """The rows held, best first, with their reasons."""
        held = self.held
        out = held.out.copy()
        contributions = model.contributions(held.matrix)
        texts = top_reasons(contributions, encoder, held.rows, None, latent=held.latent)
        for rank, reasons in enumerate(texts):
            out[f"reason_{rank + 1}"] = reasons
        return out
