"""Training: per product, fit every candidate out of time, pick a champion, refit to score.

What the dbt Python model ``ml_propensity_models`` calls. For one product, with its rows
of ``fct_feature_snapshots`` (roles train and test) and the user x item usage:

1. **Evaluation fit.** The encoder and the candidates are fitted on the train snapshots
   but the latest; that latest train snapshot is the validation set (every candidate's
   calibration, and the champion). LightGBM's grid entry and rounds are chosen on the
   snapshot before it (the tuning snapshot, fitted on those before; see
   ``_tuned_lightgbm``), so that no candidate has seen the validation labels before they
   are compared there. The ensemble averages the calibrated logistic regression and
   LightGBM. The fitted candidates score the test snapshot, which no fit has seen: the
   stored metrics are those of this out-of-time test.
2. **Champion.** Chosen on the validation snapshot by the one-standard-error rule (see
   ``_champion``): of the candidates whose validation PR-AUC lies within one standard
   error of the best, the first in the order ensemble, lightgbm, logistic_regression,
   lookalike. No test label is read, so every candidate's test metrics stay
   out-of-time. When the train snapshots hold fewer adopters than
   ``min_adopters_for_model``, the product is cold start and the lookalike, which needs
   no negatives, is the champion.
3. **Scoring fit.** The champion is fitted again the same way one snapshot later: on all
   train snapshots, calibrated on the test snapshot (LightGBM with the grid entry and
   rounds chosen in 1, an ensemble with its members). That model scores the score
   snapshot (``targeting.scoring``). The other candidates are not: nothing ranks by them
   there, and their refit cost as much as the champion's.

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
    EnsembleModel,
    LightGBMModel,
    LogisticModel,
    LookalikeModel,
    ScoresOnce,
    merge_params,
)
from targeting.encoding import FeatureEncoder, Usage
from targeting.metrics import evaluate
from targeting.progress import Progress
from targeting.threads import single_threaded

MODEL_PREFERENCE = ("ensemble", "lightgbm", "logistic_regression", "lookalike")
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
    # the parameters it was fitted with (for lightgbm: the grid entry chosen, its rounds,
    # the grid and each entry's tuning PR-AUC)
    params: dict[str, Any] | None = None


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
    # cold start: the lookalike is the champion whatever LightGBM scores, so LightGBM
    # fits its grid's first entry only, with no search
    encoder, evaluation = _fit_candidates(
        evaluation_split, usage, config, progress, "evaluation", search=not is_cold_start
    )
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
            "params": json.dumps(fit.params or config.params(fit.model_name), sort_keys=True),
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
                scoring_split, usage, config, progress, "scoring", [champion], _chosen(evaluation)
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
    chosen: dict[str, dict[str, Any]] | None = None,
    search: bool = True,
) -> tuple[FeatureEncoder | None, list[Fit]]:
    """The ``names`` candidates (in that order) fitted on ``split``, with their encoder.

    ``chosen``: settings already chosen per model (the evaluation fit's LightGBM grid
    entry, for the scoring fit); without them, LightGBM searches its grid here (its
    first entry only when not ``search``). The ensemble's members are fitted too when only
    the ensemble is asked for."""
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
    n_positive = int(labels.sum())
    # the weight that class balancing gave each adopter, relative to a non-adopter
    if n_positive == 0 or n_positive == len(labels):
        positive_weight = None
    elif weight is None:
        positive_weight = (len(labels) - n_positive) / n_positive
    else:
        positive_weight = weight[labels == 0].sum() / weight[labels == 1].sum()

    fitted: dict[str, Fit] = {}
    needed = [*names]
    if EnsembleModel.name in names:
        needed = [*EnsembleModel.MEMBERS, *(n for n in names if n not in EnsembleModel.MEMBERS)]
    for name in needed:
        params = config.params(name)
        progress(f"{fit_name} fit: {name}")
        calibrated_already = False
        if name == LookalikeModel.name:
            # adopters: who adopted within the horizon, and who had adopted already
            positive = (all_labels == 1) | ~eligible
            if not positive.any():
                fitted[name] = Fit(name, "skipped", "no adopter in the training snapshots")
                continue
            model = LookalikeModel.fit(everyone_matrix, positive, params, everyone_weight)
            score_is_probability = False
        elif positive_weight is None:
            reason = (
                "no adopter in the training snapshots"
                if n_positive == 0
                else "every training row adopted"
            )
            fitted[name] = Fit(name, "skipped", reason)
            continue
        elif name == EnsembleModel.name:
            members = [fitted[member] for member in EnsembleModel.MEMBERS]
            missing = [member.model_name for member in members if member.model is None]
            if missing:
                fitted[name] = Fit(name, "skipped", f"needs {' and '.join(missing)}, not fitted")
                continue
            model = EnsembleModel(
                [(member.model, member.artifact["calibration"]) for member in members]
            )
            params = {"members": list(EnsembleModel.MEMBERS)}
            score_is_probability, calibrated_already = True, True
        else:
            score_is_probability = True
            if name == LogisticModel.name:
                model = LogisticModel.fit(matrix, labels, params, config.seed, weight)
            elif chosen and name in chosen:
                params = chosen[name]
                model = LightGBMModel.fit_rounds(
                    matrix, labels, params, config.seed, int(params["rounds"]), weight
                )
            else:
                if not search:
                    params = {**params, "grid": (params.get("grid") or [{}])[:1]}
                model, params = _tuned_lightgbm(
                    matrix,
                    labels,
                    weight,
                    everyone["snapshot_date"].to_numpy()[labeled],
                    split,
                    (validation_matrix, validation_labels, validation_weight),
                    params,
                    config.seed,
                )
            # the ensemble's member: the validation and test rows are scored by it once
            model = ScoresOnce(model)
        validation_score = model.score(validation_matrix)
        calibration = fit_calibration(
            validation_score,
            validation_labels,
            score_is_probability=score_is_probability,
            positive_weight=getattr(model, "positive_weight", positive_weight),
            sample_weight=validation_weight,
            calibrated_already=calibrated_already,
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
        fitted[name] = Fit(
            name,
            "ok",
            _join_notes(*notes),
            artifact,
            validation_pr_auc,
            getattr(model, "best_iteration", None),
            model,
            params,
        )
    return encoder, [fitted[name] for name in names]


def _tuned_lightgbm(
    matrix: np.ndarray,
    labels: np.ndarray,
    weight: np.ndarray | None,
    snapshot_dates: np.ndarray,
    split: Split,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray | None],
    params: dict[str, Any],
    seed: int,
) -> tuple[LightGBMModel, dict[str, Any]]:
    """LightGBM's grid entry and rounds, chosen on the latest fit snapshot (the tuning
    snapshot: fitted on the snapshots before it), then fitted on every fit snapshot with
    those rounds; (model, its parameters with the grid and what each entry scored).

    The validation snapshot stays out of the choice, so that LightGBM's validation PR-AUC,
    which picks the champion, is as unseen as the other candidates'. With a single fit
    snapshot, or no adopter in the tuning snapshot, the choice falls back on the validation
    snapshot (and says so)."""
    tuning_date = split.fit_dates[-1] if len(split.fit_dates) >= 2 else None
    tuning = snapshot_dates == tuning_date if tuning_date is not None else None
    on_validation = tuning is None or labels[tuning].sum() == 0 or labels[~tuning].sum() == 0
    if on_validation:
        rows, row_labels, row_weight = validation
        model, settings, scores = LightGBMModel.search(
            matrix, labels, params, seed, (rows, row_labels), weight, row_weight
        )
        tuned_on = split.validation_date
    else:
        before = ~tuning
        tuned, settings, scores = LightGBMModel.search(
            matrix[before],
            labels[before],
            params,
            seed,
            (matrix[tuning], labels[tuning]),
            None if weight is None else weight[before],
            None if weight is None else weight[tuning],
        )
        model = LightGBMModel.fit_rounds(
            matrix, labels, settings, seed, tuned.best_iteration, weight
        )
        tuned_on = tuning_date
    return model, {
        **settings,
        "rounds": model.best_iteration,
        "grid": params.get("grid") or [{}],
        "grid_tuning_pr_auc": scores,
        "tuning_snapshot_date": date_text(tuned_on),
    }


def _chosen(fits: list[Fit]) -> dict[str, dict[str, Any]]:
    """LightGBM's grid entry and rounds as the evaluation fit chose them (its parameters
    without the search): the scoring fit uses them, with no early stopping on the test."""
    search_keys = ("grid", "grid_tuning_pr_auc", "tuning_snapshot_date")
    return {
        fit.model_name: {key: value for key, value in fit.params.items() if key not in search_keys}
        for fit in fits
        if fit.params is not None and fit.model_name == LightGBMModel.name
    }


def _champion(rows: list[dict[str, Any]], is_cold_start: bool) -> str | None:
    """The candidate to score with, chosen on the validation snapshot (never the test).

    The one-standard-error rule: the candidates whose validation PR-AUC lies within one
    standard error of the best one's are as good as the validation can tell, and among
    them the first in ``MODEL_PREFERENCE`` wins (the ensemble first: an average of two
    models varies less from one snapshot to the next than either). The standard error is
    that of the best PR-AUC on the logit scale, 1 / sqrt(adopters x p x (1 - p)) (the
    logit interval of Boyd, Eng and Page, as ``fct_model_evaluation``'s bounds)."""
    fitted = [row for row in rows if row["status"] == "ok"]
    if not fitted:
        return None
    if is_cold_start and any(row["model_name"] == LookalikeModel.name for row in fitted):
        return LookalikeModel.name
    scored = [row for row in fitted if not np.isnan(_or_nan(row["validation_pr_auc"]))]
    if not scored:
        return min(fitted, key=lambda row: MODEL_PREFERENCE.index(row["model_name"]))["model_name"]
    best = max(row["validation_pr_auc"] for row in scored)
    floor = _logit_lower_bound(best, int(scored[0]["n_validation_positives"]))
    tied = [row for row in scored if row["validation_pr_auc"] >= floor]
    return min(tied, key=lambda row: MODEL_PREFERENCE.index(row["model_name"]))["model_name"]


def _logit_lower_bound(value: float, n_positives: int) -> float:
    """``value`` less one standard error on the logit scale (``value`` itself when the
    logit is undefined or there is no adopter)."""
    if not 0 < value < 1 or n_positives <= 0:
        return value
    logit = np.log(value / (1 - value)) - 1 / np.sqrt(n_positives * value * (1 - value))
    return float(1 / (1 + np.exp(-logit)))


def _or_nan(value: float | None) -> float:
    return np.nan if value is None else float(value)


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
