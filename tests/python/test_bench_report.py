"""scripts/bench.py keeps the figures of a size it did not measure this time."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench

BENCHMARKS = """# Benchmarks

| size | measured | users | days | events | full build | CPU time |
|---|---|---|---|---|---|---|
| S | 2026-12-02 15:38 UTC | 100,800 | 180 | 9,582,899 | 3.6 min | 4.9 min |
| M | 2026-11-30 22:20 UTC | 1,008,000 | 180 | 95,100,908 | 15.8 min | 27.7 min |

- S: measured again
- M: not re-measured this stop

Targets:

- **missed**: S full build under 90 s (measured 3.6 min)
- **missed**: M full build under 10.0 min (measured 15.8 min) (2026-11-30)
- met: M feature layer within 2x of the floor per snapshot (measured 0.5x)

## Feature layer against the floor

| size | feature layer | snapshots | per snapshot | floor (one snapshot) | ratio |
|---|---|---|---|---|---|
| S | 2.2 min | 8 | 16.9 s | 23.7 s | 0.7x |
| M | 17.3 min | 8 | 129.9 s | 256.4 s | 0.5x |

## S: slowest models (seconds: full build / daily / grid-move)

| model | full | daily | grid-move |
| ml_propensity_models | 58.5 | 0.2 | 65.8 |

## M: slowest models (seconds: full build / daily / grid-move; 2026-11-30)

| model | full | daily | grid-move |
| int_events_sessionized | 265.1 | 15.0 | 14.2 |

## Quality: top-decile lift

| M | not a row of the speed tables |
"""


def test_a_size_not_measured_keeps_its_lines_and_says_when(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(BENCHMARKS)
    kept = bench._kept_lines(bench._split_report(out)[0], "M")
    assert kept["row"] == [BENCHMARKS.splitlines()[5]]
    assert kept["notes"] == ["- M: not re-measured this stop"]
    # each check once dated, whether it was already or not
    assert kept["checks"] == [
        "- **missed**: M full build under 10.0 min (measured 15.8 min) (2026-11-30)",
        "- met: M feature layer within 2x of the floor per snapshot (measured 0.5x) (2026-11-30)",
    ]
    assert kept["floor"] == ["| M | 17.3 min | 8 | 129.9 s | 256.4 s | 0.5x |"]
    assert kept["slowest"][0].startswith("## M: slowest models")
    assert "| int_events_sessionized | 265.1 | 15.0 | 14.2 |" in kept["slowest"]
    # nothing of S, nothing of the quality section
    assert not any("S" in line.split("|")[1:2] for line in kept["row"] + kept["floor"])
    assert not any("Quality" in line or "not a row" in line for line in kept["slowest"])


def test_a_size_never_measured_keeps_nothing(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(BENCHMARKS)
    assert not any(bench._kept_lines(bench._split_report(out)[0], "XS").values())
    assert bench._split_report(tmp_path / "missing.md") == ("", "")
