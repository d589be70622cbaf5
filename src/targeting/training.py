"""Training: per product, fit every candidate out of time, pick a champion, refit to score.

What the dbt Python model ``ml_propensity_models`` calls. For one product, with its rows
of ``fct_feature_snapshots`` (roles train and test) and the user x item usage:

1. **Evaluation fit.** The encoder and the candidates are fitted on the train snapshots
   but the latest; that latest train snapshot is the validation set (LightGBM's early
   stopping and every candidate's calibration). The fitted candidates score the test
   snapshot, which no fit has seen: the stored metrics are those of this out-of-time
   test.
2. **Champion.** The best validation PR-AUC among the candidates that could be fitted
   (then the order lightgbm, logistic_regression, lookalike): chosen without reading a
   test label, so every candidate's test metrics stay out-of-time. When the train
   snapshots hold fewer adopters than ``min_adopters_for_model``, the product is cold
   start and the lookalike, which needs no negatives, is the champion.
3. **Scoring fit.** The champion is fitted again the same way one snapshot later: on all
   train snapshots, with the test snapshot as validation set. That model scores the score
   snapshot (``targeting.scoring``). The other candidates are not: nothing ranks by
   them there, and their refit cost as much as the champion's.

Lookalike adopters are the rows with label 1 (they adopted within the horizon) and the
users who had already adopted by the snapshot. Degenerate input (no adopter, a single
class, no varying feature, a single user) never raises: the candidate's row says
``status = skipped`` and why.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from targeting.calibration import apply_calibration, fit_calibration
from targeting.candidates import (
    MODEL_NAMES,
    LightGBMModel,
    LogisticModel,
    LookalikeModel,
    merge_params,
)
from targeting.encoding import FeatureEncoder, Usage
from targeting.metrics import evaluate
from targeting.progress import Progress
from targeting.threads import single_threaded

MODEL_PREFERENCE = ("lightgbm", "logistic_regression", "lookalike")
METRIC_TYPES = {
    "n_test_rows": "bigint",
    "n_test_positives": "bigint",
    "test_base_rate": "double",
    "auc_roc": "double",
    "pr_auc": "double",
    "precision_at_k": "double",
    "recall_at_k": "double",
    "ndcg_at_k": "double",
    "top_decile_lift": "double",
    "brier_score": "double",
}
METRIC_COLUMNS = tuple(METRIC_TYPES)
# The columns of ml_propensity_models and their warehouse types.
MODEL_TYPES = {
    "product_id": "varchar",
    "model_name": "varchar",
    "status": "varchar",
    "status_reason": "varchar",
    "is_champion": "boolean",
    "is_cold_start": "boolean",
    "n_train_rows": "bigint",
    "n_train_positives": "bigint",
    "n_validation_rows": "bigint",
    "n_validation_positives": "bigint",
    **METRIC_TYPES,
    "top_k": "bigint",
    "validation_pr_auc": "double",
    "best_iteration": "bigint",
    "train_snapshot_dates": "varchar",
    "validation_snapshot_date": "date",
    "test_snapshot_date": "date",
    "score_snapshot_date": "date",
    "params": "varchar",
    "features": "varchar",
    "evaluation_model": "varchar",
    "scoring_model": "varchar",
    "trained_at": "timestamp",
    "training_reason": "varchar",
    "training_inputs": "varchar",
}
OUTPUT_COLUMNS = tuple(MODEL_TYPES)


@dataclass(frozen=True)
class TrainingConfig:
    seed: int = 42
    top_k: int = 500
    min_adopters_for_model: int = 50
    latent_factors: int = 8
    model_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    trained_at: str | None = None

    def params(self, model_name: str) -> dict[str, Any]:
        return merge_params(model_name, self.model_params.get(model_name))


@dataclass
class Fit:
    """One candidate fitted on one split, or the reason it could not be."""

    model_name: str
    status: str
    reason: str | None = None
    artifact: dict[str, Any] | None = None
    validation_pr_auc: float | None = None
    best_iteration: int | None = None
    model: Any = None


@dataclass
class Split:
    """Rows of one fit: encoder and models on ``fit``, validation on ``validation``."""

    fit_dates: list
    validation_date: Any
    fit_rows: pd.DataFrame
    validation_rows: pd.DataFrame
    note: str | None = None


@single_threaded
def train_product(
    product_id: str,
    features: pd.DataFrame,
    usage: Usage,
    config: TrainingConfig,
    score_snapshot_date: Any = None,
    test_batches: Iterable[tuple[pd.DataFrame, Usage]] | None = None,
) -> pd.DataFrame:
    """One row per candidate for ``product_id`` (columns ``OUTPUT_COLUMNS``).

    ``features`` holds the product's rows of roles train and test, or a sample of them
    with a ``sample_weight`` column (``fct_training_sample``); ``usage`` the user x item
    usage (``int_user_items_windowed``) of those snapshots. ``test_batches``, when given,
    are all the product's rows of the test snapshot, in batches of (rows, their usage):
    the out-of-time metrics are measured on all of them, not on a sample.
    """
    progress = Progress(f"ml_propensity_models {product_id}")
    progress(f"{len(features):,} training rows read")
    features = features.sort_values(["snapshot_date", "user_id"], kind="stable")
    train_dates = sorted(features.loc[features["role"] == "train", "snapshot_date"].unique())
    test_dates = sorted(features.loc[features["role"] == "test", "snapshot_date"].unique())
    test_date = test_dates[-1] if test_dates else None
    common = {
        "product_id": product_id,
        "top_k": config.top_k,
        "train_snapshot_dates": ", ".join(date_text(d) for d in train_dates),
        "test_snapshot_date": date_text(test_date),
        "score_snapshot_date": date_text(score_snapshot_date),
        "trained_at": config.trained_at,
    }

    evaluation_split = _split(features, train_dates)
    evaluation_labels = _labeled(evaluation_split.fit_rows)["label"]
    n_train_positives = int(_labeled(features[features["role"] == "train"])["label"].sum())
    is_cold_start = n_train_positives < config.min_adopters_for_model
    encoder, evaluation = _fit_candidates(evaluation_split, usage, config, progress, "evaluation")
    fitted = [fit for fit in evaluation if fit.artifact is not None]
    test_scores = (
        _score_test(
            fitted,
            encoder,
            [(features[features["snapshot_date"] == test_date], usage)]
            if test_batches is None
            else test_batches,
            progress,
        )
        if encoder is not None and test_date is not None
        else {}
    )

    rows = []
    for fit in evaluation:
        row = {
            **common,
            "model_name": fit.model_name,
            "status": fit.status,
            "status_reason": fit.reason,
            "is_cold_start": is_cold_start,
            "n_train_rows": len(evaluation_labels),
            "n_train_positives": int(evaluation_labels.sum()),
            "n_validation_rows": len(evaluation_split.validation_rows),
            "n_validation_positives": int(evaluation_split.validation_rows["label"].sum()),
            "validation_snapshot_date": date_text(evaluation_split.validation_date),
            "validation_pr_auc": fit.validation_pr_auc,
            "best_iteration": fit.best_iteration,
            "params": json.dumps(config.params(fit.model_name), sort_keys=True),
            "features": None,
            "evaluation_model": None,
            "scoring_model": None,
        }
        metrics = dict.fromkeys(METRIC_COLUMNS)
        if fit.artifact is not None:
            row["features"] = json.dumps(fit.artifact["encoder"]["names"])
            row["evaluation_model"] = json.dumps(fit.artifact, sort_keys=True)
            if fit.model_name in test_scores:
                labels, score, user_ids = test_scores[fit.model_name]
                probability = apply_calibration(score, fit.artifact["calibration"])
                metrics = evaluate(labels, score, user_ids, config.top_k, probability)
            row["status_reason"] = _join_notes(fit.reason, _test_note(metrics, test_date))
        rows.append({**row, **metrics})

    champion = _champion(rows, is_cold_start)
    scoring_split = _split(features, [*train_dates, *([test_date] if test_date else [])])
    scoring = (
        {}
        if champion is None
        else {
            fit.model_name: fit
            for fit in _fit_candidates(
                scoring_split, usage, config, progress, "scoring", [champion]
            )[1]
        }
    )
    for row in rows:
        row["is_champion"] = row["model_name"] == champion
        fit = scoring.get(row["model_name"])
        if fit is None:
            continue
        if fit.artifact is not None:
            row["scoring_model"] = json.dumps(fit.artifact, sort_keys=True)
        else:
            row["status_reason"] = _join_notes(
                row["status_reason"], f"no scoring fit: {fit.reason}"
            )
    progress(f"done, champion {champion}")
    return pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS))


def _score_test(
    fits: list[Fit],
    encoder: FeatureEncoder,
    batches: Iterable[tuple[pd.DataFrame, Usage]],
    progress: Progress,
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per fitted model: (labels, scores, user ids) of every labeled test row."""
    labels, user_ids, scores = [], [], {fit.model_name: [] for fit in fits}
    n_rows = 0
    for batch, batch_usage in batches:
        rows = _labeled(batch)
        matrix = encoder.transform(rows, batch_usage)
        labels.append(rows["label"].to_numpy())
        user_ids.append(rows["user_id"].to_numpy())
        for fit in fits:
            scores[fit.model_name].append(fit.model.score(matrix))
        n_rows += len(rows)
        progress(f"out-of-time test: {n_rows:,} test rows scored")
    if not labels:
        return {}
    all_labels, all_users = np.concatenate(labels), np.concatenate(user_ids)
    return {name: (all_labels, np.concatenate(parts), all_users) for name, parts in scores.items()}


