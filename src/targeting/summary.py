"""The short summary ``make run`` prints after ``dbt build``.

Reads the marts only, through a read-only connection, so it never blocks a build.
``python -m targeting.summary [path]`` (default: ``$TARGETING_DUCKDB_PATH`` or
``targeting.duckdb``).
"""

from __future__ import annotations

import os
import sys

import duckdb


def data_quality_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per input table: rows read, rows clean, and the quarantined rows by issue."""
    rows = con.execute(
        """
        select source_table, dq_issue, n_rows
        from marts.fct_data_quality
        where n_rows > 0
        order by source_table, is_clean desc, n_rows desc, dq_issue
        """
    ).fetchall()
    tables: dict[str, list[tuple[str, int]]] = {}
    for source_table, dq_issue, n_rows in rows:
        tables.setdefault(source_table, []).append((dq_issue, n_rows))
    lines = []
    for source_table in ("users", "events", "connections", "adoptions", "campaign_assignments"):
        if source_table == "campaign_assignments" and source_table not in tables:
            continue  # the optional input, not given
        counts = dict(tables.get(source_table, []))
        total = sum(counts.values())
        clean = counts.pop("clean", 0)
        issues = ", ".join(f"{issue} {n:,}" for issue, n in counts.items()) or "none"
        lines.append(
            f"  {source_table:<20} {total:>10,} rows, {clean:>10,} clean; quarantined: {issues}"
        )
    return lines


def model_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per product: champion, its out-of-time test metrics (the top decile's lift
    with its 95% interval, or a warning when the test holds too few adopters to judge),
    users it scored."""
    rows = con.execute(
        """
        select
            models.product_id,
            models.model_name,
            models.is_cold_start,
            models.auc_roc,
            models.pr_auc,
            models.top_decile_lift,
            models.top_decile_lift_low,
            models.top_decile_lift_high,
            models.n_test_positives,
            models.has_enough_test_adopters,
            count(scores.user_id) as n_scored
        from marts.fct_model_evaluation as models
        left join ml.ml_propensity_scores as scores
            on
                models.product_id = scores.product_id
                and models.model_name = scores.model_name
                and scores.role = 'score'
        where models.is_champion
        group by all
        order by models.product_id
        """
    ).fetchall()
    lines = []
    for product, model, cold, auc, pr_auc, lift, low, high, n_positives, enough, n_scored in rows:
        kind = f"{model} (cold start)" if cold else model
        interval = f"95% {low:.2f}-{high:.2f}x, " if low is not None and high is not None else ""
        judged = "" if enough else ": too few to judge"
        lines.append(
            f"  {product:<16} champion {kind:<24} AUC {_metric(auc)}  PR-AUC {_metric(pr_auc)}"
            f"  top-decile lift {_metric(lift, 'x')} ({interval}{n_positives or 0} test"
            f" adopters{judged}); {n_scored:,} users scored"
        )
    return lines or ["  no product has a fitted model (see ml.ml_propensity_models.status_reason)"]


def campaign_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per campaign and product: the arms' adoption rates, the uplift and the
    adjusted uplift in percentage points with their 95% intervals, the incremental
    adopters; flagged when the horizon is still open or the arms' ratio is off. None
    without campaign input."""
    rows = con.execute(
        """
        select campaign_id, product_id, contacted_users, contacted_rate, holdout_users,
            holdout_rate, uplift, uplift_low, uplift_high, adjusted_uplift,
            adjusted_uplift_low, adjusted_uplift_high, incremental_adopters,
            is_horizon_closed, has_sample_ratio_mismatch
        from marts.fct_campaign_results
        order by first_assigned_at, campaign_id, product_id
        """
    ).fetchall()
    lines = []
    for (
        campaign,
        product,
        n_contacted,
        contacted_rate,
        n_holdout,
        holdout_rate,
        uplift,
        low,
        high,
        adjusted,
        adjusted_low,
        adjusted_high,
        incremental,
        closed,
        mismatch,
    ) in rows:
        flags = ("" if closed else "; partial: the horizon is still open") + (
            "; sample-ratio mismatch: the arms may not be comparable" if mismatch else ""
        )
        lines.append(
            f"  {campaign:<20} {product:<16} {n_contacted:,} contacted {_rate(contacted_rate)}"
            f" vs {n_holdout:,} holdout {_rate(holdout_rate)}: uplift {_points(uplift)} pts"
            f" (95% {_points(low)} to {_points(high)}), adjusted {_points(adjusted)}"
            f" ({_points(adjusted_low)} to {_points(adjusted_high)});"
            f" {_points(incremental, 1, 0)} incremental adopters{flags}"
        )
    return lines


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _points(value: float | None, scale: float = 100, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value * scale:+.{digits}f}"


def _metric(value: float | None, unit: str = "") -> str:
    return "  n/a" if value is None else f"{value:.3f}{unit}" if not unit else f"{value:.2f}{unit}"


def summarize(con: duckdb.DuckDBPyConnection) -> str:
    """The summary text for a built warehouse."""
    campaigns = campaign_lines(con)
    return "\n".join(
        [
            "Data quality (marts.fct_data_quality):",
            *data_quality_lines(con),
            "Propensity models, out-of-time test (marts.fct_model_evaluation):",
            *model_lines(con),
            *(
                ["Campaigns against their holdout (marts.fct_campaign_results):"]
                if campaigns
                else []
            ),
            *campaigns,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = args[0] if args else os.environ.get("TARGETING_DUCKDB_PATH", "targeting.duckdb")
    if not os.path.exists(path):
        print(f"targeting: no warehouse at {path}; run `make run` first.", file=sys.stderr)
        return 1
    with duckdb.connect(path, read_only=True) as con:
        print(summarize(con))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
