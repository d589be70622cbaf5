"""The scale benchmark: ``make bench`` (README, "Scale").

For each size it generates the demo world if absent (S: 100k users, M: 1M users, 180
days: about 10M and 100M events), then measures on this machine:

1. a full ``dbt build`` (models, Python models, tests) into a fresh warehouse;
2. an incremental ``dbt build`` after appending one more day of events;

with the wall time, the peak resident memory of the whole dbt process (Python models
included), events per second, and each model's time from ``run_results.json``. The
figures go to ``BENCHMARKS.md`` with the machine and the commands, and are checked
against the targets the product set itself. Nothing here is timed inside a test: the
figures are printed and written, not asserted.

    python scripts/bench.py [--sizes S M] [--out BENCHMARKS.md] [--data data/bench]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from targeting.demo import generate

ROOT = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"
SIZES = {"S": 100_000, "M": 1_000_000}
DAYS = 180
# The product's own targets (issue: scale), checked, not asserted.
FULL_BUILD_TARGET_S = {"S": 60, "M": 600}
PEAK_RSS_TARGET_GIB = 12
INCREMENTAL_SHARE_TARGET = 0.10
FEATURE_FLOOR_S_PER_SNAPSHOT = {"M": 40}  # the hand-written single-snapshot floor
FEATURE_LAYER = ("staging", "intermediate")  # and fct_feature_snapshots
# Runs a command and writes the peak resident memory of its process tree (KiB).
# Also its CPU seconds (user + system), which another load on the machine barely changes.
PEAK_RSS_WRAPPER = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[2:]).returncode; "
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "open(sys.argv[1], 'w').write(f'{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}'); "
    "sys.exit(code)"
)


@dataclass
class Run:
    seconds: float
    peak_rss_gib: float
    model_seconds: dict[str, float] = field(default_factory=dict)
    returncode: int = 0
    cpu_seconds: float = 0.0


@dataclass
class SizeResult:
    size: str
    users: int
    events: int
    n_snapshots: int
    full: Run
    incremental: Run | None = None
    measured_at: str = ""
    note: str = ""

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> SizeResult:
        fields = json.loads(path.read_text())
        full = Run(**fields.pop("full"))
        incremental = fields.pop("incremental")
        return cls(**fields, full=full, incremental=Run(**incremental) if incremental else None)


def run_build(work: Path, raw: Path, target: Path, warehouse: Path) -> Run:
    """One ``dbt build`` in its own process; its time, peak RSS and per-model times."""
    env = {"TARGETING_DUCKDB_PATH": str(warehouse)}
    dbt_vars = json.dumps({"targeting__raw_path": str(raw), "targeting__raw_format": "parquet"})
    command = [str(DBT), "build", "--project-dir", str(ROOT), "--target-path", str(target)]
    command += ["--log-path", str(work / "logs"), "--vars", dbt_vars]
    return run_timed(command, env, work, target)


def run_timed(command: list[str], env: dict[str, str], work: Path, target: Path | None) -> Run:
    """A command in its own process (dbt's environment plus ``env``): its time, peak RSS
    and, when it is a dbt command writing to ``target``, each model's time."""
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **env,
    }
    if target is not None:  # never read a former run's results
        (target / "run_results.json").unlink(missing_ok=True)
    # a fresh wrapper process per run, so the peak it reports is this run's alone
    peak_file = work / "peak_rss_kib"
    started = time.perf_counter()
    with (work / "build.log").open("a") as log:
        completed = subprocess.run(
            [sys.executable, "-c", PEAK_RSS_WRAPPER, str(peak_file), *command],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            check=False,
        )
    seconds = time.perf_counter() - started
    peak_kib, cpu_seconds = peak_file.read_text().split()
    model_seconds = {}
    if target is not None and (target / "run_results.json").exists():
        results = json.loads((target / "run_results.json").read_text())["results"]
        model_seconds = {
            result["unique_id"].split(".")[-1]: round(result["execution_time"], 1)
            for result in results
            if result["unique_id"].startswith("model.")
        }
    return Run(
        seconds, int(peak_kib) / 2**20, model_seconds, completed.returncode, float(cpu_seconds)
    )