def _sample_weight(rows: pd.DataFrame) -> np.ndarray | None:
    """The rows' sample weights; None when they are no sample (every weight 1)."""
    if "sample_weight" not in rows:
        return None
    weights = pd.to_numeric(rows["sample_weight"]).to_numpy(dtype="float64")
    return None if (weights == 1.0).all() else weights


def _split(features: pd.DataFrame, labeled_dates: Sequence) -> Split:
    """Fit on the labeled snapshots but the latest, validate on the latest."""
    labeled_dates = sorted(labeled_dates)
    if len(labeled_dates) >= 2:
        fit_dates, validation_date, note = labeled_dates[:-1], labeled_dates[-1], None
    else:
        fit_dates = labeled_dates
        validation_date = labeled_dates[-1] if labeled_dates else None
        note = "a single labeled snapshot: validated and calibrated on the rows it was fitted on"
    fit_rows = features[features["snapshot_date"].isin(fit_dates)]
    validation_rows = _labeled(features[features["snapshot_date"] == validation_date])
    return Split(list(fit_dates), validation_date, fit_rows, validation_rows, note)


def _labeled(rows: pd.DataFrame) -> pd.DataFrame:
    """Eligible rows with a label (the rows the classifiers learn from and are judged on)."""
    labels = _numeric(rows["label"])
    keep = rows["is_eligible"].astype(bool).to_numpy() & ~np.isnan(labels)
    out = rows[keep].copy()
    out["label"] = labels[keep].astype("int64")
    return out


