"""The quality benchmark: ``make bench-quality`` (README, "How good are the rankings").

Builds the warehouse on several demo worlds that nobody tuned the models to (other seeds
than the demo's 42, other sizes, product counts and signal strengths: the generator's
``--signal`` scales how much behavior and contagion drive adoption), then reads, per
world and product, on the out-of-time test snapshot:

- every candidate's top-decile lift, with its 95% interval (``fct_model_evaluation``),
  and which one is the champion (chosen on the validation snapshot, never the test);
- the **best single-feature rule**: each numeric feature of ``fct_feature_snapshots``,
  highest first and lowest first, ranks the test users on its own (ties by ``user_id``,
  nulls last); the rule with the highest top-decile lift on the test is kept. It is
  chosen with the test's hindsight, so it is a generous baseline;
- two views of what the features can rank on the test snapshot from its own labels
  (``ceilings``): in sample, and cross-validated over its users (no out-of-time gap);
- the **oracle** (``oracles``): the test users ranked by their chance to adopt given what
  is known at the test snapshot, from the generator's own adoption hazard without the
  per-user taste no data shows (and, apart, with it): what any ranking of what a
  snapshot can know reaches on this world.

Two checks, over the products that are not cold start and hold at least
``targeting__min_test_adopters`` test adopters:

1. the median of the champions' top-decile lifts is at or above the median of the best
   single candidate's (the best of logistic regression, LightGBM and lookalike on the
   test, a hindsight choice again);
2. in every product with at least 100 test adopters, the champion's lift is at or above
   1.2x the best single-feature rule's; and, read where the margin can be reached, in
   every such product whose oracle is at or above 1.2x the rule.

Figures go to ``data/bench-quality/result.json`` and to the "## Quality" section of
``BENCHMARKS.md`` (the rest of the file is kept). Nothing is asserted: a check that fails
is printed as failed.

    python scripts/bench_quality.py [--worlds w1 w2 ...] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import lightgbm as lgb
import numpy as np
import pandas as pd
import yaml
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from targeting.candidates import DEFAULT_PARAMS, booster_params, grid_settings
from targeting.demo import DEFAULT_END_DATE, HAZARD_FILE, TASTE_SD, generate
from targeting.encoding import KEY_COLUMNS, feature_columns
from targeting.metrics import evaluate

ROOT = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"
QUALITY_HEADING = "## Quality"
BEFORE_HEADING = "## Before"
SINGLE_CANDIDATES = ("logistic_regression", "lightgbm", "lookalike")
ALL_CANDIDATES = ("logistic_regression", "lightgbm", "ensemble", "lookalike")
MIN_ADOPTERS_FOR_RULE_CHECK = 100
RULE_MARGIN = 1.2
CV_FOLDS = 5


@dataclass(frozen=True)
class World:
    name: str
    users: int
    products: int
    seed: int
    signal: float
    days: int = 270

    @property
    def args(self) -> str:
        return (
            f"--users {self.users} --products {self.products} --seed {self.seed}"
            f" --signal {self.signal} --days {self.days}"
        )


# Seeds other than the demo's 42; sizes, product counts (5 and 6 add data_connectors and
# audit_log) and signal strengths that differ from the demo's.
WORLDS = (
    World("w1-base", users=20_000, products=4, seed=7, signal=1.0),
    World("w2-weak-small", users=10_000, products=3, seed=11, signal=0.6),
    World("w3-six-products", users=25_000, products=6, seed=23, signal=1.0),
    World("w4-strong", users=15_000, products=5, seed=5, signal=1.5),
    World("w5-faint", users=30_000, products=4, seed=3, signal=0.8),
)


def build(world: World, data: Path) -> tuple[Path, float]:
    """The world's raw files (generated once) and a fresh warehouse: (warehouse, seconds)."""
    work = data / world.name
    raw = work / "raw"
    manifest = raw / "manifest.json"
    expected: dict = {
        "users": world.users,
        "products": world.products,
        "seed": world.seed,
        "signal": world.signal,
        "days": world.days,
        # no campaigns: the labels are the world's own, comparable with the runs before
        # the demo ran campaigns (their random extra adopters dilute the lifts)
        "campaigns": False,
    }
    written = json.loads(manifest.read_text()) if manifest.exists() else {}
    current = written.get("params", {})
    if {key: current.get(key) for key in expected} != expected or "hazards" not in written:
        print(f"{world.name}: generating ({world.args})", flush=True)
        generate(raw, **expected, hazard_dates=grid_dates(world))
    warehouse = work / "warehouse.duckdb"
    for path in (warehouse, Path(f"{warehouse}.wal")):
        path.unlink(missing_ok=True)
    dbt_vars = json.dumps({"targeting__raw_path": str(raw), "targeting__raw_format": "parquet"})
    command = [str(DBT), "build", "--project-dir", str(ROOT), "--profiles-dir", str(ROOT)]
    command += ["--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    # the models only: the data tests are make test's business, not this benchmark's
    command += ["--exclude-resource-type", "test", "unit_test", "--vars", dbt_vars]
    env = {
        **os.environ,
        "TARGETING_DUCKDB_PATH": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env.setdefault("TARGETING_PII_SALT", "bench-quality-salt")
    print(f"{world.name}: dbt build", flush=True)
    started = time.perf_counter()
    with (work / "build.log").open("w") as log:
        subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=log, check=True)
    return warehouse, time.perf_counter() - started


def grid_dates(world: World) -> list[str]:
    """The snapshot grid's dates inside the world's window (``targeting__snapshot_origin``
    + k x ``targeting__snapshot_interval_days``, the project's defaults): the dates a
    snapshot can fall on, where the generator records its hazards for the oracle."""
    project = project_vars()
    origin = dt.date.fromisoformat(project["targeting__snapshot_origin"])
    interval = int(project["targeting__snapshot_interval_days"])
    end = dt.date.fromisoformat(DEFAULT_END_DATE)
    start = end - dt.timedelta(days=world.days)
    first = origin + dt.timedelta(days=-(-(start - origin).days // interval) * interval)
    return [
        (first + dt.timedelta(days=k * interval)).isoformat()
        for k in range((end - first).days // interval + 1)
        if first + dt.timedelta(days=k * interval) < end
    ]


def oracles(con: duckdb.DuckDBPyConnection, hazards: Path) -> dict[str, dict[str, float]]:
    """Per product, the top-decile lift on the test of the generator's own truth at the
    test snapshot (``targeting.demo``'s ``hazard_dates``), two ways:

    - ``oracle``: each user's chance to adopt within the label horizon given everything
      that is known at the snapshot, in its true form: the hazard without the taste,
      and what not having adopted so far says of the taste (the posterior of the
      N(0, ``TASTE_SD``) taste given survival ``exp(-exp(taste) * exposure)``, by
      Gauss-Hermite quadrature), the hazard held as it is over the horizon. In
      expectation no ranking of what is known at t does better, but for the contagion
      inside the label window (teammates who adopt in it raise the hazard then). On one
      test a model can still beat it by chance;
    - ``oracle_with_taste``: the whole hazard, taste too: what a model could rank if it
      saw what no data shows.

    Nothing when the world was generated without hazards (``--reread`` of an older world)."""
    if not hazards.exists():
        return {}
    horizon = int(project_vars()["targeting__label_horizon_days"])
    rows = con.execute(
        """
        select t.product_id, t.user_id, t.label, h.hazard_logit, h.taste, h.exposure
        from marts.fct_feature_snapshots as t
        left join read_parquet(?) as h
            on h.snapshot_date = t.snapshot_date
            and h.product_id = t.product_id
            and h.user_id = t.user_id
        where t.role = 'test' and t.is_eligible and t.label is not null
        order by t.product_id, t.user_id
        """,
        [str(hazards)],
    ).df()
    out = {}
    for product, group in rows.groupby("product_id"):
        labels = group["label"].to_numpy().astype("int64")
        if not labels.sum() or group["hazard_logit"].isna().all():
            continue
        logit = group["hazard_logit"].to_numpy()
        known = adoption_chance(
            logit - group["taste"].to_numpy(), group["exposure"].to_numpy(), horizon
        )
        user_ids = group["user_id"].to_numpy()
        out[product] = {
            # a test user the generator did not record (none expected) ranks last
            key: top_decile_lift(
                labels, np.where(np.isnan(score), np.nanmin(score) - 1, score), user_ids
            )
            for key, score in (("oracle", known), ("oracle_with_taste", logit))
        } | {"n_unrecorded": int(np.isnan(logit).sum())}
    return out


def adoption_chance(
    logit: np.ndarray, exposure: np.ndarray, horizon: int, nodes: int = 64
) -> np.ndarray:
    """P(adopt within ``horizon`` days | not adopted so far), per user, for a daily hazard
    ``exp(logit + taste)`` held over the horizon, the taste N(0, ``TASTE_SD``) known only
    through the survival so far, ``exp(-exp(taste) * exposure)``: the chance averaged over
    the taste's posterior (quadrature nodes weighed by prior x survival, in logs, since
    the survival of a long-exposed user can be tiny at every node)."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    scale = np.exp(TASTE_SD * x)[None, :]
    log_posterior = np.log(w)[None, :] - exposure[:, None] * scale
    log_posterior -= logsumexp(log_posterior, axis=1, keepdims=True)
    chance = -np.expm1(-horizon * np.exp(logit)[:, None] * scale)
    return (np.exp(log_posterior) * chance).sum(axis=1)


def top_decile_lift(labels: np.ndarray, score: np.ndarray, user_ids: np.ndarray) -> float:
    """The top-decile lift of ``score`` over all of ``labels``, as the marts compute it."""
    return evaluate(labels, score, user_ids, top_k=len(labels))["top_decile_lift"]


def project_vars() -> dict:
    """The project's vars as ``dbt_project.yml`` sets them."""
    return yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]


def best_rules(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Per product: the single-feature rule with the best top-decile lift on the test."""
    columns = con.execute(
        """
        select column_name from information_schema.columns
        where table_schema = 'marts' and table_name = 'fct_feature_snapshots'
          and data_type in ('BIGINT', 'INTEGER', 'DOUBLE', 'BOOLEAN')
        order by ordinal_position
        """
    ).fetchall()
    features = [name for (name,) in columns if name not in KEY_COLUMNS]
    unpivoted = " union all ".join(
        f"select product_id, user_id, label, '{name}' as feature, {name}::double as value"
        " from test_rows"
        for name in features
    )
    rows = con.execute(
        f"""
        with test_rows as (
            select * from marts.fct_feature_snapshots
            where role = 'test' and is_eligible and label is not null
        ),
        long as ({unpivoted}),
        directions as (
            select *, 'highest' as direction, value as key from long
            union all
            select *, 'lowest' as direction, -value as key from long
        ),
        ranked as (
            select
                product_id, feature, direction, label,
                ntile(10) over (
                    partition by product_id, feature, direction
                    order by key desc nulls last, user_id
                ) as decile
            from directions
        ),
        lifts as (
            select
                product_id, feature, direction,
                avg(label) filter (where decile = 1) / nullif(avg(label), 0) as lift
            from ranked
            group by all
        )
        select product_id, feature, direction, lift from lifts
        qualify row_number() over (
            partition by product_id order by lift desc nulls last, feature, direction
        ) = 1
        """
    ).fetchall()
    return {
        product: {"feature": feature, "direction": direction, "lift": lift}
        for product, feature, direction, lift in rows
    }


def ceilings(con: duckdb.DuckDBPyConnection, seed: int = 42) -> dict[str, dict[str, float]]:
    """Per product, two views of what these features can rank on the test snapshot, from
    its own labels (numeric features log-scaled, text one-hot, all standardized):

    - ``in_sample``: the top-decile lift of a plain logistic regression fitted on the test
      snapshot and scored on it: it has seen the very labels it is judged on;
    - ``cross_validated``: 5 folds of the test users (stratified, seeded), each scored by
      a logistic regression and by LightGBM (the project's first grid entry, unweighted,
      its default rounds) fitted on the other four; the better of the two lifts. Same
      time, no drift, labels of the scored user unseen: what a model of these features
      reaches without the out-of-time gap (though on a fifth less data per fit)."""
    rows = con.execute(
        "select * from marts.fct_feature_snapshots"
        " where role = 'test' and is_eligible and label is not null order by product_id, user_id"
    ).df()
    settings = grid_settings(DEFAULT_PARAMS["lightgbm"])[0]
    out = {}
    for product, group in rows.groupby("product_id"):
        labels = group["label"].to_numpy().astype("int64")
        if not 0 < labels.sum() < len(labels):
            continue
        numeric, categorical = feature_columns(group)
        values = group[numeric].astype("float64")
        matrix = pd.concat(
            [
                np.sign(values) * np.log1p(values.abs()),
                pd.get_dummies(group[categorical].astype(str), dtype="float64"),
            ],
            axis=1,
        )
        matrix = matrix.fillna(matrix.median())
        matrix = ((matrix - matrix.mean()) / matrix.std().replace(0, 1)).fillna(0).to_numpy()
        user_ids = group["user_id"].to_numpy()

        def lift(score: np.ndarray, labels=labels, user_ids=user_ids) -> float:
            return top_decile_lift(labels, score, user_ids)

        model = LogisticRegression(C=0.1, max_iter=1000).fit(matrix, labels)
        entry = {"in_sample": lift(model.decision_function(matrix))}
        if labels.sum() >= CV_FOLDS:
            linear, trees = np.zeros(len(labels)), np.zeros(len(labels))
            folds = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed)
            for fit, held in folds.split(matrix, labels):
                linear[held] = (
                    LogisticRegression(C=0.1, max_iter=1000)
                    .fit(matrix[fit], labels[fit])
                    .decision_function(matrix[held])
                )
                n_positive = labels[fit].sum()
                booster = lgb.train(
                    booster_params(settings, seed, (len(fit) - n_positive) / n_positive),
                    lgb.Dataset(matrix[fit], labels[fit]),
                    int(settings["default_rounds"]),
                )
                trees[held] = booster.predict(matrix[held])
            entry["cross_validated"] = max(lift(linear), lift(trees))
        out[product] = entry
    return out


def read_world(world: World, warehouse: Path, seconds: float) -> list[dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    rules = best_rules(con)
    product_ceilings = ceilings(con)
    product_oracles = oracles(con, warehouse.parent / "raw" / HAZARD_FILE)
    evaluation = con.execute(
        """
        select product_id, model_name, is_champion, is_cold_start, n_test_positives,
            top_decile_lift, top_decile_lift_low, top_decile_lift_high, pr_auc,
            has_enough_test_adopters, expected_to_realized
        from marts.fct_model_evaluation
        where status = 'ok'
        order by product_id, model_name
        """
    ).fetchall()
    products: dict[str, dict] = {}
    for (
        product,
        model,
        champion,
        cold_start,
        adopters,
        lift,
        low,
        high,
        pr_auc,
        enough,
        expected_to_realized,
    ) in evaluation:
        entry = products.setdefault(
            product,
            {
                "world": world.name,
                "product_id": product,
                "build_seconds": round(seconds, 1),
                "is_cold_start": bool(cold_start),
                "n_test_adopters": int(adopters or 0),
                "has_enough_test_adopters": bool(enough),
                "candidates": {},
                "rule": rules.get(product),
                "in_sample_ceiling": product_ceilings.get(product, {}).get("in_sample"),
                "cross_validated_ceiling": product_ceilings.get(product, {}).get("cross_validated"),
                **{
                    key: product_oracles.get(product, {}).get(key)
                    for key in ("oracle", "oracle_with_taste", "n_unrecorded")
                },
            },
        )
        entry["candidates"][model] = {
            "lift": lift,
            "low": low,
            "high": high,
            "pr_auc": pr_auc,
            "expected_to_realized": expected_to_realized,
        }
        if champion:
            entry["champion"] = model
    return list(products.values())


def summarize(rows: list[dict]) -> dict:
    judged = [r for r in rows if not r["is_cold_start"] and r["has_enough_test_adopters"]]
    champion = [r["candidates"][r["champion"]]["lift"] for r in judged]
    best_single = [
        max(r["candidates"][m]["lift"] for m in SINGLE_CANDIDATES if m in r["candidates"])
        for r in judged
    ]
    rule_checked = [r for r in judged if r["n_test_adopters"] >= MIN_ADOPTERS_FOR_RULE_CHECK]
    rule_ratios = [r["candidates"][r["champion"]]["lift"] / r["rule"]["lift"] for r in rule_checked]
    # the margin where the oracle reaches it: there a ranking of what a snapshot can
    # know does, so the champion should too
    reachable = [
        ratio
        for r, ratio in zip(rule_checked, rule_ratios, strict=True)
        if r.get("oracle") is not None and r["oracle"] / r["rule"]["lift"] >= RULE_MARGIN
    ]
    return {
        "n_judged": len(judged),
        "median_champion_lift": statistics.median(champion) if champion else None,
        "median_best_single_lift": statistics.median(best_single) if best_single else None,
        "median_champion_minus_best_single": (
            statistics.median([c - b for c, b in zip(champion, best_single, strict=True)])
            if champion
            else None
        ),
        "n_rule_checked": len(rule_checked),
        "min_ratio_to_rule": min(rule_ratios) if rule_ratios else None,
        "max_ratio_to_rule": max(rule_ratios) if rule_ratios else None,
        "n_rule_met": sum(ratio >= RULE_MARGIN for ratio in rule_ratios),
        # paired: per product, the champion's lift less the best single candidate's
        "median_check": bool(champion)
        and statistics.median([c - b for c, b in zip(champion, best_single, strict=True)]) >= 0,
        "medians_check": bool(champion)
        and statistics.median(champion) >= statistics.median(best_single),
        "rule_check": all(ratio >= RULE_MARGIN for ratio in rule_ratios),
        "n_rule_reachable": len(reachable),
        "n_rule_reachable_met": sum(ratio >= RULE_MARGIN for ratio in reachable),
        "reachable_rule_check": all(ratio >= RULE_MARGIN for ratio in reachable),
        # the champion against the oracle, over the products the margin is checked on
        "champion_to_oracle": sorted(
            r["candidates"][r["champion"]]["lift"] / r["oracle"]
            for r in rule_checked
            if r.get("oracle")
        ),
        # where the champion falls short of the margin: what the features reach at the
        # test's own time (cross-validated), against the same rule
        "below_rule": [
            {
                "world": r["world"],
                "product_id": r["product_id"],
                "champion_to_rule": ratio,
                "cross_validated_to_rule": (
                    r["cross_validated_ceiling"] / r["rule"]["lift"]
                    if r.get("cross_validated_ceiling") is not None
                    else None
                ),
                "oracle_to_rule": (
                    r["oracle"] / r["rule"]["lift"] if r.get("oracle") is not None else None
                ),
            }
            for r, ratio in zip(rule_checked, rule_ratios, strict=True)
            if ratio < RULE_MARGIN
        ],
    }


def _lift(candidate: dict | None) -> str:
    if candidate is None or candidate["lift"] is None:
        return ""
    return f"{candidate['lift']:.2f}x ({candidate['low']:.2f}-{candidate['high']:.2f})"


def _ratio(candidate: dict | None) -> str:
    value = None if candidate is None else candidate.get("expected_to_realized")
    return "" if value is None else f"{value:.2f}"


def section(
    rows: list[dict],
    summary: dict,
    worlds: list[World],
    measured: dict[str, tuple[str | None, str | None]] | None = None,
) -> str:
    lines = [
        f"{QUALITY_HEADING}: top-decile lift on the out-of-time test, over {len(worlds)} worlds",
        "",
        "Measured by `make bench-quality` (`python scripts/bench_quality.py`), on demo"
        " worlds nobody tuned the models to (demo generator arguments below; `--signal`"
        " scales the behavioral and social terms of the adoption hazard). Lifts with their"
        " 95% interval (`fct_model_evaluation`); the champion is chosen on the validation"
        " snapshot. The best single-feature rule ranks the test users by one feature"
        " (highest or lowest first), the best of all on the test itself: a hindsight"
        " baseline. The in-sample ceiling is a plain logistic regression fitted on the test"
        " snapshot and judged on it, labels seen. Cross-validated on the test: 5 folds of the"
        " test users, each ranked by a logistic regression and by LightGBM fitted on the"
        " other four, the better of the two: what these features rank at the test's own"
        " time, without the out-of-time gap. The oracle ranks the test users by their"
        " chance to adopt within the label horizon given what is known at the test"
        " snapshot, in its true form: the generator's own adoption hazard"
        " (`hazards.parquet`, `targeting.demo`) without the per-user taste that no data"
        " shows, and what not having adopted so far says of that taste (only the contagion"
        " inside the label window is not in it). With taste: the whole hazard, what no"
        " model can see. Expected / realized: the champion's probabilities summed over the"
        " test users against the adopters seen.",
        "",
        "| world | generator | build | measured | commit |",
        "|---|---|---|---|---|",
    ]
    seconds = {r["world"]: r["build_seconds"] for r in rows}
    for world in worlds:
        at, sha = (measured or {}).get(world.name, (None, None))
        lines.append(
            f"| {world.name} | `{world.args}` | {seconds.get(world.name, '')} s"
            f" | {at or ''} | {sha or ''} |"
        )
    lines += [
        "",
        "| world | product | test adopters | champion | champion lift | logistic_regression"
        " | lightgbm | ensemble | lookalike | best single-feature rule | champion / rule"
        " | in-sample ceiling / rule | cross-validated on the test / rule"
        " | oracle / rule | oracle with taste / rule"
        " | champion expected / realized adopters |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cands = r["candidates"]
        champion = r.get("champion", "")
        rule = r["rule"]
        rule_text = (
            f"{rule['feature']} ({rule['direction']}) {rule['lift']:.2f}x"
            if rule and rule["lift"]
            else ""
        )
        ratio = (
            f"{cands[champion]['lift'] / rule['lift']:.2f}"
            if champion and rule and rule["lift"] and cands[champion]["lift"]
            else ""
        )
        ceiling = (
            f"{r['in_sample_ceiling'] / rule['lift']:.2f}"
            if r.get("in_sample_ceiling") is not None and rule and rule["lift"]
            else ""
        )
        validated, oracle, with_taste = (
            f"{r[key] / rule['lift']:.2f}"
            if r.get(key) is not None and rule and rule["lift"]
            else ""
            for key in ("cross_validated_ceiling", "oracle", "oracle_with_taste")
        )
        note = " (cold start)" if r["is_cold_start"] else ""
        if not r["has_enough_test_adopters"]:
            note += " (too few to judge)"
        lines.append(
            f"| {r['world']} | {r['product_id']}{note} | {r['n_test_adopters']} | {champion}"
            f" | {_lift(cands.get(champion))} | "
            + " | ".join(_lift(cands.get(m)) for m in ALL_CANDIDATES)
            + f" | {rule_text} | {ratio} | {ceiling} | {validated} | {oracle} | {with_taste}"
            f" | {_ratio(cands.get(champion))} |"
        )
    s = summary
    lines += [
        "",
        f"Over the {s['n_judged']} products judged (not cold start, at least 30 test adopters):",
        "",
        f"- {'met' if s['median_check'] else 'NOT met'}: per product, the champion's"
        " top-decile lift less the best single candidate's (the best of logistic"
        " regression, LightGBM and lookalike on the test, chosen with hindsight): median"
        f" {s['median_champion_minus_best_single']:+.2f}.",
        f"- {'met' if s['medians_check'] else 'NOT met'}, read as two medians: the"
        f" champions' median lift {s['median_champion_lift']:.2f}x, the best single"
        f" candidates' {s['median_best_single_lift']:.2f}x.",
        f"- {'met' if s['rule_check'] else 'NOT met'}: the champion's lift at least"
        f" {RULE_MARGIN}x the best single-feature rule's in {s['n_rule_met']} of the"
        f" {s['n_rule_checked']} products with at least {MIN_ADOPTERS_FOR_RULE_CHECK} test"
        f" adopters (from {s['min_ratio_to_rule']:.2f}x to {s['max_ratio_to_rule']:.2f}x).",
    ]
    below = s["below_rule"]
    if below:
        short, unreachable = (
            [b for b in below if b[key] is not None and b[key] < RULE_MARGIN]
            for key in ("cross_validated_to_rule", "oracle_to_rule")
        )
        lines.append(
            f"- Of the {len(below)} products below {RULE_MARGIN}x, {len(short)} stay below it"
            f" cross-validated on the test too, and {len(unreachable)} stay below it ranked"
            " by the oracle (what is known at the snapshot, in its true form): "
            + "; ".join(
                f"{b['world']} {b['product_id']} {b['champion_to_rule']:.2f}x"
                + "".join(
                    f", {label} {b[key]:.2f}x"
                    for label, key in (
                        ("cross-validated", "cross_validated_to_rule"),
                        ("oracle", "oracle_to_rule"),
                    )
                    if b[key] is not None
                )
                for b in below
            )
            + "."
        )
    to_oracle = s["champion_to_oracle"]
    if to_oracle:
        lines.append(
            f"- {'met' if s['reachable_rule_check'] else 'NOT met'}, where the margin can be"
            f" reached (the oracle is at least {RULE_MARGIN}x the rule): the champion is at"
            f" least {RULE_MARGIN}x the rule in {s['n_rule_reachable_met']} of those"
            f" {s['n_rule_reachable']} products. Over the {len(to_oracle)} products with"
            f" at least {MIN_ADOPTERS_FOR_RULE_CHECK} test adopters, the champion's lift is"
            f" {to_oracle[0]:.2f}x to {to_oracle[-1]:.2f}x the oracle's (median"
            f" {statistics.median(to_oracle):.2f}x)."
        )
    lines.append("")
    return "\n".join(lines)


def commit() -> str:
    """The project's commit, short, with ``+changes`` when the working tree differs from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def write_section(out: Path, text: str) -> None:
    """Put ``text`` in ``out`` as its "## Quality" section, before "## Before"."""
    current = out.read_text() if out.exists() else "# Benchmarks\n"
    start = current.find(QUALITY_HEADING)
    before = current.find(BEFORE_HEADING)
    head = current[: start if start >= 0 else before if before >= 0 else len(current)]
    tail = current[before:] if before >= 0 else ""
    out.write_text(head.rstrip("\n") + "\n\n" + text + ("\n" + tail if tail else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", nargs="+", choices=[w.name for w in WORLDS])
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "bench-quality")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite --out from the saved figures"
    )
    parser.add_argument(
        "--reread",
        action="store_true",
        help="read the worlds' warehouses as the last run left them, without building",
    )
    args = parser.parse_args(argv)
    worlds = [w for w in WORLDS if not args.worlds or w.name in args.worlds]
    saved = args.data / "result.json"
    results = json.loads(saved.read_text()) if saved.exists() else {}
    if not args.report_only:
        for world in worlds:
            if args.reread:
                warehouse = args.data / world.name / "warehouse.duckdb"
                seconds = results[world.name]["products"][0]["build_seconds"]
            else:
                warehouse, seconds = build(world, args.data)
            results[world.name] = {
                "world": asdict(world),
                "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "commit": commit(),
                "products": read_world(world, warehouse, seconds),
            }
            saved.write_text(json.dumps(results, indent=1))
    shown = [w for w in WORLDS if w.name in results]
    rows = [row for w in shown for row in results[w.name]["products"]]
    summary = summarize(rows)
    measured = {
        w.name: (results[w.name].get("measured_at"), results[w.name].get("commit")) for w in shown
    }
    text = section(rows, summary, shown, measured)
    write_section(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