def append_one_day(raw: Path, end_date: str) -> int:
    """Copies of the world's last day of events, one day later, with new ids: a new day
    arrives (the world ends the day before ``end_date``). DuckDB streams the file, so
    this needs little memory at any size."""
    import duckdb

    events = raw / "events.parquet"
    grown = raw / "events.grown.parquet"
    last_day = dt.date.fromisoformat(end_date) - dt.timedelta(days=1)
    with duckdb.connect() as con:
        con.execute(
            f"""
            copy (
                with events as (select * from read_parquet('{events}')),
                last_day as (
                    select * from events where starts_with(occurred_at, '{last_day}')
                ),
                first_id as (select max(event_id) as first_id from events)
                select * from events
                union all
                select last_day.* replace (
                    first_id.first_id + row_number() over (order by last_day.event_id)
                        as event_id,
                    '{last_day + dt.timedelta(days=1)}' || last_day.occurred_at[11:]
                        as occurred_at
                )
                from last_day, first_id
            ) to '{grown}' (format parquet, compression zstd)
            """
        )
        (n_rows,) = con.execute(
            f"select count(*) from read_parquet('{events}')"
            f" where starts_with(occurred_at, '{last_day}')"
        ).fetchone()
    grown.replace(events)
    return n_rows


def generated_world(size: str, work: Path) -> Path:
    """``work/raw_base``: the world of ``size`` as generated, before any appended day
    (generated there when it has no manifest, the generator's last file)."""
    base = work / "raw_base"
    if not (base / "manifest.json").exists():
        print(f"{size}: generating {SIZES[size]:,} users x {DAYS} days into {base}")
        shutil.rmtree(base, ignore_errors=True)
        generate(base, users=SIZES[size], days=DAYS, seed=42)
    return base


def bench_size(size: str, data: Path, note: str = "") -> SizeResult:
    work = data / size
    raw = work / "raw"
    base = generated_world(size, work)
    shutil.rmtree(raw, ignore_errors=True)  # the world as generated, no appended day
    shutil.copytree(base, raw)
    manifest = json.loads((raw / "manifest.json").read_text())
    warehouse = work / "warehouse.duckdb"
    for stale in (warehouse, Path(f"{warehouse}.wal")):
        stale.unlink(missing_ok=True)

    print(f"{size}: full build ({manifest['rows']['events']:,} events)")
    full = run_build(work, raw, work / "target_full", warehouse)
    print(f"  {full.seconds:,.0f} s, peak {full.peak_rss_gib:.1f} GiB, exit {full.returncode}")
    result = SizeResult(size, manifest["rows"]["users"], manifest["rows"]["events"], 0, full)
    result.measured_at = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    result.note = note
    if full.returncode != 0:
        result.save(work / "result.json")
        return result
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        (result.n_snapshots,) = con.execute(
            "select count(*) from intermediate.int_snapshots"
        ).fetchone()
    result.save(work / "result.json")  # kept if the incremental run is interrupted
    appended = append_one_day(raw, manifest["params"]["end_date"])
    print(f"{size}: incremental build after {appended:,} more events (one day)")
    result.incremental = run_build(work, raw, work / "target_incremental", warehouse)
    print(
        f"  {result.incremental.seconds:,.0f} s, peak {result.incremental.peak_rss_gib:.1f} GiB,"
        f" exit {result.incremental.returncode}"
    )
    result.save(work / "result.json")
    return result


def feature_layer_seconds(run: Run, manifest_nodes: dict[str, str]) -> float:
    return sum(
        seconds
        for name, seconds in run.model_seconds.items()
        if manifest_nodes.get(name) in FEATURE_LAYER or name == "fct_feature_snapshots"
    )


