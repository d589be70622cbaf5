"""Calibrated probabilities from a model's score.

Class weights (and the lookalike's similarity, which is no probability at all) leave the
score's scale meaningless as a probability. ``fit_calibration`` learns the mapping on
rows the model was not fitted on, from a snapshot before the one it will score:

- ``platt``: logistic regression of the label on the score (on the logit of the score for
  models whose score is a probability), when those rows hold both classes;
- ``prior_correction``: with no adopter among them, a class-weighted probability p is
  mapped back to the unweighted odds, p / (p + (1 - p) w) with w the positives' weight;
- ``identity``: the score is a calibrated probability already (the ensemble's mean of
  its calibrated members), and those rows cannot refine it (a single class);
- ``none``: no valid mapping (a lookalike without validation adopters): the
  probability stays null and the reason says why.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

EPSILON = 1e-9


def _calibration_input(score: np.ndarray, score_is_probability: bool) -> np.ndarray:
    if score_is_probability:
        clipped = np.clip(score, EPSILON, 1 - EPSILON)
        return np.log(clipped / (1 - clipped))
    return np.asarray(score, dtype="float64")


def fit_calibration(
    score: np.ndarray,
    labels: np.ndarray,
    *,
    score_is_probability: bool,
    positive_weight: float | None = None,
    sample_weight: np.ndarray | None = None,
    calibrated_already: bool = False,
) -> dict[str, Any]:
    """The mapping from score to probability, as JSON-ready data (see the module doc);
    ``sample_weight``: the rows' weights when they are a sample; ``calibrated_already``:
    the score is a calibrated probability (identity when the rows cannot refine it)."""
    labels = np.asarray(labels)
    if len(labels) and 0 < labels.sum() < len(labels):
        x = _calibration_input(score, score_is_probability).reshape(-1, 1)
        model = LogisticRegression(C=1e6, max_iter=1000)
        model.fit(x, labels, sample_weight=sample_weight)
        return {
            "method": "platt",
            "slope": float(model.coef_[0, 0]),
            "intercept": float(model.intercept_[0]),
            "score_is_probability": score_is_probability,
            "n_rows": len(labels),
            "n_positives": int(labels.sum()),
        }
    reason = (
        "no calibration rows"
        if len(labels) == 0
        else "no adopter in the calibration rows"
        if labels.sum() == 0
        else "every calibration row adopted"
    )
    if calibrated_already:
        return {"method": "identity", "reason": reason}
    if score_is_probability and positive_weight:
        return {
            "method": "prior_correction",
            "positive_weight": float(positive_weight),
            "reason": reason,
        }
    return {"method": "none", "reason": reason}


def apply_calibration(score: np.ndarray, calibration: dict[str, Any]) -> np.ndarray:
    """Probabilities for ``score``; NaN where the calibration is ``none``."""
    score = np.asarray(score, dtype="float64")
    if calibration["method"] == "identity":
        return score
    if calibration["method"] == "platt":
        x = _calibration_input(score, calibration["score_is_probability"])
        return 1.0 / (1.0 + np.exp(-(calibration["slope"] * x + calibration["intercept"])))
    if calibration["method"] == "prior_correction":
        weight = calibration["positive_weight"]
        return score / (score + (1.0 - score) * weight)
    return np.full(len(score), np.nan)


def calibrated_slope(calibration: dict[str, Any]) -> float:
    """How much one unit of the model's log-odds moves the calibrated log-odds: Platt's
    slope (on a probability's logit), 1 for the prior correction (a shift of the log-odds),
    0 where there is no mapping."""
    if calibration["method"] == "platt":
        return float(calibration["slope"])
    if calibration["method"] in ("prior_correction", "identity"):
        return 1.0
    return 0.0
