"""When stored models are reused, and which stored test scores are kept (targeting.reuse,
targeting.relations.kept_test_scores), and how the scores table is replaced around them
(replace_all_but)."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd
import pytest

from targeting.relations import kept_test_scores, replace_all_but, stored_rows
from targeting.reuse import (
    NO_STORED_MODEL,
    RETRAIN_REQUESTED,
    code_version,
    decide,
    grid_dates,
    inputs_json,
    training_inputs,
)
from targeting.training import TrainingConfig

TRAIN = [dt.date(2026, 8, 10), dt.date(2026, 7, 13)]
TEST = dt.date(2026, 9, 7)


def _inputs(**changes) -> dict:
    config = TrainingConfig(**changes.pop("config", {}))
    arguments = {
        "product_id": "analytics_pro",
        "config": config,
        "train_snapshot_dates": TRAIN,
        "test_snapshot_date": TEST,
        "feature_version": "abc",
        "max_training_rows": 250_000,
        **changes,
    }
    return training_inputs(**arguments)


def _stored(inputs: dict, n_models: int = 3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": ["analytics_pro"] * n_models,
            "model_name": ["logistic_regression", "lightgbm", "lookalike"][:n_models],
            "training_inputs": [inputs_json(inputs)] * n_models,
        }
    )


def test_the_same_inputs_reuse_the_stored_models() -> None:
    assert decide(_stored(_inputs()), _inputs(), retrain=False).reuse


def test_the_inputs_read_back_the_same_whatever_the_date_types() -> None:
    as_timestamps = _inputs(
        train_snapshot_dates=[pd.Timestamp(d) for d in reversed(TRAIN)],
        test_snapshot_date=pd.Timestamp(TEST),
    )
    assert decide(_stored(_inputs()), as_timestamps, retrain=False).reuse


def test_nothing_stored_trains_and_says_so() -> None:
    for stored in (None, _stored(_inputs()).iloc[0:0]):
        decision = decide(stored, _inputs(), retrain=False)
        assert not decision.reuse
        assert decision.reason == NO_STORED_MODEL


def test_the_retrain_switch_trains_even_when_nothing_changed() -> None:
    decision = decide(_stored(_inputs()), _inputs(), retrain=True)
    assert (decision.reuse, decision.reason) == (False, RETRAIN_REQUESTED)


def test_a_moved_grid_trains_and_names_the_dates() -> None:
    moved = _inputs(test_snapshot_date=dt.date(2026, 10, 5), train_snapshot_dates=[TEST])
    decision = decide(_stored(_inputs()), moved, retrain=False)
    assert not decision.reuse
    assert decision.reason == "the grid moved: test snapshot 2026-09-07 -> 2026-10-05"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"feature_version": "def"}, "feature_version"),
        ({"max_training_rows": 1000}, "max_training_rows"),
        ({"config": {"model_params": {"lightgbm": {"num_leaves": 7}}}}, "model_params"),
        ({"config": {"seed": 1, "top_k": 10}}, "seed, top_k"),
        ({"train_snapshot_dates": TRAIN[:1]}, "train_snapshot_dates"),
    ],
)
def test_a_changed_input_trains_and_names_it(changes: dict, named: str) -> None:
    decision = decide(_stored(_inputs()), _inputs(**changes), retrain=False)
    assert not decision.reuse
    assert decision.reason == f"changed since the stored models: {named}"


def test_stored_models_of_mixed_or_unknown_inputs_are_not_reused() -> None:
    mixed = _stored(_inputs())
    mixed.loc[0, "training_inputs"] = inputs_json(_inputs(feature_version="old"))
    assert not decide(mixed, _inputs(), retrain=False).reuse
    unknown = _stored(_inputs()).drop(columns="training_inputs")
    assert not decide(unknown, _inputs(), retrain=False).reuse


def test_the_inputs_name_the_training_code_and_settings() -> None:
    inputs = json.loads(inputs_json(_inputs()))
    assert inputs["code_version"] == code_version()
    assert len(code_version()) == 32
    assert inputs["train_snapshot_dates"] == ["2026-07-13", "2026-08-10"]
    assert inputs["test_snapshot_date"] == "2026-09-07"
    assert {"seed", "top_k", "min_adopters_for_model", "latent_factors", "model_params"} < set(
        inputs
    )


def test_grid_dates_reads_int_snapshots_roles() -> None:
    rows = [
        ("train", TRAIN[0]),
        ("score", dt.date(2026, 10, 31)),
        ("test", TEST),
        ("train", TRAIN[1]),
    ]
    assert grid_dates(rows) == (sorted(TRAIN), TEST, dt.date(2026, 10, 31))
    assert grid_dates([("score", TEST)]) == ([], None, TEST)


def _models(trained_at: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": ["p", "p"],
            "model_name": ["lightgbm", "lookalike"],
            "status": ["ok", "ok"],
            "trained_at": pd.to_datetime([trained_at, "2026-11-30 10:00:00"]),
            "test_snapshot_date": pd.to_datetime([TEST, TEST]),
            "evaluation_model": ["{}", "{}"],
        }
    )


def test_test_scores_of_a_kept_model_are_kept_and_not_scored_again() -> None:
    with duckdb.connect() as con:
        con.execute(
            """
            create table scores as select * from (values
                ('p', 'lightgbm', 'u1', date '2026-09-07', 'test', timestamp '2026-11-29 10:00:00'),
                ('p', 'lookalike', 'u1', date '2026-09-07', 'test', timestamp '2026-11-29 10:00:00')
            ) as t (product_id, model_name, user_id, snapshot_date, role, trained_at)
            """
        )
        previous = stored_rows(con, "scores", "role = 'test'")
        # lightgbm kept from that run; lookalike trained again since
        to_score, kept = kept_test_scores(_models("2026-11-29 10:00:00"), previous)
        assert kept.select("model_name").fetchall() == [("lightgbm",)]
        assert to_score["evaluation_model"].isna().tolist() == [True, False]

        # a model trained again: nothing kept, everything scored
        to_score, kept = kept_test_scores(_models("2026-11-30 10:00:00"), previous)
        assert kept is None
        assert to_score["evaluation_model"].notna().all()

        assert stored_rows(con, "no_such_table") is None


def _scores_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        create table scores as select * from (values
            ('p', 'lightgbm', 'u1', 'test', 0.1::double),
            ('p', 'lightgbm', 'u1', 'score', 0.2),
            ('p', 'lookalike', 'u1', 'test', 0.3),
            ('q', 'lightgbm', 'u1', 'test', 0.4)
        ) as t (product_id, model_name, user_id, role, score)
        """
    )


