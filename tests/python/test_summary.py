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
    con.execute(
        """
        create table marts.fct_model_evaluation as
        select * from (values
            ('p1', 'lightgbm', true, false, 0.75, 0.1, 3.9, 2.9, 5.1, 40, true),
            ('p1', 'lookalike', false, false, 0.6, 0.05, 2.0, 1.1, 3.0, 40, true),
            ('p2', 'lookalike', true, true, null, null, null, null, null, 0, false)
        ) as t (product_id, model_name, is_champion, is_cold_start, auc_roc, pr_auc,
                top_decile_lift, top_decile_lift_low, top_decile_lift_high, n_test_positives,
                has_enough_test_adopters)
        """
    )
    con.execute(
        """
        create table marts.fct_campaign_results as
        select * from (values
            ('spring', 'p1', 900, 0.08, 100, 0.03, 0.05, 0.01, 0.09, 0.045, 0.012, 0.08, 45.0,
                true, false, timestamp '2026-09-01 10:00:00'),
            ('autumn', 'p1', 10, 0.1, 0, null, null, null, null, null, null, null, null,
                false, true, timestamp '2026-10-20 10:00:00')
        ) as t (campaign_id, product_id, contacted_users, contacted_rate, holdout_users,
                holdout_rate, uplift, uplift_low, uplift_high, adjusted_uplift,
                adjusted_uplift_low, adjusted_uplift_high, incremental_adopters,
                is_horizon_closed, has_sample_ratio_mismatch, first_assigned_at)
        """
    )
    con.execute("create schema ml")
    con.execute(
        """
        create table ml.ml_propensity_scores as
        select * from (values
            ('p1', 'lightgbm', 'u1', 'score'), ('p1', 'lightgbm', 'u2', 'score'),
            ('p1', 'lightgbm', 'u3', 'test'), ('p1', 'lookalike', 'u1', 'score')
        ) as t (product_id, model_name, user_id, role)
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


def test_summary_names_each_products_champion_and_its_test_lift() -> None:
    lines = summarize(_warehouse()).splitlines()
    p1 = next(line for line in lines if line.strip().startswith("p1"))
    assert "champion lightgbm" in p1
    assert "AUC 0.750" in p1 and "top-decile lift 3.90x (95% 2.90-5.10x, 40 test" in p1
    assert "too few" not in p1
    assert "2 users scored" in p1
    p2 = next(line for line in lines if line.strip().startswith("p2"))
    assert "lookalike (cold start)" in p2 and "AUC   n/a" in p2
    assert "(0 test adopters: too few to judge)" in p2


def test_summary_measures_each_campaign_and_flags_the_partial_ones() -> None:
    lines = summarize(_warehouse()).splitlines()
    heading = lines.index("Campaigns against their holdout (marts.fct_campaign_results):")
    spring, autumn = lines[heading + 1 :]
    assert spring.split()[:2] == ["spring", "p1"]
    assert "900 contacted 8.00% vs 100 holdout 3.00%" in spring
    assert "uplift +5.00 pts (95% +1.00 to +9.00), adjusted +4.50 (+1.20 to +8.00)" in spring
    assert "+45 incremental adopters" in spring and "partial" not in spring
    assert "holdout n/a: uplift n/a pts" in autumn
    assert "partial: the horizon is still open" in autumn and "sample-ratio mismatch" in autumn


def test_summary_without_campaigns_has_no_campaign_block() -> None:
    con = _warehouse()
    con.execute("delete from marts.fct_campaign_results")
    assert "Campaigns" not in summarize(con)


def test_summary_without_a_warehouse_says_what_to_do(tmp_path, capsys) -> None:
    assert main([str(tmp_path / "missing.duckdb")]) == 1
    assert "make run" in capsys.readouterr().err
