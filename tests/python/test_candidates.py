"""The four candidate models on small synthetic matrices: ranking, reasons, JSON, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from targeting.calibration import apply_calibration, fit_calibration
from targeting.candidates import (
    DEFAULT_PARAMS,
    MODEL_CLASSES,
    MODEL_NAMES,
    EnsembleModel,
    LightGBMModel,
    LogisticModel,
    LookalikeModel,
    ScoresOnce,
    grid_settings,
    merge_params,
    shared_fits,
)

# Small data: LightGBM's default of 50 rows per leaf would leave almost no split to make.
LGB_PARAMS = merge_params(
    "lightgbm",
    {
        "learning_rate": 0.05,
        "min_data_in_leaf": 5,
        "max_rounds": 300,
        "early_stopping_rounds": 15,
        "default_rounds": 40,
    },
)


def problem(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standardized-looking features; adopters depend on the first two plus noise (~15%)."""
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(n, 4))
    signal = matrix[:, 0] + 0.5 * matrix[:, 1] + rng.normal(scale=0.5, size=n)
    return matrix, (signal > 1.2).astype("int64")


def json_round_trip(model):
    return type(model).from_dict(json.loads(json.dumps(model.to_dict())))


def test_model_classes_cover_every_model_name():
    assert set(MODEL_CLASSES) == set(MODEL_NAMES) == set(DEFAULT_PARAMS)
    assert all(MODEL_CLASSES[name].name == name for name in MODEL_NAMES)


def test_merge_params_applies_overrides_without_touching_the_defaults():
    before = json.dumps(DEFAULT_PARAMS, sort_keys=True)
    merged = merge_params("lightgbm", {"num_leaves": 7})

    assert merged["num_leaves"] == 7
    assert merged["learning_rate"] == DEFAULT_PARAMS["lightgbm"]["learning_rate"]
    assert merge_params("lookalike", None) == DEFAULT_PARAMS["lookalike"]
    assert json.dumps(DEFAULT_PARAMS, sort_keys=True) == before


def test_merge_params_rejects_unknown_keys_and_names_the_var():
    with pytest.raises(ValueError, match="targeting__model_params") as error:
        merge_params("logistic_regression", {"C": 1.0, "penalty": "l1", "alpha": 2})

    message = str(error.value)
    assert "logistic_regression" in message
    assert "alpha, penalty" in message
    assert "known: C, max_iter" in message


def test_logistic_ranks_adopters_above_the_others():
    matrix, labels = problem()
    model = LogisticModel.fit(matrix, labels, merge_params("logistic_regression", None), seed=1)
    score = model.score(matrix)

    assert score.shape == (len(labels),)
    assert ((score > 0) & (score < 1)).all()
    assert roc_auc_score(labels, score) > 0.9
    assert model.coefficients[0] > model.coefficients[1] > abs(model.coefficients[2])


def test_logistic_contributions_plus_intercept_are_the_logit():
    matrix, labels = problem()
    model = LogisticModel.fit(matrix, labels, merge_params("logistic_regression", None), seed=1)
    score = model.score(matrix)
    contributions = model.contributions(matrix)

    assert contributions.shape == matrix.shape
    np.testing.assert_allclose(
        contributions.sum(axis=1) + model.intercept, np.log(score / (1 - score)), atol=1e-9
    )


def test_logistic_json_round_trip_gives_identical_scores():
    matrix, labels = problem()
    model = LogisticModel.fit(matrix, labels, merge_params("logistic_regression", None), seed=1)
    restored = json_round_trip(model)

    assert restored == model
    assert np.array_equal(restored.score(matrix), model.score(matrix))
    assert np.array_equal(restored.contributions(matrix), model.contributions(matrix))


def test_logistic_class_weights_are_balanced():
    # balanced weights: the mean weighted probability of the positives and negatives meet
    matrix, labels = problem()
    model = LogisticModel.fit(matrix, labels, merge_params("logistic_regression", None), seed=1)

    assert model.score(matrix).mean() > 2 * labels.mean()


