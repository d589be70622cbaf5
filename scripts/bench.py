"""The scale benchmark: ``make bench`` (README, "Scale").

For each size it generates the demo world if absent (demo: 20k users, 270 days, the
world of ``make run``; S: 100k users, M: 1M users, 180 days: about 10M and 100M events;
XS: 5k users, 60 days, to try the plumbing in a few minutes), then measures on this
machine:

1. a **full** ``dbt build`` (models, Python models, tests) into a fresh warehouse;
2. the **floor** (``scripts/bench_floor.py``) on the same raw files, right after it: one
   snapshot's features in hand-written DuckDB SQL, and a plain LightGBM fit and predict;
3. a **daily run**: ``dbt build`` after one more day of events, the snapshot grid
   unchanged (train and test snapshots stay; only the score snapshot moves);
4. a **grid-move run**: ``dbt build`` after one more day again, the day ``as_of`` lands on
   a grid date, so the test and train snapshots move and the models retrain.

Grid dates are ``targeting__snapshot_origin`` + k x ``targeting__snapshot_interval_days``;
``as_of`` is the day after the last event. The worlds end (``end_date``, the first day
without events) two days before a grid date, so the daily run's ``as_of`` is the day
before a grid date and the grid-move run's is the grid date itself; each run takes the
warehouse the run before it left. Appended days are copies of the day before, with new
event ids. The full build parses the project from nothing, as in a fresh clone; the
daily and grid-move runs start from the run before's parse (dbt's
``partial_parse.msgpack``), as a daily ``make run`` finds it in ``target/``.

Each run's wall time, CPU time and peak resident memory of the whole dbt process (Python
models included), and each model's time from ``run_results.json``, go to
``BENCHMARKS.md`` with the machine and the commands, checked against the targets the
product set itself. Nothing here is timed inside a test: the figures are printed and
written, not asserted. ``BENCHMARKS.md`` keeps everything from its "## Before" heading
on, and the "## Quality" section of ``make bench-quality`` before it, as they are.

    python scripts/bench.py [--sizes demo S M] [--out BENCHMARKS.md] [--data data/bench]
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

import bench_floor

from targeting.candidates import DEFAULT_PARAMS
from targeting.demo import DEFAULT_END_DATE, generate

ROOT = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"
# size: (users, days); the order is the report's
WORLDS = {"XS": (5_000, 60), "demo": (20_000, 270), "S": (100_000, 180), "M": (1_000_000, 180)}
SIZES = {size: users for size, (users, _) in WORLDS.items()}
DEFAULT_SIZES = ("demo", "S", "M")
# The snapshot grid (targeting__snapshot_origin, targeting__snapshot_interval_days), set
# explicitly on every run so the grid-move day is the one the bench means.
SNAPSHOT_ORIGIN = "2024-01-01"
# The product's own targets (issue: scale), checked, not asserted.
FULL_BUILD_TARGET_S = {"demo": 60, "S": 90, "M": 600}
DAILY_RUN_TARGET_S = {"S": 45, "M": 180}
PEAK_RSS_TARGET_GIB = {"M": 12}
GRID_MOVE_SHARE_TARGET = {"M": 1 / 3}  # of the full build
FEATURE_FLOOR_RATIO_TARGET = {"M": 2.0}  # feature layer per snapshot / the floor
FEATURE_LAYER = ("staging", "intermediate")  # and fct_feature_snapshots
BEFORE_HEADING = "## Before"
QUALITY_HEADING = "## Quality"
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
    daily: Run | None = None
    grid_move: Run | None = None
    floor: dict | None = None
    days: int = 0
    measured_at: str = ""
    note: str = ""
    as_of: dict[str, str] = field(default_factory=dict)  # run: its as_of date

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> SizeResult | None:
        """The saved figures; None for a file of the former layout (one incremental run
        measured before the fixed snapshot grid: those figures are in "## Before")."""
        fields = json.loads(path.read_text())
        if "daily" not in fields:
            return None
        runs = {name: fields.pop(name) for name in ("full", "daily", "grid_move")}
        return cls(
            **fields,
            full=Run(**runs["full"]),
            daily=Run(**runs["daily"]) if runs["daily"] else None,
            grid_move=Run(**runs["grid_move"]) if runs["grid_move"] else None,
        )

    @property
    def runs(self) -> dict[str, Run]:
        named = {"full": self.full, "daily": self.daily, "grid-move": self.grid_move}
        return {name: run for name, run in named.items() if run is not None}


def run_build(work: Path, raw: Path, target: Path, warehouse: Path) -> Run:
    """One ``dbt build`` in its own process; its time, peak RSS and per-model times."""
    env = {"TARGETING_DUCKDB_PATH": str(warehouse)}
    dbt_vars = json.dumps(
        {
            "targeting__raw_path": str(raw),
            "targeting__raw_format": "parquet",
            "targeting__snapshot_origin": SNAPSHOT_ORIGIN,
        }
    )
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


def append_day(raw: Path, day: dt.date) -> int:
    """Copies of the events of the day before ``day``, moved to ``day``, with new ids: a
    new day arrives. DuckDB streams the file, so this needs little memory at any size."""
    import duckdb

    events = raw / "events.parquet"
    grown = raw / "events.grown.parquet"
    last_day = day - dt.timedelta(days=1)
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
                    '{day}' || last_day.occurred_at[11:] as occurred_at
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


def is_grid_date(day: dt.date) -> bool:
    interval = int(bench_floor.project_vars()["targeting__snapshot_interval_days"])
    return (day - dt.date.fromisoformat(SNAPSHOT_ORIGIN)).days % interval == 0


def world_end_date() -> dt.date:
    """The latest end date (first day without events) up to the demo's default whose
    second day after is a grid date: one appended day leaves the grid, two move it."""
    end = dt.date.fromisoformat(DEFAULT_END_DATE)
    while not is_grid_date(end + dt.timedelta(days=2)):
        end -= dt.timedelta(days=1)
    return end


def generated_world(size: str, work: Path) -> Path:
    """``work/raw_base``: the world of ``size`` as generated, before any appended day
    (generated there when it has no manifest, the generator's last file, or one of
    another shape or end date)."""
    base = work / "raw_base"
    users, days = WORLDS[size]
    end_date = world_end_date().isoformat()
    manifest = base / "manifest.json"
    params = json.loads(manifest.read_text())["params"] if manifest.exists() else {}
    wanted = {"users": users, "days": days, "end_date": end_date, "campaigns": True}
    if any(params.get(name) != value for name, value in wanted.items()):
        print(f"{size}: generating {users:,} users x {days} days to {end_date} into {base}")
        shutil.rmtree(base, ignore_errors=True)
        generate(base, users=users, days=days, seed=42, end_date=end_date)
    return base


def _with_parse_of(previous: Path, target: Path) -> None:
    """``target`` emptied, with the parse ``previous`` left: a daily run in one project
    folder finds the last run's parse there, and dbt reuses what did not change."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    parse = previous / "partial_parse.msgpack"
    if parse.exists():
        shutil.copyfile(parse, target / parse.name)


