"""The run summary reads fct_data_quality and says what was kept and what was not."""

from __future__ import annotations

import duckdb

from targeting.summary import main, summarize


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        """
        create table marts.fct_data_quality as
        select * from (values
            ('events', 'clean', true, 1200),
            ('events', 'bot_user', false, 30),
            ('events', 'unknown_user', false, 0),
            ('users', 'clean', true, 10),
            ('users', 'null_user_id', false, 2)
        ) as t (source_table, dq_issue, is_clean, n_rows)
        """
    )
    return con


def test_summary_counts_clean_and_quarantined_rows_per_table() -> None:
    lines = summarize(_warehouse()).splitlines()
    events = next(line for line in lines if line.strip().startswith("events"))
    assert "1,230 rows" in events
    assert "1,200 clean" in events
    assert "bot_user 30" in events
    assert "unknown_user" not in events  # zero-row checks are not news
    connections = next(line for line in lines if line.strip().startswith("connections"))
    assert "0 rows" in connections
    assert "quarantined: none" in connections


def test_summary_without_a_warehouse_says_what_to_do(tmp_path, capsys) -> None:
    assert main([str(tmp_path / "missing.duckdb")]) == 1
    assert "make run" in capsys.readouterr().err