def test_lightgbm_ranks_adopters_above_the_others():
    matrix, labels = problem()
    valid_matrix, valid_labels = problem(seed=1)
    model = LightGBMModel.fit(matrix, labels, LGB_PARAMS, 3, (valid_matrix, valid_labels))
    score = model.score(valid_matrix)

    assert score.shape == (len(valid_labels),)
    assert ((score > 0) & (score < 1)).all()
    assert roc_auc_score(valid_labels, score) > 0.85
    assert model.contributions(valid_matrix).shape == valid_matrix.shape


def test_lightgbm_contributions_plus_expected_value_are_the_raw_log_odds():
    matrix, labels = problem()
    model = LightGBMModel.fit(matrix, labels, LGB_PARAMS, 3, problem(seed=1))
    raw = model.booster.predict(matrix, num_iteration=model.best_iteration, raw_score=True)
    full = model.booster.predict(matrix, num_iteration=model.best_iteration, pred_contrib=True)
    contributions = model.contributions(matrix)

    assert contributions.shape == matrix.shape
    assert np.array_equal(contributions, full[:, :-1])
    assert np.ptp(full[:, -1]) == 0
    np.testing.assert_allclose(contributions.sum(axis=1) + full[:, -1], raw, atol=1e-9)
    np.testing.assert_allclose(model.score(matrix), 1 / (1 + np.exp(-raw)), atol=1e-12)


def test_lightgbm_early_stopping_watches_the_validation_rows():
    matrix, labels = problem()
    informative = LightGBMModel.fit(matrix, labels, LGB_PARAMS, 3, problem(seed=1))
    # validation labels unrelated to the features: the validation metric peaks early
    rng = np.random.default_rng(5)
    noise = (rng.normal(size=(200, 4)), (rng.random(200) < 0.2).astype("int64"))
    stopped_early = LightGBMModel.fit(matrix, labels, LGB_PARAMS, 3, noise)

    assert 1 <= stopped_early.best_iteration < informative.best_iteration
    assert informative.best_iteration < LGB_PARAMS["max_rounds"]
    for model in (informative, stopped_early):
        assert model.best_iteration == model.booster.best_iteration
        # lightgbm keeps the trees up to the best iteration only
        assert model.booster.current_iteration() == model.best_iteration


def test_lightgbm_best_iteration_never_exceeds_max_rounds():
    matrix, labels = problem()
    params = {**LGB_PARAMS, "max_rounds": 12, "early_stopping_rounds": 100}
    model = LightGBMModel.fit(matrix, labels, params, 3, problem(seed=1))

    assert 1 <= model.best_iteration <= 12
    assert model.booster.current_iteration() == model.best_iteration


def test_lightgbm_without_validation_adopters_uses_default_rounds():
    matrix, labels = problem()
    valid_matrix, _ = problem(seed=1)
    no_adopter = np.zeros(len(valid_matrix), dtype="int64")

    for validation in [(valid_matrix, no_adopter), None]:
        model = LightGBMModel.fit(matrix, labels, LGB_PARAMS, 3, validation)
        assert model.best_iteration == LGB_PARAMS["default_rounds"]
        assert model.booster.current_iteration() == LGB_PARAMS["default_rounds"]


def test_lightgbm_class_weight_none_gives_probabilities_balanced_weighs_adopters_up():
    matrix, labels = problem(n=2000)
    unweighted = LightGBMModel.fit_rounds(matrix, labels, LGB_PARAMS, 3, rounds=40)
    balanced_params = {**LGB_PARAMS, "class_weight": "balanced"}
    balanced = LightGBMModel.fit_rounds(matrix, labels, balanced_params, 3, rounds=40)

    # unweighted, the mean probability is the adopters' share; balanced, the adopters
    # weigh as much as everyone else, and so the weighted mean probability is one half
    assert abs(unweighted.score(matrix).mean() - labels.mean()) < 0.02
    assert unweighted.positive_weight == 1.0
    assert balanced.positive_weight == (labels == 0).sum() / labels.sum()
    weight = np.where(labels == 1, balanced.positive_weight, 1.0)
    assert abs(np.average(balanced.score(matrix), weights=weight) - 0.5) < 0.06
    assert np.average(unweighted.score(matrix), weights=weight) < 0.4


def test_lightgbm_class_weight_must_be_none_or_balanced():
    with pytest.raises(ValueError, match=r"class_weight 'auto'.*none, balanced"):
        merge_params("lightgbm", {"class_weight": "auto"})
    with pytest.raises(ValueError, match="class_weight"):
        merge_params("lightgbm", {"grid": [{}, {"class_weight": True}]})


