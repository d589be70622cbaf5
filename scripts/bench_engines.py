"""DuckDB and Spark on the same S world, one after the other: ``make bench-engines``.

Builds the S world of ``make bench`` (100k users, 180 days; generated if absent) from
scratch on each engine: DuckDB with one ``dbt build``; Spark with the three steps of
``make run-spark`` (dbt build up to the features, ``targeting.spark_ml``, dbt build of the
marts). Prints the wall time of each step (and DuckDB's CPU time and peak memory; Spark's
JVM is not a process the timer waits for, so its CPU and memory are not counted), and
writes them to ``<data>/S/engines.json``; README, "Scaling out to Spark", quotes them. Nothing is
asserted.

    python scripts/bench_engines.py [--data data/bench] [--size S]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

from bench import DBT, ROOT, SIZES, Run, generated_world, run_build, run_timed

SPARK_ML_MARTS = "source:targeting_ml+"


def spark_steps(work: Path, raw: Path) -> dict[str, Run]:
    home = work / "spark"
    shutil.rmtree(home, ignore_errors=True)
    env = {"TARGETING_SPARK_HOME": str(home)}
    dbt_vars = json.dumps({"targeting__raw_path": str(raw), "targeting__raw_format": "parquet"})

    def dbt(selection: list[str], target: Path) -> list[str]:
        return [
            str(DBT), "build", "--project-dir", str(ROOT), "--target", "spark",
            "--target-path", str(target), "--log-path", str(work / "logs"),
            "--vars", dbt_vars, *selection,
        ]  # fmt: skip

    steps = {
        "dbt build (SQL up to the features)": (
            dbt(["--exclude", SPARK_ML_MARTS], work / "target_spark_sql"),
            work / "target_spark_sql",
        ),
        "targeting.spark_ml": (
            [sys.executable, "-m", "targeting.spark_ml", "--vars", dbt_vars],
            None,
        ),
        "dbt build (marts on the scores)": (
            dbt(["--select", SPARK_ML_MARTS], work / "target_spark_marts"),
            work / "target_spark_marts",
        ),
    }
    runs = {}
    for name, (command, target) in steps.items():
        print(f"spark: {name}", flush=True)
        runs[name] = run_timed(command, env, work, target)
        # the JVM is not a child the wrapper waits for: its CPU and memory are not counted
        print(f"  {runs[name].seconds / 60:.1f} min wall, exit {runs[name].returncode}", flush=True)
        if runs[name].returncode != 0:
            break
    return runs


def _figures(run: Run) -> str:
    return (
        f"{run.seconds / 60:.1f} min wall, {run.cpu_seconds / 60:.1f} CPU-min,"
        f" peak {run.peak_rss_gib:.1f} GiB, exit {run.returncode}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="S")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "bench")
    args = parser.parse_args(argv)
    work = args.data / args.size
    base = generated_world(args.size, work)  # make bench appends days to raw/, not here
    events = json.loads((base / "manifest.json").read_text())["rows"]["events"]
    print(f"{args.size}: {events:,} events")

    warehouse = work / "engines.duckdb"
    for stale in (warehouse, Path(f"{warehouse}.wal")):
        stale.unlink(missing_ok=True)
    print("duckdb: dbt build", flush=True)
    duckdb_run = run_build(work, base, work / "target_engines_duckdb", warehouse)
    print(f"  {_figures(duckdb_run)}", flush=True)
    spark_runs = spark_steps(work, base.resolve())

    spark_seconds = sum(run.seconds for run in spark_runs.values())
    print(f"duckdb: {duckdb_run.seconds / 60:.1f} min; spark: {spark_seconds / 60:.1f} min")
    (work / "engines.json").write_text(
        json.dumps(
            {
                "events": events,
                "duckdb": asdict(duckdb_run),
                "spark": {name: asdict(run) for name, run in spark_runs.items()},
            },
            indent=2,
        )
    )
    ok = duckdb_run.returncode == 0 and all(r.returncode == 0 for r in spark_runs.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