def _numeric(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _fit_candidates(
    split: Split,
    usage: Usage,
    config: TrainingConfig,
    progress: Progress,
    fit_name: str,
    names: Sequence[str] = MODEL_NAMES,
) -> tuple[FeatureEncoder | None, list[Fit]]:
    """The ``names`` candidates (in that order) fitted on ``split``, with their encoder."""
    everyone = split.fit_rows
    progress(
        f"{fit_name} fit: encoding {len(everyone):,} rows of {len(split.fit_dates)} snapshot(s)"
    )
    if everyone["user_id"].nunique() < 2:
        reason = "fewer than 2 users in the training snapshots"
        return None, [Fit(name, "skipped", reason) for name in names]
    everyone_weight = _sample_weight(everyone)
    encoder = FeatureEncoder.fit(
        everyone,
        usage,
        latent_factors=config.latent_factors,
        seed=config.seed,
        sample_weight=everyone_weight,
    )
    if not encoder.names:
        reason = "no feature varies in the training snapshots"
        return None, [Fit(name, "skipped", reason) for name in names]

    everyone_matrix = encoder.transform(everyone, usage)
    all_labels = _numeric(everyone["label"])
    eligible = everyone["is_eligible"].astype(bool).to_numpy()
    labeled = eligible & ~np.isnan(all_labels)
    matrix, labels = everyone_matrix[labeled], all_labels[labeled].astype("int64")
    weight = None if everyone_weight is None else everyone_weight[labeled]
    validation = split.validation_rows
    validation_matrix = encoder.transform(validation, usage)
    validation_labels = validation["label"].to_numpy()
    validation_weight = _sample_weight(validation)
    fits = []
    for name in names:
        params = config.params(name)
        progress(f"{fit_name} fit: {name}")
        if name == LookalikeModel.name:
            # adopters: who adopted within the horizon, and who had adopted already
            positive = (all_labels == 1) | ~eligible
            if not positive.any():
                fits.append(Fit(name, "skipped", "no adopter in the training snapshots"))
                continue
            model = LookalikeModel.fit(everyone_matrix, positive, params, everyone_weight)
            score_is_probability, positive_weight = False, None
        else:
            n_positive = int(labels.sum())
            if n_positive == 0 or n_positive == len(labels):
                reason = (
                    "no adopter in the training snapshots"
                    if n_positive == 0
                    else "every training row adopted"
                )
                fits.append(Fit(name, "skipped", reason))
                continue
            # the weight that class balancing gave each adopter, relative to a non-adopter
            if weight is None:
                positive_weight = (len(labels) - n_positive) / n_positive
            else:
                positive_weight = weight[labels == 0].sum() / weight[labels == 1].sum()
            score_is_probability = True
            if name == LogisticModel.name:
                model = LogisticModel.fit(matrix, labels, params, config.seed, weight)
            else:
                model = LightGBMModel.fit(
                    matrix,
                    labels,
                    params,
                    config.seed,
                    (validation_matrix, validation_labels),
                    weight,
                    validation_weight,
                )
        validation_score = model.score(validation_matrix)
        calibration = fit_calibration(
            validation_score,
            validation_labels,
            score_is_probability=score_is_probability,
            positive_weight=positive_weight,
            sample_weight=validation_weight,
        )
        validation_pr_auc = (
            float(
                average_precision_score(
                    validation_labels, validation_score, sample_weight=validation_weight
                )
            )
            if 0 < validation_labels.sum() < len(validation_labels)
            else None
        )
        artifact = {
            "model_name": name,
            "encoder": encoder.to_dict(),
            "model": model.to_dict(),
            "calibration": calibration,
            "fit_snapshot_dates": [date_text(d) for d in split.fit_dates],
            "validation_snapshot_date": date_text(split.validation_date),
            "seed": config.seed,
        }
        notes = [split.note]
        if calibration["method"] != "platt":
            notes.append(f"calibration {calibration['method']}: {calibration['reason']}")
        fits.append(
            Fit(
                name,
                "ok",
                _join_notes(*notes),
                artifact,
                validation_pr_auc,
                getattr(model, "best_iteration", None),
                model,
            )
        )
    return encoder, fits


def _champion(rows: list[dict[str, Any]], is_cold_start: bool) -> str | None:
    fitted = [row for row in rows if row["status"] == "ok"]
    if not fitted:
        return None
    if is_cold_start and any(row["model_name"] == LookalikeModel.name for row in fitted):
        return LookalikeModel.name

    # never the test metrics: the test snapshot only reports
    def key(row: dict[str, Any]) -> tuple:
        return (_or_minus_inf(row["validation_pr_auc"]), -MODEL_PREFERENCE.index(row["model_name"]))

    return max(fitted, key=key)["model_name"]


def _or_minus_inf(value: float | None) -> float:
    return -np.inf if value is None or np.isnan(value) else value


def _test_note(metrics: dict[str, Any], test_date: Any) -> str | None:
    if test_date is None:
        return "no test snapshot: no out-of-time metrics"
    if metrics["n_test_rows"] == 0:
        return "no eligible user at the test snapshot: no out-of-time metrics"
    if not metrics["n_test_positives"]:
        return "no adopter at the test snapshot: AUC, PR-AUC, recall, NDCG and lift undefined"
    if metrics["n_test_positives"] == metrics["n_test_rows"]:
        return "every test row adopted: AUC and PR-AUC undefined"
    return None


def _join_notes(*notes: str | None) -> str | None:
    kept = [note for note in notes if note]
    return "; ".join(kept) if kept else None


def date_text(value: Any) -> str | None:
    """A date (or timestamp, or None/NaN) as text YYYY-MM-DD, or None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return pd.Timestamp(value).strftime("%Y-%m-%d")