def test_lightgbm_fit_rounds_fits_exactly_that_many_rounds():
    matrix, labels = problem()
    model = LightGBMModel.fit_rounds(matrix, labels, LGB_PARAMS, 3, rounds=9)

    assert model.best_iteration == 9
    assert model.booster.current_iteration() == 9


def test_lightgbm_is_deterministic_for_a_seed():
    matrix, labels = problem()
    validation = problem(seed=1)
    first = LightGBMModel.fit(matrix, labels, LGB_PARAMS, 3, validation)
    second = LightGBMModel.fit(matrix.copy(), labels.copy(), LGB_PARAMS, 3, validation)

    assert first.best_iteration == second.best_iteration
    assert first.booster.model_to_string() == second.booster.model_to_string()
    assert first.to_dict() == second.to_dict()


def test_lightgbm_threads_are_not_a_setting():
    # LightGBM's thread count is process-wide: products boosting side by side on other
    # counts changed each other's trees (threads.py), so the project sets it
    with pytest.raises(ValueError, match=r"num_threads is not a lightgbm setting.*remove it"):
        merge_params("lightgbm", {"num_threads": 2})
    with pytest.raises(ValueError, match="num_threads is not a lightgbm setting"):
        merge_params("lightgbm", {"grid": [{}, {"num_threads": 2}]})


@pytest.mark.parametrize("n_cores", [1, 2, 3])
def test_lightgbm_binning_and_contributions_on_every_core_give_the_same_bits(
    monkeypatch: pytest.MonkeyPatch, n_cores: int
):
    # Datasets are binned and SHAP values computed on every core (the boosting stays on
    # one thread): the trees, scores and contributions must not depend on how many
    matrix, labels = problem(n=3000)
    validation, other = problem(n=1000, seed=1), problem(n=2000, seed=2)[0]
    monkeypatch.setattr("targeting.candidates.lightgbm_threads", lambda: 1)
    reference = LightGBMModel.fit(matrix, labels, LGB_PARAMS, 3, validation)
    monkeypatch.setattr("targeting.candidates.lightgbm_threads", lambda: n_cores)
    model = LightGBMModel.fit(matrix, labels, LGB_PARAMS, 3, validation)

    assert model.to_dict() == reference.to_dict()
    assert np.array_equal(model.score(other), reference.score(other))
    assert np.array_equal(model.contributions(other), reference.contributions(other))


def test_lightgbm_json_round_trip_gives_identical_scores():
    matrix, labels = problem()
    model = LightGBMModel.fit(matrix, labels, LGB_PARAMS, 3, problem(seed=1))
    restored = json_round_trip(model)
    other, _ = problem(seed=2)

    assert restored.best_iteration == model.best_iteration
    assert np.array_equal(restored.score(other), model.score(other))
    assert np.array_equal(restored.contributions(other), model.contributions(other))


def test_lookalike_weights_are_the_adopter_profile_shrunk_towards_zero():
    matrix = np.array(
        [
            [2.0, 0.3, -1.0],
            [2.0, -0.1, -1.0],
            [2.0, 0.2, -1.0],
            [2.0, 0.0, -1.0],
            [-1.0, 0.5, 1.0],
            [-1.0, -0.5, 1.0],
        ]
    )
    adopters = np.array([True, True, True, True, False, False])
    model = LookalikeModel.fit(matrix, adopters, {"shrinkage": 1.0})

    # threshold 1 / sqrt(4) = 0.5: profile (2, 0.1, -1) -> (1.5, 0, -0.5)
    np.testing.assert_allclose(model.weights, [1.5, 0.0, -0.5])
    assert model.n_positives == 4
    score = model.score(matrix)
    assert score[:4].min() > score[4:].max()
    np.testing.assert_allclose(model.contributions(matrix).sum(axis=1), score)
    assert model.contributions(matrix).shape == matrix.shape


def test_lookalike_zeroes_features_where_adopters_do_not_stand_out():
    rng = np.random.default_rng(4)
    matrix = rng.normal(size=(500, 3))
    adopters = np.zeros(500, dtype=bool)
    adopters[:50] = True
    matrix[:50, 0] += 2.0
    model = LookalikeModel.fit(matrix, adopters, {"shrinkage": 3.0})

    assert model.weights[0] > 1.0
    assert model.weights[1:] == [0.0, 0.0]
    assert roc_auc_score(adopters, model.score(matrix)) > 0.9


