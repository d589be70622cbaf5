"""train_product on small synthetic feature snapshots: rows, champion, splits, degenerate input."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from targeting.candidates import MODEL_NAMES, LightGBMModel, grid_settings, merge_params
from targeting.encoding import FeatureEncoder, Usage
from targeting.metrics import evaluate
from targeting.scoring import predict
from targeting.threads import side_by_side
from targeting.training import (
    METRIC_COLUMNS,
    MODEL_PREFERENCE,
    MODEL_TYPES,
    OUTPUT_COLUMNS,
    TrainingConfig,
    _champion,
    _logit_lower_bound,
    train_product,
)

TRAIN_DATES = [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
TEST_DATE = dt.date(2024, 4, 1)
SCORE_DATE = dt.date(2024, 5, 1)
MODEL_PARAMS = {
    "lightgbm": {
        "min_data_in_leaf": 10,
        "max_rounds": 200,
        "early_stopping_rounds": 20,
    }
}
CONFIG = TrainingConfig(
    min_adopters_for_model=10, model_params=MODEL_PARAMS, trained_at="2024-05-01 06:00:00"
)


def world(
    n_users: int = 150,
    train_dates: list[dt.date] = TRAIN_DATES,
    test_date: dt.date | None = TEST_DATE,
    seed: int = 0,
) -> tuple[pd.DataFrame, Usage]:
    """Feature snapshots shaped like fct_feature_snapshots, and the users' item usage.

    Adoption grows with n_teammates_adopted and is likelier in software; 5% of the rows are
    users who had adopted already (not eligible, no label); 20% have no recency.
    """
    rng = np.random.default_rng(seed)
    users = [f"u{i:03d}" for i in range(n_users)]
    industry = np.array(["software", "retail", "health"])[rng.integers(0, 3, n_users)]
    frames, usage = [], []
    for date in [*train_dates, *([test_date] if test_date else [])]:
        teammates = rng.poisson(2, n_users)
        logit = -3.0 + 0.9 * teammates + 0.8 * (industry == "software")
        eligible = rng.random(n_users) > 0.05
        label = (rng.random(n_users) < 1 / (1 + np.exp(-logit))).astype("float64")
        frames.append(
            pd.DataFrame(
                {
                    "user_id": users,
                    "product_id": "p1",
                    "snapshot_date": date,
                    "role": "test" if date == test_date else "train",
                    "is_eligible": eligible,
                    "label": np.where(eligible, label, np.nan),
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
    return pd.concat(frames, ignore_index=True), Usage(pd.DataFrame(usage, columns=columns))


def labeled(frame: pd.DataFrame, date: dt.date) -> pd.DataFrame:
    return frame[(frame["snapshot_date"] == date) & frame["is_eligible"]]


def by_model(result: pd.DataFrame) -> dict[str, pd.Series]:
    return {row["model_name"]: row for _, row in result.iterrows()}


def artifacts(row: pd.Series) -> tuple[dict, dict | None]:
    """(evaluation fit, scoring fit: None but for the champion)."""
    scoring = row["scoring_model"]
    return json.loads(row["evaluation_model"]), None if pd.isna(scoring) else json.loads(scoring)


def champion_row(result: pd.DataFrame) -> pd.Series:
    (position,) = np.flatnonzero(result["is_champion"].to_numpy())
    return result.iloc[position]


@pytest.fixture(scope="module")
def trained() -> tuple[pd.DataFrame, Usage, pd.DataFrame]:
    features, usage = world()
    return features, usage, train_product("p1", features, usage, CONFIG, SCORE_DATE)


def assert_all_skipped(result: pd.DataFrame, reason: str) -> None:
    assert result["model_name"].tolist() == list(MODEL_NAMES)
    assert (result["status"] == "skipped").all()
    assert result["status_reason"].str.contains(reason, regex=False).all()
    assert not result["is_champion"].any()
    assert result["evaluation_model"].isna().all()
    assert result["scoring_model"].isna().all()
    assert result["features"].isna().all()
    assert result[list(METRIC_COLUMNS)].isna().all().all()


def test_one_row_per_candidate_with_the_model_types_columns(trained):
    _, _, result = trained

    assert list(result.columns) == list(MODEL_TYPES) == list(OUTPUT_COLUMNS)
    assert result["model_name"].tolist() == list(MODEL_NAMES)
    assert (result["status"] == "ok").all()
    assert result["status_reason"].isna().all()
    assert (result["product_id"] == "p1").all()
    assert not result["is_cold_start"].any()
    assert result["evaluation_model"].notna().all()
    # only the champion is fitted again to score
    assert result["scoring_model"].notna().tolist() == result["is_champion"].tolist()


def test_counts_dates_and_params_of_each_row(trained):
    features, _, result = trained
    test_rows = labeled(features, TEST_DATE)
    fit_rows = pd.concat([labeled(features, date) for date in TRAIN_DATES[:2]])
    validation_rows = labeled(features, TRAIN_DATES[-1])

    assert (result["n_train_rows"] == len(fit_rows)).all()
    assert (result["n_train_positives"] == fit_rows["label"].sum()).all()
    assert (result["n_validation_rows"] == len(validation_rows)).all()
    assert (result["n_validation_positives"] == validation_rows["label"].sum()).all()
    assert (result["n_test_rows"] == len(test_rows)).all()
    assert (result["n_test_positives"] == test_rows["label"].sum()).all()
    assert (result["train_snapshot_dates"] == "2024-01-01, 2024-02-01, 2024-03-01").all()
    assert (result["validation_snapshot_date"] == "2024-03-01").all()
    assert (result["test_snapshot_date"] == "2024-04-01").all()
    assert (result["score_snapshot_date"] == "2024-05-01").all()
    assert (result["trained_at"] == CONFIG.trained_at).all()
    assert (result["top_k"] == CONFIG.top_k).all()
    for name, row in by_model(result).items():
        params = json.loads(row["params"])
        if name == "lightgbm":  # the grid entry chosen, the grid and what each entry scored
            merged = merge_params(name, MODEL_PARAMS[name])
            assert params.pop("grid") == merged["grid"]
            assert len(params.pop("grid_tuning_pr_auc")) == len(merged["grid"])
            # tuned on the train snapshot before the validation snapshot
            assert params.pop("tuning_snapshot_date") == "2024-02-01"
            assert params.pop("rounds") == row["best_iteration"]
            assert params in grid_settings(merged)
        elif name == "ensemble":
            assert params == {"members": ["logistic_regression", "lightgbm"]}
        else:
            assert params == merge_params(name, MODEL_PARAMS.get(name))
        assert (
            json.loads(row["features"]) == json.loads(row["evaluation_model"])["encoder"]["names"]
        )


def test_the_candidates_learn_something(trained):
    _, _, result = trained

    assert (result["auc_roc"] > 0.65).all()
    assert (result["pr_auc"] > result["test_base_rate"]).all()
    assert result["validation_pr_auc"].notna().all()


def test_only_lightgbm_has_a_best_iteration(trained):
    rows = by_model(trained[2])

    assert 1 <= rows["lightgbm"]["best_iteration"] <= MODEL_PARAMS["lightgbm"]["max_rounds"]
    assert pd.isna(rows["logistic_regression"]["best_iteration"])
    assert pd.isna(rows["lookalike"]["best_iteration"])
    assert pd.isna(rows["ensemble"]["best_iteration"])


def test_lightgbm_keeps_the_grid_entry_with_the_best_tuning_pr_auc(trained):
    features, usage, result = trained
    row = by_model(result)["lightgbm"]
    params = json.loads(row["params"])
    scores = params["grid_tuning_pr_auc"]
    best = int(np.argmax(scores))  # the first of the best
    merged = merge_params("lightgbm", MODEL_PARAMS["lightgbm"])
    settings = grid_settings(merged)[best]

    assert {k: v for k, v in params.items() if k in settings} == settings
    # the search: fitted on the first train snapshot, early-stopped on the second
    tune_fit, tune_rows = labeled(features, TRAIN_DATES[0]), labeled(features, TRAIN_DATES[1])
    encoder = FeatureEncoder.from_dict(json.loads(row["evaluation_model"])["encoder"])
    _, chosen, searched = LightGBMModel.search(
        encoder.transform(tune_fit, usage),
        tune_fit["label"].to_numpy().astype("int64"),
        merged,
        CONFIG.seed,
        (encoder.transform(tune_rows, usage), tune_rows["label"].to_numpy().astype("int64")),
    )
    assert searched == scores and chosen == settings


def test_the_scoring_fit_uses_the_grid_entry_the_evaluation_fit_chose():
    features, usage = world()
    # the grid's second entry always wins: the first cannot split
    params = {**MODEL_PARAMS["lightgbm"], "min_data_in_leaf": 100000}
    grid = [{}, {"min_data_in_leaf": 5, "num_leaves": 4}]
    config = TrainingConfig(
        min_adopters_for_model=10,
        model_params={"lightgbm": {**params, "grid": grid}},
        trained_at=CONFIG.trained_at,
    )
    result = train_product("p1", features, usage, config, SCORE_DATE)
    row = by_model(result)["lightgbm"]
    params = json.loads(row["params"])

    assert params["min_data_in_leaf"] == 5 and params["num_leaves"] == 4
    # the scoring fit of the champion (lightgbm alone or in the ensemble) has them too
    scoring = artifacts(champion_row(result))[1]
    texts = [artifacts(row)[0]["model"]["model_text"]]
    if scoring["model_name"] == "lightgbm":
        texts.append(scoring["model"]["model_text"])
    elif scoring["model_name"] == "ensemble":
        texts.append(scoring["model"]["members"][1]["model"]["model_text"])
    assert len(texts) == 2
    for text in texts:
        assert "[min_data_in_leaf: 5]" in text and "[num_leaves: 4]" in text


def test_the_ensemble_is_the_mean_of_its_calibrated_members(trained):
    features, usage, result = trained
    rows = by_model(result)
    test_rows = labeled(features, TEST_DATE)
    members = [
        predict(rows[name]["evaluation_model"], test_rows, usage)[1]
        for name in ("logistic_regression", "lightgbm")
    ]
    ensemble = json.loads(rows["ensemble"]["evaluation_model"])
    mean = (members[0] + members[1]) / 2

    # its members are the stored members, calibrations included
    for member, name in zip(
        ensemble["model"]["members"], ("logistic_regression", "lightgbm"), strict=True
    ):
        stored = json.loads(rows[name]["evaluation_model"])
        assert member == {k: stored[k] for k in ("model_name", "model", "calibration")}
    # ranked by the mean of the members' probabilities, and calibrated once more on top
    score = predict(rows["ensemble"]["evaluation_model"], test_rows, usage)[0]
    np.testing.assert_array_equal(score, mean)
    assert ensemble["calibration"]["method"] == "platt"
    assert (
        rows["ensemble"]["auc_roc"]
        == evaluate(test_rows["label"], mean, test_rows["user_id"], 10)["auc_roc"]
    )


def test_the_champion_is_within_one_standard_error_of_the_best_validation_pr_auc(trained):
    _, _, result = trained
    champion = result[result["is_champion"]]
    best = result["validation_pr_auc"].max()
    floor = _logit_lower_bound(best, int(result["n_validation_positives"].iloc[0]))

    assert len(champion) == 1
    assert champion["validation_pr_auc"].iloc[0] >= floor
    preferred = list(MODEL_PREFERENCE)
    rank = preferred.index(champion["model_name"].iloc[0])
    earlier = result[result["model_name"].isin(preferred[:rank])]
    assert (earlier["validation_pr_auc"] < floor).all()


def test_the_champion_never_reads_the_test_labels(trained):
    features, usage, first = trained
    # the test labels turned upside down: every test metric changes, the champion not
    flipped = features.copy()
    test = flipped["role"] == "test"
    flipped.loc[test, "label"] = 1.0 - flipped.loc[test, "label"]
    second = train_product("p1", flipped, usage, CONFIG, SCORE_DATE)

    assert second["pr_auc"].tolist() != first["pr_auc"].tolist()
    assert second["is_champion"].tolist() == first["is_champion"].tolist()
    assert second["validation_pr_auc"].tolist() == first["validation_pr_auc"].tolist()
    assert second["evaluation_model"].tolist() == first["evaluation_model"].tolist()


def test_the_champion_is_the_first_preferred_within_one_standard_error_of_the_best():
    def row(name, pr_auc, validation_pr_auc, status="ok", positives=100):
        return {
            "model_name": name,
            "status": status,
            "pr_auc": pr_auc,
            "validation_pr_auc": validation_pr_auc,
            "n_validation_positives": positives,
        }

    # 100 adopters, best 0.5: one standard error on the logit is 1 / sqrt(25) = 0.2, so the
    # floor is sigmoid(-0.2) = 0.4502
    assert _logit_lower_bound(0.5, 100) == pytest.approx(0.450166, abs=1e-6)
    within = [row("logistic_regression", 0.5, 0.5), row("ensemble", 0.1, 0.451)]
    assert _champion(within, is_cold_start=False) == "ensemble"
    beyond = [row("logistic_regression", 0.5, 0.5), row("ensemble", 0.9, 0.449)]
    assert _champion(beyond, is_cold_start=False) == "logistic_regression"
    # more adopters, a narrower tie
    many = [
        row("logistic_regression", 0.5, 0.5, positives=10_000),
        row("ensemble", 0.5, 0.48, positives=10_000),
    ]
    assert _champion(many, is_cold_start=False) == "logistic_regression"
    # a better test PR-AUC does not make a champion
    test_best = [row("logistic_regression", 0.9, 0.3), row("lightgbm", 0.1, 0.4)]
    assert _champion(test_best, is_cold_start=False) == "lightgbm"
    tied = [row("lookalike", 0.5, 0.3), row("logistic_regression", 0.5, 0.3)]
    assert _champion(tied, is_cold_start=False) == "logistic_regression"
    tied.append(row("lightgbm", 0.5, 0.3))
    assert _champion(tied, is_cold_start=False) == "lightgbm"
    tied.append(row("ensemble", 0.5, 0.3))
    assert _champion(tied, is_cold_start=False) == "ensemble"
    undefined = [row("lightgbm", None, None), row("lookalike", float("nan"), 0.1)]
    assert _champion(undefined, is_cold_start=False) == "lookalike"
    none_defined = [row("lookalike", None, None), row("lightgbm", None, None)]
    assert _champion(none_defined, is_cold_start=False) == "lightgbm"
    skipped_best = [row("lightgbm", 0.9, 0.9, "skipped"), row("lookalike", 0.1, 0.1)]
    assert _champion(skipped_best, is_cold_start=False) == "lookalike"
    assert _champion([row("lightgbm", 0.9, 0.9, "skipped")], is_cold_start=False) is None


def test_cold_start_makes_the_lookalike_champion():
    features, usage = world()
    config = TrainingConfig(min_adopters_for_model=10_000, model_params=MODEL_PARAMS)
    result = train_product("p1", features, usage, config)

    assert result["is_cold_start"].all()
    assert (result["status"] == "ok").all()
    assert result.loc[result["is_champion"], "model_name"].tolist() == ["lookalike"]
    # no grid search for a product whose champion is the lookalike anyway: the first entry
    params = json.loads(result.loc[result["model_name"] == "lightgbm", "params"].iloc[0])
    first = grid_settings(merge_params("lightgbm", MODEL_PARAMS["lightgbm"]))[0]
    assert params["grid"] == [{}] and len(params["grid_tuning_pr_auc"]) == 1
    assert {k: v for k, v in params.items() if k in first} == first


def test_the_cold_start_threshold_counts_every_train_snapshot(trained):
    features, usage, _ = trained
    n_positives = int(features.loc[features["role"] == "train", "label"].sum())

    for threshold, cold in [(n_positives, False), (n_positives + 1, True)]:
        config = TrainingConfig(min_adopters_for_model=threshold, model_params=MODEL_PARAMS)
        result = train_product("p1", features, usage, config)
        assert result["is_cold_start"].eq(cold).all()


def test_evaluation_fit_holds_out_the_latest_train_snapshot(trained):
    for row in by_model(trained[2]).values():
        evaluation, _ = artifacts(row)
        assert evaluation["model_name"] == row["model_name"]
        assert evaluation["fit_snapshot_dates"] == ["2024-01-01", "2024-02-01"]
        assert evaluation["validation_snapshot_date"] == "2024-03-01"
        assert evaluation["seed"] == CONFIG.seed
        assert evaluation["calibration"]["method"] == "platt"


def test_scoring_fit_uses_every_train_snapshot_and_validates_on_the_test_snapshot(trained):
    for row in [champion_row(trained[2])]:
        _, scoring = artifacts(row)
        assert scoring["model_name"] == row["model_name"]
        assert scoring["fit_snapshot_dates"] == ["2024-01-01", "2024-02-01", "2024-03-01"]
        assert scoring["validation_snapshot_date"] == "2024-04-01"
        assert scoring["calibration"]["n_rows"] == row["n_test_rows"]


def test_stored_metrics_are_the_evaluation_model_on_the_test_snapshot(trained):
    features, usage, result = trained
    test_rows = labeled(features, TEST_DATE)

    for row in by_model(result).values():
        score, probability = predict(row["evaluation_model"], test_rows, usage)
        metrics = evaluate(
            test_rows["label"].to_numpy(),
            score,
            test_rows["user_id"].to_numpy(),
            CONFIG.top_k,
            probability,
        )
        assert metrics == {column: row[column] for column in METRIC_COLUMNS}


def test_two_calls_give_identical_rows_and_models(trained):
    features, usage, first = trained
    second = train_product("p1", features.copy(), usage, CONFIG, SCORE_DATE)

    assert second["evaluation_model"].tolist() == first["evaluation_model"].tolist()
    assert second["scoring_model"].tolist() == first["scoring_model"].tolist()
    pd.testing.assert_frame_equal(first, second)


def test_row_order_of_the_input_does_not_matter(trained):
    features, usage, first = trained
    shuffled = features.sample(frac=1.0, random_state=1)
    second = train_product("p1", shuffled, usage, CONFIG, SCORE_DATE)

    pd.testing.assert_frame_equal(first, second)


def test_snapshot_dates_as_timestamps_as_duckdb_returns_them(trained):
    features, usage, first = trained
    features = features.assign(snapshot_date=pd.to_datetime(features["snapshot_date"]))
    second = train_product("p1", features, usage, CONFIG, pd.Timestamp(SCORE_DATE))

    pd.testing.assert_frame_equal(first, second)


def test_no_adopter_at_all_skips_every_candidate():
    features, usage = world(n_users=60)
    features["is_eligible"] = True
    features["label"] = 0.0
    result = train_product("p1", features, usage, CONFIG)

    assert_all_skipped(result, "no adopter in the training snapshots")
    assert result["is_cold_start"].all()
    assert (result["n_train_positives"] == 0).all()


def test_a_single_adopter_still_fits():
    features, usage = world(n_users=80)
    features["is_eligible"] = True
    features["label"] = 0.0
    features.loc[0, "label"] = 1.0  # u000 at the first train snapshot
    result = train_product("p1", features, usage, CONFIG)
    rows = by_model(result)

    assert (result["status"] == "ok").all()
    assert (result["n_train_positives"] == 1).all()
    assert result["is_cold_start"].all()
    assert result.loc[result["is_champion"], "model_name"].tolist() == ["lookalike"]
    # no adopter to validate on: classifiers are prior-corrected, the lookalike has no probability
    assert artifacts(rows["logistic_regression"])[0]["calibration"]["method"] == "prior_correction"
    # each by the weight it gave an adopter: balanced logistic regression, unweighted LightGBM
    n_labeled = int(rows["logistic_regression"]["n_train_rows"])
    lr_calibration = artifacts(rows["logistic_regression"])[0]["calibration"]
    assert lr_calibration["positive_weight"] == n_labeled - 1
    assert artifacts(rows["lightgbm"])[0]["calibration"]["positive_weight"] == 1.0
    assert artifacts(rows["lookalike"])[0]["calibration"]["method"] == "none"
    assert result["status_reason"].str.contains("no adopter in the calibration rows").all()


def test_users_who_had_adopted_already_are_lookalike_adopters():
    features, usage = world(n_users=80)
    features["label"] = np.where(features["is_eligible"], 0.0, np.nan)
    result = train_product("p1", features, usage, CONFIG)
    rows = by_model(result)

    assert rows["lookalike"]["status"] == "ok"
    assert rows["logistic_regression"]["status"] == "skipped"
    assert rows["lightgbm"]["status"] == "skipped"
    assert rows["lightgbm"]["status_reason"] == "no adopter in the training snapshots"
    assert result.loc[result["is_champion"], "model_name"].tolist() == ["lookalike"]


def test_every_training_row_adopted_skips_the_classifiers():
    features, usage = world(n_users=60)
    features["is_eligible"] = True
    features["label"] = 1.0
    rows = by_model(train_product("p1", features, usage, CONFIG))

    assert rows["logistic_regression"]["status_reason"] == "every training row adopted"
    assert rows["lightgbm"]["status"] == "skipped"
    assert rows["lookalike"]["status"] == "ok"


def test_no_varying_feature_skips_every_candidate():
    features, _ = world(n_users=60)
    features["n_teammates_adopted"] = 3
    features["logins_30d"] = np.nan
    features["recency_days"] = np.nan
    features["industry"] = "software"
    result = train_product("p1", features, Usage(), CONFIG)

    assert_all_skipped(result, "no feature varies in the training snapshots")
    assert (result["n_train_positives"] > 0).all()


def test_no_feature_column_at_all_skips_every_candidate():
    features, _ = world(n_users=60)
    features = features[["user_id", "product_id", "snapshot_date", "role", "is_eligible", "label"]]

    assert_all_skipped(
        train_product("p1", features, Usage(), CONFIG), "no feature varies in the training"
    )


def test_a_single_user_in_a_single_train_snapshot_is_skipped():
    features, usage = world(n_users=1, train_dates=TRAIN_DATES[:1])
    features["is_eligible"] = True
    features["label"] = [1.0, 0.0]
    result = train_product("p1", features, usage, CONFIG)

    assert_all_skipped(result, "fewer than 2 users in the training snapshots")


def test_a_single_user_over_several_train_snapshots_is_skipped():
    features, usage = world(n_users=1)
    features["is_eligible"] = True
    features["label"] = [1.0, 0.0, 0.0, 1.0]
    features["logins_30d"] = [3, 9, 4, 7]
    result = train_product("p1", features, usage, CONFIG)

    assert_all_skipped(result, "fewer than 2 users")


def test_a_single_user_over_several_snapshots_never_raises():
    features, usage = world(n_users=1)
    features["is_eligible"] = True
    features["label"] = [1.0, 0.0, 0.0, 1.0]
    features["logins_30d"] = [3, 9, 4, 7]
    result = train_product("p1", features, usage, CONFIG)

    assert len(result) == len(MODEL_NAMES)
    assert result["auc_roc"].isna().all()


def test_a_test_snapshot_without_adopters_leaves_its_metrics_undefined():
    features, usage = world(n_users=100)
    features.loc[features["role"] == "test", "label"] = np.where(
        features.loc[features["role"] == "test", "is_eligible"], 0.0, np.nan
    )
    result = train_product("p1", features, usage, CONFIG)

    assert (result["status"] == "ok").all()
    for column in ["auc_roc", "pr_auc", "recall_at_k", "ndcg_at_k", "top_decile_lift"]:
        assert result[column].isna().all(), column
    assert (result["precision_at_k"] == 0.0).all()
    assert (result["n_test_positives"] == 0).all()
    assert result["status_reason"].str.contains("no adopter at the test snapshot").all()
    # the champion is still chosen on the validation snapshot
    assert result["is_champion"].sum() == 1
    assert result["validation_pr_auc"].notna().all()


def test_a_test_snapshot_where_everyone_adopted_says_so():
    features, usage = world(n_users=100)
    test = features["role"] == "test"
    features.loc[test, "label"] = np.where(features.loc[test, "is_eligible"], 1.0, np.nan)
    result = train_product("p1", features, usage, CONFIG)

    assert result["auc_roc"].isna().all()
    assert result["status_reason"].str.contains("every test row adopted").all()


def test_no_test_snapshot_gives_no_out_of_time_metrics():
    features, usage = world(n_users=100, test_date=None)
    result = train_product("p1", features, usage, CONFIG)

    assert (result["status"] == "ok").all()
    assert result["test_snapshot_date"].isna().all()
    assert result[list(METRIC_COLUMNS)].isna().all().all()
    assert result["status_reason"].str.contains("no test snapshot").all()
    assert result["is_champion"].sum() == 1
    _, scoring = artifacts(champion_row(result))
    assert scoring["fit_snapshot_dates"] == ["2024-01-01", "2024-02-01"]


def test_a_single_train_snapshot_is_validated_on_itself_and_says_so():
    features, usage = world(train_dates=TRAIN_DATES[:1])
    result = train_product("p1", features, usage, CONFIG)

    assert (result["status"] == "ok").all()
    assert result["status_reason"].str.contains("a single labeled snapshot").all()
    assert (result["validation_snapshot_date"] == "2024-01-01").all()
    assert (result["n_validation_rows"] == result["n_train_rows"]).all()
    for row in by_model(result).values():
        evaluation, _ = artifacts(row)
        assert evaluation["fit_snapshot_dates"] == ["2024-01-01"]
        assert evaluation["validation_snapshot_date"] == "2024-01-01"
    _, scoring = artifacts(champion_row(result))
    assert scoring["fit_snapshot_dates"] == ["2024-01-01"]
    assert scoring["validation_snapshot_date"] == "2024-04-01"


def test_a_validation_snapshot_without_eligible_users_never_raises():
    features, usage = world(n_users=100)
    latest = features["snapshot_date"] == TRAIN_DATES[-1]
    features.loc[latest, "is_eligible"] = False
    features.loc[latest, "label"] = np.nan
    result = train_product("p1", features, usage, CONFIG)

    assert (result["n_validation_rows"] == 0).all()


def test_a_test_snapshot_without_eligible_users_never_raises():
    features, usage = world(n_users=100)
    test = features["role"] == "test"
    features.loc[test, "is_eligible"] = False
    features.loc[test, "label"] = np.nan
    result = train_product("p1", features, usage, CONFIG)

    assert (result["n_test_rows"] == 0).all()
    assert result["status_reason"].str.contains("no eligible user at the test snapshot").all()


def test_unknown_model_params_fail_naming_the_var():
    features, usage = world(n_users=30)
    config = TrainingConfig(model_params={"lookalike": {"shrinkage": 1.0, "k": 3}})

    with pytest.raises(ValueError, match="targeting__model_params"):
        train_product("p1", features, usage, config)


def test_weights_of_one_change_nothing(trained):
    features, usage, result = trained
    weighted = train_product("p1", features.assign(sample_weight=1.0), usage, CONFIG, SCORE_DATE)
    pd.testing.assert_frame_equal(result, weighted)


def test_a_weighted_sample_of_non_adopters_stands_for_all_of_them():
    """Half the non-adopters, each weighing 2: probabilities stay those of all the rows."""
    features, usage = world(n_users=600, seed=3)
    keep = (features["label"] != 0) | (np.arange(len(features)) % 2 == 0)
    sample = features[keep].assign(sample_weight=np.where(features["label"][keep] == 0, 2.0, 1.0))
    test_rows = labeled(features, TEST_DATE)

    full = by_model(train_product("p1", features, usage, CONFIG, SCORE_DATE))
    sampled = by_model(
        train_product("p1", sample, usage, CONFIG, SCORE_DATE, test_batches=[(test_rows, usage)])
    )
    for name in ("logistic_regression", "lightgbm"):
        # judged on the same, whole test snapshot
        assert sampled[name]["n_test_rows"] == full[name]["n_test_rows"]
        probability = predict(sampled[name]["evaluation_model"], test_rows, usage)[1]
        # calibrated on a weighted sample: the mean probability is the base rate's
        assert probability.mean() == pytest.approx(test_rows["label"].mean(), abs=0.05), name
    coefficients = [
        np.array(
            json.loads(rows["logistic_regression"]["evaluation_model"])["model"]["coefficients"]
        )
        for rows in (full, sampled)
    ]
    assert np.corrcoef(*coefficients)[0, 1] > 0.9


def training_jobs(n_products: int) -> dict[str, Callable[[], list[pd.DataFrame]]]:
    """Per product of a small world each, a side_by_side job training it."""

    def job(product_id: str, seed: int) -> Callable[[], list[pd.DataFrame]]:
        features, usage = world(seed=seed)
        return lambda: [train_product(product_id, features, usage, CONFIG, SCORE_DATE)]

    return {f"p{seed}": job(f"p{seed}", seed) for seed in range(n_products)}


def test_products_trained_side_by_side_are_the_same_bits_as_one_after_another():
    jobs = training_jobs(3)
    names = sorted(jobs)
    alone = {name: jobs[name]()[0] for name in names}
    side = {names[index]: frame for index, frame in side_by_side([jobs[n] for n in names], 2)}

    for name in names:
        pd.testing.assert_frame_equal(side[name], alone[name])


def test_every_lightgbm_call_of_products_side_by_side_asks_for_one_thread(
    monkeypatch: pytest.MonkeyPatch,
):
    """LightGBM's thread count is process-wide and each call sets it: a product binning or
    predicting on two threads while another boosted on one changed the other's trees in
    the last bits (one build in six of the small world) or crashed LightGBM. Every call
    made in side_by_side's workers must ask for the same count, one, whatever the cores."""
    monkeypatch.setattr("targeting.threads.cores", lambda: 4)
    asked: list[tuple[str, object]] = []
    construct, train, predict = lgb.Dataset.construct, lgb.train, lgb.Booster.predict

    def spying_construct(self, *args, **kwargs):
        asked.append(("binning", (self.params or {}).get("num_threads")))
        return construct(self, *args, **kwargs)

    def spying_train(params, *args, **kwargs):
        asked.append(("boosting", params.get("num_threads")))
        return train(params, *args, **kwargs)

    def spying_predict(self, *args, **kwargs):
        asked.append(("prediction", kwargs.get("num_threads")))
        return predict(self, *args, **kwargs)

    monkeypatch.setattr(lgb.Dataset, "construct", spying_construct)
    monkeypatch.setattr(lgb, "train", spying_train)
    monkeypatch.setattr(lgb.Booster, "predict", spying_predict)
    jobs = training_jobs(2)

    list(side_by_side([jobs[name] for name in sorted(jobs)], 2))

    assert {kind for kind, _ in asked} == {"binning", "boosting", "prediction"}
    assert {threads for _, threads in asked} == {1}, sorted(set(asked), key=str)
    # alone, binning and prediction take every core
    asked.clear()
    jobs["p0"]()
    assert {threads for kind, threads in asked if kind != "boosting"} == {4}