def report(results: list[SizeResult], out: Path) -> str:
    nodes = json.loads((ROOT / "target" / "manifest.json").read_text())["nodes"]
    layers = {
        node["name"]: node["fqn"][1] if len(node["fqn"]) > 2 else node["fqn"][-1]
        for node in nodes.values()
        if node["resource_type"] == "model"
    }
    cpu = _cpu_model()
    lines = [
        "# Benchmarks",
        "",
        "Measured by `make bench` (`python scripts/bench.py`; `make bench SIZES=S` for one"
        " size: the other sizes keep their last figures), on this machine:",
        "",
        f"- {os.cpu_count()} cores ({cpu}), {_memory_gib():.0f} GiB memory,"
        f" {platform.system()} {platform.release()}, Python {platform.python_version()}",
        "- profile defaults: 2 dbt threads, DuckDB memory_limit 6GB"
        " (TARGETING_DUCKDB_MEMORY_LIMIT)",
        f"- demo worlds of {DAYS} days, seed 42; a full `dbt build` (models, Python models,"
        " data and unit tests) into a fresh warehouse, then `dbt build` again after one more"
        " day of events (incremental)",
        "",
        "| size | measured | users | events | full build | CPU time | peak RSS | events/s"
        " | incremental (+1 day) | incremental / full | feature layer per snapshot |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    checks = []
    for r in results:
        features = feature_layer_seconds(r.full, layers)
        per_snapshot = features / r.n_snapshots if r.n_snapshots else float("nan")
        incremental = r.incremental
        share = incremental.seconds / r.full.seconds if incremental else float("nan")
        lines.append(
            f"| {r.size} | {r.measured_at} | {r.users:,} | {r.events:,}"
            f" | {_duration(r.full.seconds)} | {_duration(r.full.cpu_seconds)}"
            f"{'' if r.full.returncode == 0 else ' (failed)'} | {r.full.peak_rss_gib:.1f} GiB"
            f" | {r.events / r.full.seconds:,.0f}"
            f" | {_duration(incremental.seconds) if incremental else 'n/a'}"
            f" | {share:.0%} | {per_snapshot:,.0f} s ({r.n_snapshots} snapshots) |"
        )
        target = FULL_BUILD_TARGET_S[r.size]
        checks.append(
            _check(
                f"{r.size} full build under {_duration(target)}",
                r.full.seconds <= target,
                _duration(r.full.seconds),
            )
        )
        checks.append(
            _check(
                f"{r.size} peak RSS under {PEAK_RSS_TARGET_GIB} GiB",
                r.full.peak_rss_gib < PEAK_RSS_TARGET_GIB,
                f"{r.full.peak_rss_gib:.1f} GiB",
            )
        )
        if incremental:
            checks.append(
                _check(
                    f"{r.size} incremental under 10% of the full build",
                    share <= INCREMENTAL_SHARE_TARGET,
                    f"{share:.0%}",
                )
            )
        floor = FEATURE_FLOOR_S_PER_SNAPSHOT.get(r.size)
        if floor:
            checks.append(
                _check(
                    f"{r.size} feature layer within 2x of the {floor} s floor per snapshot",
                    per_snapshot <= 2 * floor,
                    f"{per_snapshot:,.0f} s",
                )
            )
    lines += [
        "",
        "Wall time is what a user waits; CPU time (user + system seconds of the dbt process)"
        " barely moves when something else runs on the machine. The feature layer is the"
        " staging and intermediate models plus fct_feature_snapshots.",
        "",
    ]
    lines += [f"- {r.size}: {r.note}" for r in results if r.note]
    lines += ["", "Targets:", "", *checks, ""]
    for r in results:
        lines += [f"## {r.size}: slowest models (seconds, full build / incremental)", ""]
        lines += ["| model | full | incremental |", "|---|---|---|"]
        slowest = sorted(r.full.model_seconds.items(), key=lambda item: -item[1])[:12]
        for name, seconds in slowest:
            again = r.incremental.model_seconds.get(name, "") if r.incremental else ""
            lines.append(f"| {name} | {seconds} | {again} |")
        lines.append("")
    text = "\n".join(lines)
    out.write_text(text)
    return text


def _check(what: str, met: bool, measured: str) -> str:
    return f"- {'met' if met else '**missed**'}: {what} (measured {measured})"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--note", default="", help="a remark on the runs, kept in the table")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite --out from the saved figures"
    )
    args = parser.parse_args(argv)
    if args.report_only:
        args.sizes = []
    subprocess.run(
        [str(DBT), "parse", "--project-dir", str(ROOT)],
        cwd=ROOT,
        check=True,
        env={**os.environ, "DBT_PROFILES_DIR": str(ROOT)},
        capture_output=True,
    )
    results = {size: bench_size(size, args.data, args.note) for size in args.sizes}
    for size in SIZES:  # the sizes not run this time keep their last measurement
        saved = args.data / size / "result.json"
        if size not in results and saved.exists():
            results[size] = SizeResult.load(saved)
    ordered = [results[size] for size in SIZES if size in results]
    print(report(ordered, args.out))
    return 0 if all(results[size].full.returncode == 0 for size in args.sizes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