def test_lookalike_without_shrinkage_is_the_plain_profile():
    matrix, labels = problem()
    adopters = labels.astype(bool)
    model = LookalikeModel.fit(matrix, adopters, {"shrinkage": 0.0})

    np.testing.assert_allclose(model.weights, matrix[adopters].mean(axis=0))


def test_lookalike_with_a_single_adopter():
    matrix = np.array([[3.0, 0.5, -2.0], [0.0, 0.0, 0.0], [-1.0, 1.0, 0.5]])
    model = LookalikeModel.fit(matrix, np.array([True, False, False]), {"shrinkage": 1.0})

    np.testing.assert_allclose(model.weights, [2.0, 0.0, -1.0])
    assert model.n_positives == 1
    assert np.argmax(model.score(matrix)) == 0


def test_lookalike_without_adopters_raises():
    matrix = np.ones((3, 2))

    with pytest.raises(ValueError, match="at least one adopter"):
        LookalikeModel.fit(matrix, np.zeros(3, dtype=bool), {"shrinkage": 1.0})


def test_lookalike_json_round_trip_gives_identical_scores():
    matrix, labels = problem()
    model = LookalikeModel.fit(matrix, labels.astype(bool), DEFAULT_PARAMS["lookalike"])
    restored = json_round_trip(model)

    assert restored == model
    assert np.array_equal(restored.score(matrix), model.score(matrix))


def test_merge_params_checks_every_grid_entry():
    with pytest.raises(ValueError, match=r"unknown lightgbm parameter.*leaves") as error:
        merge_params("lightgbm", {"grid": [{}, {"leaves": 7}]})
    assert "num_leaves" in str(error.value)
    with pytest.raises(ValueError, match="list of mappings"):
        merge_params("lightgbm", {"grid": {"num_leaves": 7}})
    # an entry cannot nest a grid
    with pytest.raises(ValueError, match="grid"):
        merge_params("lightgbm", {"grid": [{"grid": []}]})


def test_grid_settings_apply_each_entry_over_the_settings():
    params = merge_params("lightgbm", {"num_leaves": 9, "grid": [{}, {"learning_rate": 0.2}]})
    first, second = grid_settings(params)

    assert "grid" not in first
    assert first == {k: v for k, v in params.items() if k != "grid"}
    assert second == {**first, "learning_rate": 0.2}
    default_leaves = DEFAULT_PARAMS["lightgbm"]["num_leaves"]
    assert grid_settings(merge_params("lightgbm", {"grid": []})) == [
        first | {"num_leaves": default_leaves}
    ]


def test_lightgbm_search_keeps_the_best_validation_entry_binned_once():
    matrix, labels = problem(n=1500)
    validation = problem(n=800, seed=1)
    # the first entry cannot split (too few rows per leaf): the second must win
    params = {**LGB_PARAMS, "grid": [{"min_data_in_leaf": 5000}, {}, {"num_leaves": 3}]}
    model, settings, scores = LightGBMModel.search(matrix, labels, params, 3, validation)

    assert len(scores) == 3
    assert scores[0] < min(scores[1:])
    assert settings == grid_settings(params)[int(np.argmax(scores))]
    # the same fit as the entry's own, binned alone
    alone = LightGBMModel.fit(matrix, labels, settings, 3, validation)
    assert model.to_dict() == alone.to_dict()


def test_lightgbm_search_without_validation_adopters_fits_the_first_entry():
    matrix, labels = problem()
    no_adopter = (problem(seed=1)[0], np.zeros(400, dtype="int64"))
    params = {**LGB_PARAMS, "grid": [{}, {"num_leaves": 3}]}
    model, settings, scores = LightGBMModel.search(matrix, labels, params, 3, no_adopter)

    assert scores == [None]
    assert settings == grid_settings(params)[0]
    assert model.best_iteration == LGB_PARAMS["default_rounds"]