def _new_rows(con: duckdb.DuckDBPyConnection, extra: str = ""):
    # the columns in another order than the table's: they are matched by name
    return con.sql(
        "select 'u1' as user_id, * from (values ('p', 'lightgbm', 'score', 0.5::double),"
        " ('p', 'lookalike', 'test', 0.6::double)) as t (product_id, model_name, role, score)"
        + extra
    )


def _rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.sql("select product_id, model_name, role, score from scores order by all").fetchall()


def test_the_scores_are_replaced_in_one_transaction_around_the_kept_ones() -> None:
    with duckdb.connect() as con:
        _scores_table(con)
        kept = con.sql("select * from scores where role = 'test' and model_name = 'lightgbm'")
        left_to_dbt = replace_all_but(con, "scores", kept, _new_rows(con))

        assert left_to_dbt.fetchall() == []
        assert _rows(con) == [
            ("p", "lightgbm", "score", 0.5),
            ("p", "lightgbm", "test", 0.1),
            ("p", "lookalike", "test", 0.6),
            ("q", "lightgbm", "test", 0.4),
        ]


def test_a_replacement_that_fails_leaves_the_table_as_it_was() -> None:
    with duckdb.connect() as con:
        _scores_table(con)
        before = _rows(con)
        # the insert fails after the delete ran (text that is no double): both are undone
        bad = con.sql(
            "select 'u1' as user_id, 'p' as product_id, 'lightgbm' as model_name,"
            " 'score' as role, 'not a number' as score"
        )
        with pytest.raises(duckdb.ConversionException):
            replace_all_but(con, "scores", None, bad)
        assert _rows(con) == before


def test_new_columns_leave_the_append_to_dbt() -> None:
    with duckdb.connect() as con:
        _scores_table(con)
        rows = _new_rows(con, extra=" cross join (select 1 as new_column)")
        left_to_dbt = replace_all_but(con, "scores", None, rows)

        # every old row deleted; the new rows are dbt's to append once it added the column
        assert _rows(con) == []
        assert len(left_to_dbt.fetchall()) == 2