def bench_size(size: str, data: Path, note: str = "") -> SizeResult:
    work = data / size
    raw = work / "raw"
    base = generated_world(size, work)
    shutil.rmtree(raw, ignore_errors=True)  # the world as generated, no appended day
    shutil.copytree(base, raw)
    manifest = json.loads((raw / "manifest.json").read_text())
    end_date = dt.date.fromisoformat(manifest["params"]["end_date"])
    warehouse = work / "warehouse.duckdb"
    for stale in (warehouse, Path(f"{warehouse}.wal")):
        stale.unlink(missing_ok=True)

    print(f"{size}: full build ({manifest['rows']['events']:,} events)", flush=True)
    shutil.rmtree(work / "target_full", ignore_errors=True)  # parsed from nothing
    full = run_build(work, raw, work / "target_full", warehouse)
    print(f"  {_figures(full)}", flush=True)
    result = SizeResult(size, manifest["rows"]["users"], manifest["rows"]["events"], 0, full)
    result.days = manifest["params"]["days"]
    result.measured_at = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    result.note = note
    result.as_of["full"] = end_date.isoformat()
    if full.returncode != 0:
        result.save(work / "result.json")
        return result
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        (result.n_snapshots,) = con.execute(
            "select count(*) from intermediate.int_snapshots"
        ).fetchone()
    result.save(work / "result.json")  # kept if a later step is interrupted

    print(f"{size}: floor on the same raw files", flush=True)
    result.floor = bench_floor.measure_in_subprocess(raw)
    print("  " + bench_floor.describe(result.floor).replace("\n", "\n  "), flush=True)
    result.save(work / "result.json")

    previous_target = work / "target_full"
    for name, day in (("daily", end_date), ("grid_move", end_date + dt.timedelta(days=1))):
        appended = append_day(raw, day)
        as_of = day + dt.timedelta(days=1)
        print(
            f"{size}: {name.replace('_', '-')} run after {appended:,} more events ({day};"
            f" as_of {as_of}{', a grid date' if is_grid_date(as_of) else ''})",
            flush=True,
        )
        target = work / f"target_{name}"
        _with_parse_of(previous_target, target)
        run = run_build(work, raw, target, warehouse)
        previous_target = target
        print(f"  {_figures(run)}", flush=True)
        setattr(result, name, run)
        result.as_of[name] = as_of.isoformat()
        result.save(work / "result.json")
        if run.returncode != 0:
            break
    return result


