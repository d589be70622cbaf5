"""fit_calibration / apply_calibration: Platt scaling, prior correction and no mapping at all."""

from __future__ import annotations

import json

import numpy as np
import pytest

from targeting.calibration import apply_calibration, fit_calibration


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def weighted_scores(n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities from a class-weighted model (far too high) and labels drawn from the truth.

    True log-odds = 0.5 x the score's log-odds - 2.
    """
    rng = np.random.default_rng(seed)
    score = rng.uniform(0.01, 0.99, n)
    truth = sigmoid(0.5 * np.log(score / (1 - score)) - 2.0)
    return score, (rng.random(n) < truth).astype("int64")


def test_platt_learns_the_mapping_on_the_scores_log_odds():
    score, labels = weighted_scores()
    calibration = fit_calibration(score, labels, score_is_probability=True, positive_weight=9.0)

    assert calibration["method"] == "platt"
    assert calibration["slope"] == pytest.approx(0.5, abs=0.06)
    assert calibration["intercept"] == pytest.approx(-2.0, abs=0.06)
    assert calibration["n_rows"] == len(labels)
    assert calibration["n_positives"] == labels.sum()
    assert calibration["score_is_probability"] is True
    assert json.loads(json.dumps(calibration)) == calibration


def test_platt_probabilities_are_monotone_and_match_observed_rates():
    score, labels = weighted_scores()
    calibration = fit_calibration(score, labels, score_is_probability=True)
    order = np.argsort(score)
    probability = apply_calibration(score[order], calibration)

    assert ((probability > 0) & (probability < 1)).all()
    assert (np.diff(probability) >= 0).all()
    # observed adopter rate per score decile vs the mean calibrated probability
    for chunk_probability, chunk_labels in zip(
        np.array_split(probability, 10), np.array_split(labels[order], 10), strict=True
    ):
        assert chunk_probability.mean() == pytest.approx(chunk_labels.mean(), abs=0.02)
    assert probability.mean() == pytest.approx(labels.mean(), abs=0.002)


def test_platt_clips_probability_scores_of_exactly_zero_and_one():
    score, labels = weighted_scores()
    calibration = fit_calibration(score, labels, score_is_probability=True)
    probability = apply_calibration(np.array([0.0, 1e-300, 0.5, 1.0]), calibration)

    assert np.isfinite(probability).all()
    assert probability[0] == probability[1]
    assert probability[0] < probability[2] < probability[3] < 1


def test_platt_on_a_raw_score_that_is_no_probability():
    rng = np.random.default_rng(1)
    similarity = rng.normal(0.0, 2.0, 20_000)
    labels = (rng.random(similarity.size) < sigmoid(1.5 * similarity - 3.0)).astype("int64")
    calibration = fit_calibration(similarity, labels, score_is_probability=False)

    assert calibration["method"] == "platt"
    assert calibration["score_is_probability"] is False
    # the raw score is used as is (a negative similarity is not clipped to a probability)
    assert calibration["slope"] == pytest.approx(1.5, abs=0.1)
    assert calibration["intercept"] == pytest.approx(-3.0, abs=0.15)
    probability = apply_calibration(np.array([-4.0, -1.0, 0.0, 2.0]), calibration)
    np.testing.assert_allclose(
        probability,
        sigmoid(calibration["slope"] * np.array([-4.0, -1.0, 0.0, 2.0]) + calibration["intercept"]),
    )
    assert (np.diff(probability) > 0).all()


def test_platt_with_a_negative_relation_gives_decreasing_probabilities():
    score = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    labels = np.array([1, 1, 0, 1, 0, 1, 0, 0])
    calibration = fit_calibration(score, labels, score_is_probability=True)

    assert calibration["slope"] < 0
    assert (np.diff(apply_calibration(score, calibration)) < 0).all()


def test_prior_correction_without_adopters_maps_back_to_the_unweighted_odds():
    score = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    calibration = fit_calibration(
        score, np.zeros(5, dtype="int64"), score_is_probability=True, positive_weight=9.0
    )

    assert calibration == {
        "method": "prior_correction",
        "positive_weight": 9.0,
        "reason": "no adopter in the calibration rows",
    }
    probability = apply_calibration(score, calibration)
    np.testing.assert_allclose(probability, score / (score + (1 - score) * 9.0))
    np.testing.assert_allclose(probability, [0.0, 0.1 / 8.2, 0.1, 0.5, 1.0])
    # the odds are divided by the weight
    middle = probability[1:4]
    np.testing.assert_allclose(middle / (1 - middle), score[1:4] / (1 - score[1:4]) / 9.0)


def test_prior_correction_is_monotone_and_never_raises_a_probability():
    score = np.linspace(0.0, 1.0, 101)
    probability = apply_calibration(score, {"method": "prior_correction", "positive_weight": 24.0})

    assert (np.diff(probability) > 0).all()
    assert (probability <= score).all()


def test_rows_of_a_single_class_or_none_never_get_platt():
    score = np.array([0.2, 0.4, 0.6])
    for labels in (np.zeros(3), np.ones(3), np.array([])):
        calibration = fit_calibration(
            score[: len(labels)], labels, score_is_probability=True, positive_weight=4.0
        )
        assert calibration["method"] == "prior_correction"


def test_none_without_adopters_for_a_score_that_is_no_probability():
    similarity = np.array([-1.0, 0.5, 2.0])
    calibration = fit_calibration(similarity, np.zeros(3), score_is_probability=False)

    assert calibration["method"] == "none"
    assert "no adopter" in calibration["reason"]
    probability = apply_calibration(similarity, calibration)
    assert probability.shape == (3,)
    assert np.isnan(probability).all()


def test_none_without_adopters_when_no_positive_weight_is_known():
    for weight in (None, 0.0):
        calibration = fit_calibration(
            np.array([0.2, 0.4]), np.zeros(2), score_is_probability=True, positive_weight=weight
        )
        assert calibration["method"] == "none"
    assert np.isnan(apply_calibration(np.array([0.2, 0.4]), calibration)).all()