def ensemble_of_two() -> tuple[EnsembleModel, np.ndarray]:
    matrix, labels = problem(n=1500)
    validation, validation_labels = problem(n=800, seed=1)
    members = []
    for model in (
        LogisticModel.fit(matrix, labels, merge_params("logistic_regression", None), seed=1),
        LightGBMModel.fit(matrix, labels, LGB_PARAMS, 3, (validation, validation_labels)),
    ):
        calibration = fit_calibration(
            model.score(validation), validation_labels, score_is_probability=True
        )
        members.append((model, calibration))
    return EnsembleModel(members), problem(n=300, seed=2)[0]


def test_the_ensemble_is_the_mean_of_calibrated_probabilities_and_round_trips():
    ensemble, other = ensemble_of_two()
    expected = sum(apply_calibration(m.score(other), c) for m, c in ensemble.members) / 2

    np.testing.assert_allclose(ensemble.score(other), expected, rtol=1e-15)
    assert ((ensemble.score(other) > 0) & (ensemble.score(other) < 1)).all()
    restored = json_round_trip(ensemble)
    assert np.array_equal(restored.score(other), ensemble.score(other))
    assert np.array_equal(restored.contributions(other), ensemble.contributions(other))


def test_the_ensemble_contributions_are_its_members_on_their_calibrated_log_odds():
    ensemble, other = ensemble_of_two()
    expected = sum(c["slope"] * m.contributions(other) for m, c in ensemble.members) / 2

    np.testing.assert_allclose(ensemble.contributions(other), expected, rtol=1e-12)
    assert ensemble.contributions(other).shape == other.shape
    # rows scored one by one give the same bits as all at once
    one_by_one = np.concatenate([ensemble.score(other[i : i + 1]) for i in range(len(other))])
    assert np.array_equal(one_by_one, ensemble.score(other))


class CountingModel:
    """A candidate that counts the rows it scores."""

    name = "lightgbm"

    def __init__(self, model) -> None:
        self.model, self.rows_scored = model, 0

    def score(self, matrix):
        self.rows_scored += len(matrix)
        return self.model.score(matrix)

    def contributions(self, matrix):
        return self.model.contributions(matrix)

    def to_dict(self):
        return self.model.to_dict()


def test_scores_once_scores_a_matrix_once_and_a_new_matrix_again():
    ensemble, other = ensemble_of_two()
    lightgbm = CountingModel(ensemble.members[1][0])
    once = ScoresOnce(lightgbm)
    first = once.score(other)
    assert once.score(other) is first and lightgbm.rows_scored == len(other)
    # an equal matrix that is another object (the next batch) is scored again
    again = once.score(other.copy())
    assert lightgbm.rows_scored == 2 * len(other) and np.array_equal(again, first)
    # anything else is the model's own
    assert once.name == "lightgbm" and once.to_dict() == lightgbm.to_dict()
    assert np.array_equal(once.contributions(other), lightgbm.contributions(other))


def test_shared_fits_score_an_ensembles_member_and_that_fit_once_with_the_same_bits():
    ensemble, other = ensemble_of_two()
    stored = {
        "ensemble": json.loads(json.dumps(ensemble.to_dict())),
        "lightgbm": json.loads(json.dumps(ensemble.members[1][0].to_dict())),
        "logistic_regression": json.loads(json.dumps(ensemble.members[0][0].to_dict())),
    }
    loaded = [(name, data, MODEL_CLASSES[name].from_dict(data)) for name, data in stored.items()]
    unshared = [model.score(other) for _, _, model in loaded]
    shared = shared_fits(loaded)
    # the ensemble's members are the product's own fits, one object each
    assert shared[0].members[1][0] is shared[1] and shared[0].members[0][0] is shared[2]
    counting = CountingModel(shared[1].model)
    shared[1].model = counting
    scores = [model.score(other) for model in shared]
    assert counting.rows_scored == len(other)
    for score, expected in zip(scores, unshared, strict=True):
        assert np.array_equal(score, expected)
    # fits that differ stay apart
    other_fit = json.loads(
        json.dumps(
            LightGBMModel.fit_rounds(*problem(n=500, seed=5), LGB_PARAMS, 3, rounds=5).to_dict()
        )
    )
    apart = shared_fits([*loaded, ("lightgbm", other_fit, LightGBMModel.from_dict(other_fit))])
    assert apart[3] is not apart[1]