def feature_layer_seconds(run: Run, manifest_nodes: dict[str, str]) -> float:
    return sum(
        seconds
        for name, seconds in run.model_seconds.items()
        if manifest_nodes.get(name) in FEATURE_LAYER or name == "fct_feature_snapshots"
    )


def report(results: list[SizeResult], out: Path) -> str:
    """Write ``out`` from ``results``; a size with no figures here keeps its lines from
    ``out`` as they were (``_kept_lines``)."""
    measured = {r.size for r in results}
    generated, before = _split_report(out)
    kept = {size: _kept_lines(generated, size) for size in WORLDS if size not in measured}
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
        "- demo worlds, seed 42 (demo: the world of `make run`), ending two days before a"
        f" snapshot grid date (grid: {SNAPSHOT_ORIGIN} + k x 28 days). Runs, each on the"
        " warehouse the one before left:",
        "  - **full**: `dbt build` (models, Python models, data and unit tests) into a fresh"
        " warehouse, the project parsed from nothing;",
        "  - **daily**: `dbt build` after one more day of events; `as_of` is the day before"
        " a grid date, so the train and test snapshots stay and only the score snapshot"
        " moves; it starts from the full build's parse (`partial_parse.msgpack`), as a"
        " daily `make run` finds the last run's in `target/`;",
        "  - **grid-move**: `dbt build` after one more day again: `as_of` is a grid date,"
        " the test and train snapshots move on and the models retrain;",
        "  - **floor** (`scripts/bench_floor.py`, right after the full build, on the same"
        " raw files): one snapshot's features hand-written in plain DuckDB SQL straight"
        " over the Parquet files (dedup, bots, 30-minute sessions, 7/30/90-day windows,"
        " RFM, item affinity, social and team adoption), and a plain LightGBM fit (the"
        f" project's parameters, {DEFAULT_PARAMS['lightgbm']['default_rounds']} rounds, one"
        " thread) and predict on 100,000 rows of them.",
        "",
        "| size | measured | users | days | events | full build | CPU time | peak RSS"
        " | events/s | daily run | grid-move run | grid-move / full |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    checks = []
    floor_lines = [
        "## Feature layer against the floor",
        "",
        "The feature layer is the staging and intermediate models plus"
        " fct_feature_snapshots, in the full build, per snapshot it computes; the floor"
        " computes one snapshot from the raw files (so it redoes the per-event work the"
        " project does once for all snapshots).",
        "",
        "| size | feature layer | snapshots | per snapshot | floor (one snapshot) | ratio"
        " | floor peak RSS | LightGBM fit (100k rows) | LightGBM predict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    by_size = {r.size: r for r in results}
    for size in WORLDS:
        if size not in by_size:
            lines += kept[size]["row"]
            checks += kept[size]["checks"]
            floor_lines += kept[size]["floor"]
            continue
        r = by_size[size]
        daily, grid_move = r.daily, r.grid_move
        peak = max(run.peak_rss_gib for run in r.runs.values())
        failed = [name for name, run in r.runs.items() if run.returncode != 0]
        share = grid_move.seconds / r.full.seconds if grid_move else float("nan")
        lines.append(
            f"| {r.size} | {r.measured_at} | {r.users:,} | {r.days} | {r.events:,}"
            f" | {_duration(r.full.seconds)} | {_duration(r.full.cpu_seconds)}"
            f" | {peak:.1f} GiB | {r.events / r.full.seconds:,.0f}"
            f" | {_duration(daily.seconds) if daily else 'n/a'}"
            f" | {_duration(grid_move.seconds) if grid_move else 'n/a'}"
            f" | {share:.0%} |" + (f" failed: {', '.join(failed)}" if failed else "")
        )
        features = feature_layer_seconds(r.full, layers)
        per_snapshot = features / r.n_snapshots if r.n_snapshots else float("nan")
        floor = r.floor or {}
        floor_seconds = floor.get("feature_seconds", float("nan"))
        ratio = per_snapshot / floor_seconds if floor else float("nan")
        if floor:
            floor_lines.append(
                f"| {r.size} | {_duration(features)} | {r.n_snapshots}"
                f" | {per_snapshot:,.1f} s | {floor_seconds:,.1f} s | {ratio:.1f}x"
                f" | {floor['feature_peak_rss_gib']:.1f} GiB | {floor['fit_seconds']:.1f} s"
                f" | {floor['predict_rows_per_second']:,} rows/s |"
            )
        checks += _checks(r, peak, share, ratio)
    lines += [
        "",
        "Wall time is what a user waits; CPU time (user + system seconds of the dbt process)"
        " moves less than wall time when something else runs on the machine, but not from"
        " one machine of this kind to another: the same code took 4.9 min of CPU for S on one"
        " machine and 2.7 min on another the same day, so compare figures measured one after"
        " the other on one machine. Peak RSS is the largest of the three runs'.",
        "",
    ]
    for size in WORLDS:
        lines += (
            [f"- {size}: {by_size[size].note}"] if size in by_size and by_size[size].note else []
        ) + (kept[size]["notes"] if size in kept else [])
    checks += [
        f"- not measured yet: {what}"
        for size in DEFAULT_SIZES
        if size not in measured and not kept[size]["row"]
        for what in _targets(size)
    ]
    lines += ["", "Targets:", "", *checks, "", *floor_lines, ""]
    for size in WORLDS:
        if size not in by_size:
            lines += kept[size]["slowest"]
            continue
        r = by_size[size]
        lines += [f"## {r.size}: slowest models (seconds: full build / daily / grid-move)", ""]
        lines += ["| model | full | daily | grid-move |", "|---|---|---|---|"]
        slowest = sorted(r.full.model_seconds.items(), key=lambda item: -item[1])[:12]
        for name, seconds in slowest:
            again = [
                run.model_seconds.get(name, "") if run else "" for run in (r.daily, r.grid_move)
            ]
            lines.append(f"| {name} | {seconds} | {again[0]} | {again[1]} |")
        lines.append("")
    text = "\n".join(lines)
    out.write_text(text + ("\n" + before if before else ""))
    return text


def _kept_lines(generated: str, size: str) -> dict[str, list[str]]:
    """The lines of ``size`` in ``generated`` (what ``report`` wrote last time): its row of
    the main table, its notes, its target checks, its floor row and its slowest-models
    section. For a size not measured this time whose result file (in data/bench, which
    git does not keep) is not on this machine: its figures stay as they are instead of
    being dropped."""
    kept: dict[str, list[str]] = {"row": [], "notes": [], "checks": [], "floor": [], "slowest": []}
    part = "main"
    for line in generated.splitlines():
        if line == "Targets:":
            part = "checks"
        elif line.startswith("## Feature layer against the floor"):
            part = "floor"
        elif line.startswith("## "):
            part = "slowest" if line.startswith(f"## {size}: slowest models") else "other"
        if part == "main" and line.startswith(f"| {size} | "):
            kept["row"].append(line)
        elif part == "main" and line.startswith(f"- {size}: "):
            kept["notes"].append(line)
        elif part == "checks" and line.split(": ", 1)[-1].startswith(f"{size} "):
            kept["checks"].append(line)
        elif part == "floor" and line.startswith(f"| {size} | "):
            kept["floor"].append(line)
        elif part == "slowest":
            kept["slowest"].append(line)
    if kept["row"]:  # each kept check says when it was measured
        day = kept["row"][0].split(" | ")[1].split()[0]
        kept["checks"] = [
            check if check.endswith(f"({day})") else f"{check} ({day})" for check in kept["checks"]
        ]
    return kept


def _checks(r: SizeResult, peak: float, share: float, ratio: float) -> list[str]:
    """The targets of this size, met or missed."""
    checks = []
    if r.size in FULL_BUILD_TARGET_S:
        target = FULL_BUILD_TARGET_S[r.size]
        checks.append(
            _check(
                f"{r.size} full build under {_duration(target)}",
                r.full.seconds <= target,
                _duration(r.full.seconds),
            )
        )
    if r.size in PEAK_RSS_TARGET_GIB:
        target = PEAK_RSS_TARGET_GIB[r.size]
        checks.append(
            _check(f"{r.size} peak RSS under {target} GiB", peak < target, f"{peak:.1f} GiB")
        )
    if r.size in DAILY_RUN_TARGET_S and r.daily:
        target = DAILY_RUN_TARGET_S[r.size]
        checks.append(
            _check(
                f"{r.size} daily run under {_duration(target)}",
                r.daily.seconds <= target,
                _duration(r.daily.seconds),
            )
        )
    if r.size in GRID_MOVE_SHARE_TARGET and r.grid_move:
        target = GRID_MOVE_SHARE_TARGET[r.size]
        checks.append(
            _check(
                f"{r.size} grid-move run under {target:.0%} of the full build",
                share <= target,
                f"{share:.0%}, {_duration(r.grid_move.seconds)}",
            )
        )
    if r.size in FEATURE_FLOOR_RATIO_TARGET and r.floor:
        target = FEATURE_FLOOR_RATIO_TARGET[r.size]
        checks.append(
            _check(
                f"{r.size} feature layer within {target:g}x of the floor per snapshot",
                ratio <= target,
                f"{ratio:.1f}x",
            )
        )
    return checks


def _targets(size: str) -> list[str]:
    """The targets of a size, in words (for a size without figures yet)."""
    targets = []
    if size in FULL_BUILD_TARGET_S:
        targets.append(f"{size} full build under {_duration(FULL_BUILD_TARGET_S[size])}")
    if size in PEAK_RSS_TARGET_GIB:
        targets.append(f"{size} peak RSS under {PEAK_RSS_TARGET_GIB[size]} GiB")
    if size in DAILY_RUN_TARGET_S:
        targets.append(f"{size} daily run under {_duration(DAILY_RUN_TARGET_S[size])}")
    if size in GRID_MOVE_SHARE_TARGET:
        targets.append(
            f"{size} grid-move run under {GRID_MOVE_SHARE_TARGET[size]:.0%} of the full build"
        )
    if size in FEATURE_FLOOR_RATIO_TARGET:
        targets.append(
            f"{size} feature layer within {FEATURE_FLOOR_RATIO_TARGET[size]:g}x"
            " of the floor per snapshot"
        )
    return targets


def _split_report(out: Path) -> tuple[str, str]:
    """``out``'s text in two: what ``report`` writes, and what it keeps as it is, from the
    "## Quality" heading (``make bench-quality``'s) or else the "## Before" heading on."""
    if not out.exists():
        return "", ""
    text = out.read_text()
    found = [at for at in (text.find(QUALITY_HEADING), text.find(BEFORE_HEADING)) if at >= 0]
    at = min(found) if found else len(text)
    return text[:at], text[at:]


def _figures(run: Run) -> str:
    return (
        f"{run.seconds:,.0f} s wall, {run.cpu_seconds:,.0f} s CPU,"
        f" peak {run.peak_rss_gib:.1f} GiB, exit {run.returncode}"
    )


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
    parser.add_argument("--sizes", nargs="+", choices=list(WORLDS), default=list(DEFAULT_SIZES))
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
    for size in WORLDS:  # the sizes not run this time keep their last measurement
        saved = args.data / size / "result.json"
        if size not in results and saved.exists():
            loaded = SizeResult.load(saved)
            if loaded is not None:
                results[size] = loaded
    ordered = [results[size] for size in WORLDS if size in results]
    print(report(ordered, args.out))
    runs_ok = all(run.returncode == 0 for size in args.sizes for run in results[size].runs.values())
    return 0 if runs_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
