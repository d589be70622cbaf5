"""score_rows / score_product / predict on models from train_product: rows, reasons, batches."""

from __future__ import annotations

import datetime as dt
import json
import re

import duckdb
import numpy as np
import pandas as pd
import pytest

from targeting.candidates import MODEL_NAMES
from targeting.encoding import FeatureEncoder, Usage
from targeting.metrics import ranking_order
from targeting.relations import batches, usage_at
from targeting.scoring import N_REASONS, SCORE_TYPES, load_model, predict, score_product, score_rows
from targeting.training import TrainingConfig, train_product

TRAIN_DATES = [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
TEST_DATE = dt.date(2024, 4, 1)
SCORE_DATE = dt.date(2024, 5, 1)
CONFIG = TrainingConfig(
    min_adopters_for_model=10,
    model_params={
        "lightgbm": {
            "min_data_in_leaf": 10,
            "max_rounds": 200,
            "early_stopping_rounds": 20,
        }
    },
)
REASONS = [f"reason_{i}" for i in range(1, N_REASONS + 1)]
OUTPUT = [column for column in SCORE_TYPES if column not in ("product_id", "model_name")]


def world(n_users: int = 120, seed: int = 0) -> tuple[pd.DataFrame, Usage]:
    """Feature snapshots (train, test and an unlabeled score snapshot) and the item usage."""
    features, usage = world_frames(n_users, seed)
    return features, Usage(usage)


def world_frames(n_users: int = 120, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``world``'s feature snapshots and its usage as rows (``int_user_items_windowed``)."""
    rng = np.random.default_rng(seed)
    users = [f"u{i:03d}" for i in range(n_users)]
    industry = np.array(["software", "retail", "health"])[rng.integers(0, 3, n_users)]
    roles = {**dict.fromkeys(TRAIN_DATES, "train"), TEST_DATE: "test", SCORE_DATE: "score"}
    frames, usage = [], []
    for date, role in roles.items():
        teammates = rng.poisson(2, n_users)
        logit = -3.0 + 0.9 * teammates + 0.8 * (industry == "software")
        label = (rng.random(n_users) < 1 / (1 + np.exp(-logit))).astype("float64")
        frames.append(
            pd.DataFrame(
                {
                    "user_id": users,
                    "product_id": "p1",
                    "snapshot_date": date,
                    "role": role,
                    "is_eligible": True,
                    "label": label if role != "score" else np.nan,
                    "n_teammates_adopted": teammates,
                    "logins_30d": rng.poisson(10, n_users),
                    "recency_days": np.where(
                        rng.random(n_users) < 0.2, np.nan, rng.integers(0, 60, n_users)
                    ),
                    "industry": industry,
                }
            )
        )
        for user, n in zip(users, teammates, strict=True):
            for item in ["reports", "dashboards"] if n > 2 else ["api", "sdk"]:
                usage.append((user, date, "feature", item, int(rng.integers(1, 30))))
    columns = ["user_id", "snapshot_date", "item_kind", "item", "uses_90d"]
    return pd.concat(frames, ignore_index=True), pd.DataFrame(usage, columns=columns)


@pytest.fixture(scope="module")
def trained() -> dict:
    features, usage = world()
    models = train_product("p1", features[features["role"] != "score"], usage, CONFIG, SCORE_DATE)
    assert (models["status"] == "ok").all()
    # Only the champion has a scoring fit; these tests score with every kind of model, so
    # the others score with their evaluation fit (any fit of the kind will do here).
    assert models["scoring_model"].notna().tolist() == models["is_champion"].tolist()
    models["scoring_model"] = models["scoring_model"].fillna(models["evaluation_model"])
    return {
        "models": models,
        "usage": usage,
        "test_rows": features[features["role"] == "test"].reset_index(drop=True),
        "score_rows": features[features["role"] == "score"].reset_index(drop=True),
    }


def model_row(trained: dict, name: str) -> pd.Series:
    models = trained["models"]
    return models[models["model_name"] == name].iloc[0]


def scored(artifact, rows: pd.DataFrame, usage: Usage, batch_size: int = 200_000):
    return pd.concat(list(score_rows(artifact, rows, usage, batch_size)), ignore_index=True)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_one_output_row_per_input_row_in_the_input_order(trained, name):
    rows, usage = trained["score_rows"], trained["usage"]
    out = scored(model_row(trained, name)["scoring_model"], rows, usage)

    assert list(out.columns) == OUTPUT
    assert len(out) == len(rows)
    assert out["user_id"].tolist() == rows["user_id"].tolist()
    assert (out["snapshot_date"] == SCORE_DATE).all()
    assert (out["role"] == "score").all()
    assert out["label"].isna().all()
    assert np.isfinite(out["score"]).all()


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_probabilities_are_in_zero_one(trained, name):
    artifact = model_row(trained, name)["evaluation_model"]
    out = scored(artifact, trained["test_rows"], trained["usage"])

    assert out["probability"].between(0.0, 1.0).all()
    assert out["label"].tolist() == trained["test_rows"]["label"].tolist()


def test_probability_is_nan_when_the_calibration_is_none(trained):
    artifact = json.loads(model_row(trained, "lookalike")["scoring_model"])
    artifact["calibration"] = {"method": "none", "reason": "no adopter among the calibration rows"}
    out = scored(artifact, trained["score_rows"], trained["usage"])

    assert out["probability"].isna().all()
    assert out["score"].notna().all()


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_reasons_are_the_top_positive_contributions_worded_name_equals_value(trained, name):
    artifact = model_row(trained, name)["scoring_model"]
    rows, usage = trained["score_rows"], trained["usage"]
    out = scored(artifact, rows, usage)
    encoder, model = load_model(artifact)
    contributions = model.contributions(encoder.transform(rows, usage))
    order = np.argsort(-contributions, axis=1, kind="stable")

    n_reasons = out[REASONS].notna().sum(axis=1).to_numpy()
    assert n_reasons.max() >= 1
    for i in range(len(out)):
        texts = out.loc[i, REASONS].tolist()
        assert texts[: n_reasons[i]] == [t for t in texts if pd.notna(t)]  # no gaps
        # the columns that pushed the score up most (among the 6 largest), worded, each
        # text once: a feature and its indicator can word alike
        pushed_up = [j for j in order[i, :6] if contributions[i, j] > 0]
        worded = encoder.describe(rows, usage, np.full(len(pushed_up), i), np.array(pushed_up))
        assert texts[: n_reasons[i]] == list(dict.fromkeys(worded))[:3]
        assert all(re.fullmatch(r"[^=]+=[^=]+", text) for text in texts[: n_reasons[i]])


def test_numeric_reasons_show_the_raw_value(trained):
    rows, usage = trained["score_rows"], trained["usage"]
    out = scored(model_row(trained, "logistic_regression")["scoring_model"], rows, usage)
    shown = 0
    for i, row in out.iterrows():
        for text in row[REASONS].dropna():
            if text.startswith("n_teammates_adopted="):
                assert text == f"n_teammates_adopted={rows.loc[i, 'n_teammates_adopted']}"
                shown += 1
    assert shown > 0


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_small_batches_give_the_same_result_as_one_batch(trained, name):
    artifact = model_row(trained, name)["scoring_model"]
    rows, usage = trained["score_rows"], trained["usage"]
    batches = list(score_rows(artifact, rows, usage, batch_size=7))
    in_batches, at_once = pd.concat(batches, ignore_index=True), scored(artifact, rows, usage)

    assert len(batches) == -(-len(rows) // 7)
    assert max(len(batch) for batch in batches) == 7
    # the encoded rows are identical; the linear models' matrix x vector product may differ in
    # the last bit with the batch's length (BLAS), so scores are compared to 1e-12
    pd.testing.assert_frame_equal(in_batches, at_once, check_exact=False, rtol=0, atol=1e-12)
    texts = ["user_id", "snapshot_date", "role", *REASONS]
    pd.testing.assert_frame_equal(in_batches[texts], at_once[texts], check_exact=True)


def test_a_snapshots_usage_read_once_encodes_each_batch_as_the_batchs_own_usage(trained):
    """``usage_at`` reads the usage of a snapshot once for every product's batches: each
    batch is encoded bit for bit as with a ``Usage`` of its own rows' usage alone."""
    features, usage = world_frames()
    encoder, _ = load_model(model_row(trained, "lightgbm")["scoring_model"])
    assert encoder.latent_items  # the usage matters
    with duckdb.connect() as con:
        rows = con.from_df(features[features["role"] == "score"])
        shared = usage_at(rows, con.from_df(usage))
        n_rows = 0
        for batch, batch_usage in batches(rows.order("user_id"), shared, 25):
            assert batch_usage is shared
            own = Usage(
                usage[
                    usage["user_id"].isin(batch["user_id"]) & (usage["snapshot_date"] == SCORE_DATE)
                ]
            )
            np.testing.assert_array_equal(
                encoder.transform(batch, batch_usage), encoder.transform(batch, own)
            )
            n_rows += len(batch)
    assert n_rows == (features["role"] == "score").sum()


def test_json_text_and_dict_artifacts_score_alike(trained):
    artifact = model_row(trained, "lightgbm")["scoring_model"]
    rows, usage = trained["score_rows"], trained["usage"]

    pd.testing.assert_frame_equal(
        scored(artifact, rows, usage), scored(json.loads(artifact), rows, usage)
    )


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_predict_equals_score_rows(trained, name):
    artifact = model_row(trained, name)["evaluation_model"]
    rows, usage = trained["test_rows"], trained["usage"]
    score, probability = predict(artifact, rows, usage)
    out = scored(artifact, rows, usage)

    assert np.array_equal(score, out["score"].to_numpy())
    assert np.array_equal(probability, out["probability"].to_numpy())
    in_batches = scored(artifact, rows, usage, batch_size=50)
    np.testing.assert_allclose(in_batches["score"], score, rtol=0, atol=1e-12)


def test_an_empty_frame_gives_no_batch(trained):
    artifact = model_row(trained, "logistic_regression")["scoring_model"]

    assert list(score_rows(artifact, trained["score_rows"].iloc[0:0], trained["usage"])) == []


def test_score_product_scores_test_rows_with_the_evaluation_fit_and_score_rows_with_the_scoring_fit(
    trained,
):
    models, usage = trained["models"], trained["usage"]
    test_rows, score_rows_frame = trained["test_rows"], trained["score_rows"]
    out = pd.concat(
        list(
            score_product(
                models, in_batches(test_rows, 40, usage), in_batches(score_rows_frame, 40, usage)
            )
        ),
        ignore_index=True,
    )

    assert list(out.columns) == list(SCORE_TYPES)
    assert len(out) == len(models) * (len(test_rows) + len(score_rows_frame))
    assert (out["product_id"] == "p1").all()
    for _, model in models.iterrows():
        mine = out[out["model_name"] == model["model_name"]]
        test_scores = mine.loc[mine["role"] == "test", "score"].to_numpy()
        score_scores = mine.loc[mine["role"] == "score", "score"].to_numpy()
        assert np.array_equal(test_scores, predict(model["evaluation_model"], test_rows, usage)[0])
        assert np.array_equal(
            score_scores, predict(model["scoring_model"], score_rows_frame, usage)[0]
        )
    # reasons are for acting on the score snapshot, not for judging the test
    reasons = out[[f"reason_{i}" for i in range(1, N_REASONS + 1)]]
    assert reasons[out["role"] == "test"].isna().all().all()
    assert reasons[out["role"] == "score"].notna().any().any()


@pytest.mark.parametrize("champion", MODEL_NAMES)
def test_reasons_are_worded_for_the_champions_best_scored_users_only(trained, champion):
    models, usage = trained["models"].copy(), trained["usage"]
    models["is_champion"] = models["model_name"] == champion
    score_rows_frame = trained["score_rows"]
    out = pd.concat(
        list(score_product(models, lambda: [], in_batches(score_rows_frame, 25, usage), 5)),
        ignore_index=True,
    )
    assert len(out) == len(models) * len(score_rows_frame)
    for name, rows in out.groupby("model_name"):
        ranked = rows.iloc[ranking_order(rows["score"].to_numpy(), rows["user_id"].to_numpy())]
        has_reason = ranked["reason_1"].notna().to_numpy()
        assert not has_reason[5:].any(), name
        if name == champion:
            assert has_reason[:5].sum() >= 1, name
            # worded as if every row were worded at once
            alone = pd.concat(
                list(
                    score_rows(model_row(trained, name)["scoring_model"], score_rows_frame, usage)
                ),
                ignore_index=True,
            ).set_index("user_id")
            top = ranked.head(5).set_index("user_id")
            pd.testing.assert_frame_equal(
                top[REASONS], alone.loc[top.index, REASONS], check_dtype=False
            )
            pd.testing.assert_series_equal(top["score"], alone.loc[top.index, "score"])
        else:
            assert not has_reason.any(), name


def test_reasons_for_every_champion_row_without_a_bound(trained):
    models, usage = trained["models"], trained["usage"]
    (champion,) = models.loc[models["is_champion"], "model_name"]
    out = pd.concat(
        list(score_product(models, lambda: [], in_batches(trained["score_rows"], 25, usage))),
        ignore_index=True,
    )
    has_reason = out["reason_1"].notna()
    assert has_reason[out["model_name"] == champion].mean() > 0.5
    assert not has_reason[out["model_name"] != champion].any()


def in_batches(frame: pd.DataFrame, size: int, usage: Usage):
    """A callable giving the frame in batches with their usage, afresh each call (as a
    table read twice)."""
    return lambda: (
        (frame.iloc[start : start + size], usage) for start in range(0, len(frame), size)
    )


def test_score_product_skips_models_that_are_not_ok_and_missing_artifacts(trained):
    models = trained["models"].copy()
    models.loc[models["model_name"] == "lightgbm", "status"] = "skipped"
    models.loc[models["model_name"] == "lookalike", "scoring_model"] = None
    out = pd.concat(
        list(
            score_product(
                models,
                in_batches(trained["test_rows"], 1000, trained["usage"]),
                in_batches(trained["score_rows"], 1000, trained["usage"]),
            )
        ),
        ignore_index=True,
    )

    assert "lightgbm" not in set(out["model_name"])
    lookalike = out[out["model_name"] == "lookalike"]
    assert set(lookalike["role"]) == {"test"}
    assert set(out.loc[out["model_name"] == "logistic_regression", "role"]) == {"test", "score"}


def test_score_product_with_no_rows_to_score_yields_nothing(trained):
    empty = trained["score_rows"].iloc[0:0]

    batches = in_batches(empty, 10, trained["usage"])
    assert list(score_product(trained["models"], batches, batches)) == []


def test_a_row_never_shows_the_same_reason_twice():
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(8)],
            "product_id": "p1",
            "snapshot_date": TEST_DATE,
            "role": "test",
            "is_eligible": True,
            "label": [1, 0, 0, 0, 1, 0, 0, 0],
            "recency_days": [None, 1.0, 2.0, 30.0, None, 5.0, 60.0, 3.0],
        }
    )
    encoder = FeatureEncoder.fit(frame)
    assert encoder.names == ["recency_days", "recency_days=missing"]
    matrix = encoder.transform(frame)
    # both columns push the null rows up, as a fitted model may well make them do
    coefficients = [float(np.sign(matrix[0, 0])), 1.0]
    artifact = {
        "model_name": "logistic_regression",
        "encoder": encoder.to_dict(),
        "model": {"coefficients": coefficients, "intercept": 0.0},
        "calibration": {"method": "none", "reason": "test"},
    }
    out = scored(artifact, frame, Usage())

    first = out.loc[0, REASONS].dropna().tolist()
    assert first[0] == "recency_days=missing"
    assert len(first) == len(set(first))
