"""The lift report: ``make report`` writes one self-contained HTML file from the marts.

``python -m targeting.report [warehouse] [output]`` (defaults: ``$TARGETING_DUCKDB_PATH``
or ``targeting.duckdb``, and ``reports/lift_report.html``). Per product: the cumulative
gains curve of every fitted model against a random list, the champion's decile lift, the
model comparison, the top of the target list and the drifted features; then what each
campaign did against its holdout (uplift with its intervals). It reads only
``marts.*``, through a read-only connection, and embeds its charts as PNG images, so the
file can be mailed or opened anywhere.
"""

from __future__ import annotations

import base64
import html
import io
import os
import sys
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")  # no display: render to memory
import matplotlib.pyplot as plt
import pandas as pd

DEFAULT_OUTPUT = Path("reports") / "lift_report.html"
TOP_TARGETS = 15
PREVIEW_COLUMNS = [
    "rank",
    "user_id",
    "probability",
    "behavioral_segment",
    "rfm_segment",
    "reason_1",
    "reason_2",
    "reason_3",
]
CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2rem; } h2 { border-top: 1px solid #ccc; padding-top: 1.2rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.6rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: right; }
th { background: #f4f4f4; } td.text, th.text { text-align: left; }
td.text { max-width: 16rem; overflow-wrap: anywhere; }
.wide { overflow-x: auto; }
tr.champion td { font-weight: 600; background: #eef6ee; }
.charts { display: flex; gap: 1rem; flex-wrap: wrap; } .charts img { width: 520px; }
.note { color: #555; font-size: 0.9rem; } .flag { color: #a33; font-weight: 600; }
"""


def load(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The marts the report reads, whole (they are small: rows per product and model)."""
    return {
        "evaluation": con.execute(
            "select * from marts.fct_model_evaluation order by product_id, model_name"
        ).df(),
        "deciles": con.execute(
            "select * from marts.fct_decile_lift order by product_id, model_name, decile"
        ).df(),
        "targets": con.execute(
            f"""
            select * from marts.fct_ranked_targets
            where targetable_rank <= {TOP_TARGETS}
            order by product_id, targetable_rank
            """
        ).df(),
        "drift": con.execute(
            "select * from marts.fct_feature_drift order by product_id, psi desc nulls last"
        ).df(),
        "campaigns": con.execute(
            "select * from marts.fct_campaign_results order by first_assigned_at, campaign_id"
        ).df(),
    }


def gains_chart(deciles: pd.DataFrame, champion: str | None) -> str:
    """Cumulative gains of every model against the random diagonal, as a PNG data URI."""
    fig, ax = plt.subplots(figsize=(5.2, 4))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random list")
    for model_name, curve in deciles.groupby("model_name", sort=True):
        x = [0.0, *curve["cumulative_share_of_users"]]
        y = [0.0, *curve["cumulative_gain"].fillna(0.0)]
        is_champion = model_name == champion
        ax.plot(
            x,
            y,
            marker="o",
            markersize=3,
            linewidth=2.5 if is_champion else 1.2,
            label=f"{model_name} (champion)" if is_champion else model_name,
        )
    ax.set_xlabel("share of users targeted, best scores first")
    ax.set_ylabel("share of adopters found")
    ax.set_title("Cumulative gains, out-of-time test")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return _png(fig)


def lift_chart(deciles: pd.DataFrame, model_name: str) -> str:
    """The champion's lift per decile, as a PNG data URI."""
    fig, ax = plt.subplots(figsize=(5.2, 4))
    lift = deciles["lift"].fillna(0.0)
    ax.bar(deciles["decile"].astype(str), lift, color="#4a8f4a")
    ax.axhline(1.0, color="grey", linestyle="--", label="random (lift 1)")
    ax.set_ylim(0, max(1.0, float(lift.max())) * 1.15)
    for x, value in enumerate(lift):
        ax.annotate(f"{value:.1f}", (x, value), ha="center", va="bottom", fontsize=8)
    ax.set_xlabel("decile (1 = highest scores)")
    ax.set_ylabel("adoption rate / base rate")
    ax.set_title(f"Decile lift, {model_name}")
    ax.legend(fontsize=8)
    return _png(fig)


def uplift_chart(campaigns: pd.DataFrame) -> str:
    """Each campaign's uplift and adjusted uplift with their 95% intervals, as a PNG."""
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.6 * len(campaigns)))
    labels = [f"{c.campaign_id} ({c.product_id})" for c in campaigns.itertuples()]
    y = range(len(campaigns))
    for offset, name, color in ((-0.12, "uplift", "#4a6f9f"), (0.12, "adjusted_uplift", "#4a8f4a")):
        points = campaigns[name].fillna(0.0)
        ax.errorbar(
            points,
            [i + offset for i in y],
            xerr=[
                (points - campaigns[f"{name}_low"]).fillna(0.0),
                (campaigns[f"{name}_high"] - points).fillna(0.0),
            ],
            fmt="o",
            color=color,
            capsize=3,
            label=name.replace("_", " ") + ", 95% interval",
        )
    ax.axvline(0.0, color="grey", linestyle="--")
    ax.set_yticks(list(y), labels)
    ax.invert_yaxis()
    ax.set_xlabel("adoption rate, contacted - holdout")
    ax.set_title("What each campaign added")
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8, loc="best")
    return _png(fig)


def campaign_section(campaigns: pd.DataFrame) -> str:
    """What each campaign did: a chart of the uplifts and a table, partial ones flagged."""
    parts = ["<h2>Campaigns, against their holdout</h2>"]
    if campaigns.empty:
        parts.append(
            '<p class="note">No campaign results: bring the assignments of a campaign back as '
            'the campaign_assignments input (README, "Measuring a campaign").</p>'
        )
        return "\n".join(parts)
    parts.append(
        '<p class="note">Per campaign and product: adopters within the label horizon after '
        "each user's assignment, in the contacted arm and in the holdout; the uplift is the "
        "difference of their rates, adjusted: the same with the model's probability known "
        "before the assignment as covariate (a narrower interval when it predicts adoption)."
        "</p>"
    )
    open_ = campaigns[~campaigns["is_horizon_closed"]]
    if len(open_):
        parts.append(
            f'<p class="flag">{len(open_)} campaign(s) still inside their horizon: their counts '
            "are partial (" + ", ".join(html.escape(c) for c in open_["campaign_id"]) + ").</p>"
        )
    mismatch = campaigns[campaigns["has_sample_ratio_mismatch"]]
    if len(mismatch):
        parts.append(
            f'<p class="flag">Sample-ratio mismatch in {len(mismatch)} campaign(s): the holdout '
            "is not the share the lists assign, so the arms may not be comparable ("
            + ", ".join(html.escape(c) for c in mismatch["campaign_id"])
            + ").</p>"
        )
    parts.append(
        f'<div class="charts"><img alt="campaign uplift" src="{uplift_chart(campaigns)}"></div>'
    )
    table = campaigns.assign(
        assigned=campaigns["first_assigned_at"].dt.strftime("%Y-%m-%d"),
        uplift_95=[_interval(c.uplift_low, c.uplift_high) for c in campaigns.itertuples()],
        adjusted_95=[
            _interval(c.adjusted_uplift_low, c.adjusted_uplift_high) for c in campaigns.itertuples()
        ],
        incremental_95=[
            _interval(c.incremental_adopters_low, c.incremental_adopters_high, ".0f")
            for c in campaigns.itertuples()
        ],
    )[
        [
            "campaign_id",
            "product_id",
            "assigned",
            "is_horizon_closed",
            "contacted_users",
            "contacted_rate",
            "holdout_users",
            "holdout_rate",
            "uplift",
            "uplift_95",
            "adjusted_uplift",
            "adjusted_95",
            "interval_narrowing",
            "incremental_adopters",
            "incremental_95",
            "holdout_expected_to_realized",
            "sample_ratio_z",
        ]
    ]
    parts.append(
        _table(
            table,
            {"campaign_id", "product_id", "assigned", "uplift_95", "adjusted_95", "incremental_95"},
        )
    )
    return "\n".join(parts)


def _interval(low: float, high: float, spec: str = ".4f") -> str:
    if pd.isna(low) or pd.isna(high):
        return ""
    return f"{low:{spec}} to {high:{spec}}"


def _png(fig: plt.Figure) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _table(frame: pd.DataFrame, text_columns: set[str], highlight: pd.Series | None = None) -> str:
    head = "".join(
        f'<th class="{"text" if c in text_columns else ""}">{html.escape(c)}</th>'
        for c in frame.columns
    )
    rows = []
    for i, row in enumerate(frame.itertuples(index=False)):
        cells = "".join(
            f'<td class="{"text" if c in text_columns else ""}">{_cell(v)}</td>'
            for c, v in zip(frame.columns, row, strict=True)
        )
        marked = highlight is not None and bool(highlight.iloc[i])
        rows.append(f'<tr class="{"champion" if marked else ""}">{cells}</tr>')
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    return f'<div class="wide">{table}</div>'


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return html.escape(str(value))


def product_section(product_id: str, marts: dict[str, pd.DataFrame]) -> str:
    evaluation = marts["evaluation"][marts["evaluation"]["product_id"] == product_id]
    deciles = marts["deciles"][marts["deciles"]["product_id"] == product_id]
    targets = marts["targets"][marts["targets"]["product_id"] == product_id]
    drift = marts["drift"][marts["drift"]["product_id"] == product_id]
    champions = evaluation[evaluation["is_champion"]]
    champion = champions.iloc[0] if len(champions) else None
    parts = [f"<h2>{html.escape(product_id)}</h2>"]
    if champion is None:
        parts.append('<p class="flag">No model could be fitted: see the table below.</p>')
    else:
        kind = (
            " (cold start: too few adopters for the classifiers)" if champion.is_cold_start else ""
        )
        lift = champion.top_decile_lift
        interval = (
            ""
            if pd.isna(champion.top_decile_lift_low) or pd.isna(champion.top_decile_lift_high)
            else f" (95% interval {champion.top_decile_lift_low:.2f}x to"
            f" {champion.top_decile_lift_high:.2f}x)"
        )
        parts.append(
            f"<p>Champion <b>{html.escape(champion.model_name)}</b>{kind}. On the test snapshot "
            f"{champion.test_snapshot_date:%Y-%m-%d}, {champion.n_test_positives:,} of "
            f"{champion.n_test_rows:,} eligible users adopted (base rate "
            f"{champion.base_rate:.2%}); the top decile of the ranking adopted at "
            f"<b>{'n/a' if pd.isna(lift) else f'{lift:.2f}x'}</b> that rate{interval}.</p>"
        )
        if not champion.has_enough_test_adopters:
            parts.append(
                '<p class="flag">Too few test adopters to judge this model: its figures could '
                "as well be far lower or higher (see the interval).</p>"
            )
        champion_deciles = deciles[deciles["model_name"] == champion.model_name]
        parts.append(
            '<div class="charts">'
            f'<img alt="cumulative gains, {html.escape(product_id)}" '
            f'src="{gains_chart(deciles, champion.model_name)}">'
            f'<img alt="decile lift, {html.escape(product_id)}" '
            f'src="{lift_chart(champion_deciles, champion.model_name)}">'
            "</div>"
        )
    comparison = evaluation[
        [
            "model_name",
            "status",
            "auc_roc",
            "pr_auc",
            "precision_at_k",
            "recall_at_k",
            "ndcg_at_k",
            "top_decile_lift",
            "top_decile_lift_low",
            "top_decile_lift_high",
            "brier_score",
            "expected_to_realized",
            "status_reason",
        ]
    ]
    parts.append("<h3>Models, out-of-time test</h3>")
    parts.append(
        _table(comparison, {"model_name", "status", "status_reason"}, evaluation["is_champion"])
    )
    if len(targets):
        preview = targets[PREVIEW_COLUMNS]
        parts.append(f"<h3>Top {len(preview)} targets (holdout left out)</h3>")
        parts.append(
            _table(
                preview,
                {
                    "user_id",
                    "behavioral_segment",
                    "rfm_segment",
                    "reason_1",
                    "reason_2",
                    "reason_3",
                },
            )
        )
    parts.append("<h3>Feature drift, train snapshots vs score snapshot</h3>")
    parts.extend(_drift_parts(drift))
    return "\n".join(parts)


def _drift_parts(drift: pd.DataFrame) -> list[str]:
    """The drifted features, shifts first: a shift (drifted against the latest train
    snapshot too) is news, a trend (against the pooled snapshots only) is growth the models
    saw begin; each with how much the champion relies on the feature."""
    parts = []
    drifted = drift[drift["is_drifted"]]
    if len(drifted):
        threshold = drifted["psi_threshold"].iloc[0]
        shifts = drifted[drifted["drift_kind"] == "shift"]
        trends = drifted[drifted["drift_kind"] == "trend"]
        if len(shifts):
            parts.append(
                f'<p class="flag">{len(shifts)} feature(s) above the PSI threshold ({threshold:g})'
                " against the latest train snapshot as well (shift): the model is scoring a "
                "population that differs from the one it learned from there.</p>"
            )
        if len(trends):
            parts.append(
                f'<p class="note">{len(trends)} feature(s) above the PSI threshold ({threshold:g})'
                " against the pooled train snapshots only (trend): steady growth, already under "
                "way in the latest train snapshot.</p>"
            )
        table = pd.concat([shifts, trends])
        # whole ranks (a null makes the column float)
        table = table.assign(
            champion_importance_rank=pd.Series(
                [None if pd.isna(r) else int(r) for r in table["champion_importance_rank"]],
                index=table.index,
                dtype=object,
            )
        )
        parts.append(
            _table(
                table[
                    [
                        "feature",
                        "drift_kind",
                        "psi",
                        "psi_vs_latest_train",
                        "train_mean",
                        "score_mean",
                        "score_null_share",
                        "champion_importance",
                        "champion_importance_rank",
                    ]
                ],
                {"feature", "drift_kind"},
            )
        )
    else:
        highest = drift["psi"].max()
        shown = "n/a" if pd.isna(highest) else f"{highest:.3f}"
        parts.append(f'<p class="note">No feature drifted (highest PSI {shown}).</p>')
    return parts


def render(marts: dict[str, pd.DataFrame], source: str) -> str:
    products = sorted(marts["evaluation"]["product_id"].unique())
    sections = [product_section(product_id, marts) for product_id in products]
    body = "\n".join(sections) or "<p>No product in marts.fct_model_evaluation.</p>"
    body += "\n" + campaign_section(marts["campaigns"])
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<title>Targeting: lift report</title>"
        f"<style>{CSS}</style></head><body>"
        "<h1>Who to target next, and how much better than random</h1>"
        f'<p class="note">From {html.escape(source)}: marts fct_model_evaluation, '
        "fct_decile_lift, fct_ranked_targets, fct_feature_drift, fct_campaign_results. Every "
        "model figure is measured on the out-of-time test snapshot, which no model saw while "
        "fitting.</p>"
        f"{body}</body></html>"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = args[0] if args else os.environ.get("TARGETING_DUCKDB_PATH", "targeting.duckdb")
    output = Path(args[1]) if len(args) > 1 else DEFAULT_OUTPUT
    if not os.path.exists(path):
        print(f"targeting: no warehouse at {path}; run `make run` first.", file=sys.stderr)
        return 1
    with duckdb.connect(path, read_only=True) as con:
        marts = load(con)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(marts, path), encoding="utf-8")
    n_products = marts["evaluation"]["product_id"].nunique()
    print(f"targeting: lift report for {n_products} product(s) -> {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
