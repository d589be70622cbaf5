"""Feature importances read from stored fits: units, grouping into input features, shares."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from targeting.candidates import (
    EnsembleModel,
    LightGBMModel,
    LogisticModel,
    LookalikeModel,
    merge_params,
)
from targeting.encoding import FeatureEncoder
from targeting.importance import (
    IMPORTANCE_TYPES,
    column_importances,
    feature_importances,
    fit_importances,
    input_feature,
    model_importances,
)

NAMES = ["tenure_days", "tenure_days=missing", "plan=pro", "plan=team", "latent_1"]


def problem(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Five standardized columns; adopters depend on the first strongly, the third a little."""
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(n, len(NAMES)))
    signal = 2 * matrix[:, 0] + 0.5 * matrix[:, 2] + rng.normal(scale=0.5, size=n)
    return matrix, (signal > 1.5).astype("int64")


def artifact(model, names: list[str] = NAMES) -> str:
    encoder = FeatureEncoder(names=names, means=[0.0] * len(names), scales=[1.0] * len(names))
    return json.dumps(
        {"model_name": model.name, "encoder": encoder.to_dict(), "model": model.to_dict()}
    )


def lightgbm(matrix: np.ndarray, labels: np.ndarray) -> LightGBMModel:
    params = merge_params("lightgbm", {"min_data_in_leaf": 5, "default_rounds": 20})
    return LightGBMModel.fit(matrix, labels, params, seed=1)


def test_encoded_columns_belong_to_their_input_feature() -> None:
    assert [input_feature(name) for name in NAMES] == [
        "tenure_days",
        "tenure_days",
        "plan",
        "plan",
        "latent_1",
    ]


def test_indicators_add_up_into_their_feature_and_shares_sum_to_one() -> None:
    frame = feature_importances(NAMES, np.array([1.0, 0.5, 0.25, 0.25, 2.0]))
    by_feature = frame.set_index("feature")
    assert by_feature["importance"].to_dict() == {"latent_1": 2.0, "plan": 0.5, "tenure_days": 1.5}
    assert by_feature["importance_share"].sum() == pytest.approx(1.0)
    assert by_feature.loc["tenure_days", "importance_share"] == pytest.approx(1.5 / 4)
    assert by_feature["importance_rank"].to_dict() == {"latent_1": 1, "tenure_days": 2, "plan": 3}


def test_ties_rank_by_name_and_no_weight_leaves_shares_null() -> None:
    frame = feature_importances(["b", "a", "c"], np.zeros(3))
    assert frame["importance_share"].isna().all()
    assert frame.set_index("feature")["importance_rank"].to_dict() == {"a": 1, "b": 2, "c": 3}


def test_the_regression_and_the_lookalike_weigh_by_their_absolute_coefficients() -> None:
    logistic = LogisticModel([0.5, -2.0, 0.0, 1.0, -0.5], 0.1)
    lookalike = LookalikeModel([-0.3, 0.0, 0.2, 0.0, 0.1], 12)
    assert column_importances(logistic).tolist() == [0.5, 2.0, 0.0, 1.0, 0.5]
    assert column_importances(lookalike).tolist() == [0.3, 0.0, 0.2, 0.0, 0.1]


def test_lightgbm_weighs_by_split_gain_and_finds_the_signal() -> None:
    matrix, labels = problem()
    model = lightgbm(matrix, labels)
    gain = column_importances(model)
    assert gain.tolist() == model.booster.feature_importance(importance_type="gain").tolist()
    assert int(np.argmax(gain)) == 0


def test_the_ensemble_averages_its_members_shares() -> None:
    matrix, labels = problem()
    logistic = LogisticModel.fit(matrix, labels, merge_params("logistic_regression", {}), seed=1)
    boosted = lightgbm(matrix, labels)
    calibration = {"method": "identity"}
    ensemble = EnsembleModel([(logistic, calibration), (boosted, calibration)])
    shares = [column_importances(m) / column_importances(m).sum() for m in (logistic, boosted)]
    assert column_importances(ensemble) == pytest.approx((shares[0] + shares[1]) / 2)
    frame = fit_importances(artifact(ensemble))
    assert frame["importance_share"].sum() == pytest.approx(1.0)


def test_the_champion_is_read_from_its_scoring_fit_and_skipped_rows_have_none() -> None:
    evaluation = artifact(LogisticModel([1.0, 0.0, 0.0, 0.0, 0.0], 0.0))
    scoring = artifact(LogisticModel([0.0, 0.0, 0.0, 0.0, 3.0], 0.0))
    models = pd.DataFrame(
        [
            {
                "product_id": "p",
                "model_name": "logistic_regression",
                "status": "ok",
                "is_champion": True,
                "evaluation_model": evaluation,
                "scoring_model": scoring,
            },
            {
                "product_id": "p",
                "model_name": "lookalike",
                "status": "ok",
                "is_champion": False,
                "evaluation_model": artifact(LookalikeModel([0.0, 0.0, 1.0, 0.0, 0.0], 9)),
                "scoring_model": None,
            },
            {
                "product_id": "p",
                "model_name": "lightgbm",
                "status": "skipped",
                "is_champion": False,
                "evaluation_model": None,
                "scoring_model": None,
            },
        ]
    )
    rows = model_importances(models)
    assert list(rows.columns) == list(IMPORTANCE_TYPES)
    top = rows[rows["importance_rank"] == 1].set_index("model_name")
    assert top["feature"].to_dict() == {"logistic_regression": "latent_1", "lookalike": "plan"}
    assert top["fit"].to_dict() == {"logistic_regression": "scoring", "lookalike": "evaluation"}
    assert set(rows["model_name"]) == {"logistic_regression", "lookalike"}
    assert rows.groupby("model_name")["importance_share"].sum().tolist() == pytest.approx([1, 1])
    # the same fits give the same rows, bit for bit
    pd.testing.assert_frame_equal(rows, model_importances(models.iloc[::-1]))


def test_no_fitted_model_gives_no_rows_with_every_column() -> None:
    rows = model_importances(
        pd.DataFrame(
            columns=[
                "product_id",
                "model_name",
                "status",
                "is_champion",
                "evaluation_model",
                "scoring_model",
            ]
        )
    )
    assert rows.empty
    assert list(rows.columns) == list(IMPORTANCE_TYPES)
