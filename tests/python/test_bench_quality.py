"""scripts/bench_quality.py: the checks and the section it writes, from given figures."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_quality


def product(name: str, champion_lift: float, rule_lift: float, cross_validated: float | None):
    candidates = {
        model: {"lift": lift, "low": lift - 1, "high": lift + 1, "expected_to_realized": 1.0}
        for model, lift in [
            ("logistic_regression", champion_lift - 0.1),
            ("lightgbm", champion_lift + 0.2),
            ("ensemble", champion_lift),
            ("lookalike", 1.5),
        ]
    }
    return {
        "world": "w9",
        "product_id": name,
        "build_seconds": 10.0,
        "is_cold_start": False,
        "n_test_adopters": 150,
        "has_enough_test_adopters": True,
        "candidates": candidates,
        "champion": "ensemble",
        "rule": {"feature": "n_teammates_adopted", "direction": "highest", "lift": rule_lift},
        "in_sample_ceiling": 5.0,
        "cross_validated_ceiling": cross_validated,
    }


def test_a_product_below_the_margin_is_listed_with_its_cross_validated_figure() -> None:
    rows = [product("p_ok", 4.0, 3.0, 3.9), product("p_short", 3.3, 3.0, 3.15)]
    summary = bench_quality.summarize(rows)

    assert summary["n_rule_checked"] == 2 and summary["n_rule_met"] == 1
    assert not summary["rule_check"]
    [below] = summary["below_rule"]
    assert below["product_id"] == "p_short"
    assert abs(below["champion_to_rule"] - 1.1) < 1e-12
    assert abs(below["cross_validated_to_rule"] - 1.05) < 1e-12
    # the best single candidate here is LightGBM, 0.2 above the champion
    assert abs(summary["median_champion_minus_best_single"] + 0.2) < 1e-12

    world = bench_quality.World("w9", users=100, products=2, seed=1, signal=1.0)
    text = bench_quality.section(
        rows, summary, [world], {"w9": ("2026-12-07 16:14 UTC", "abc1234")}
    )
    assert "| 2026-12-07 16:14 UTC | abc1234 |" in text
    assert "NOT met: the champion's lift at least 1.2x" in text
    assert "Of the 1 products below 1.2x, 1 stay below it cross-validated on the test" in text
    assert "w9 p_short 1.10x (cross-validated 1.05x)" in text
    # a product's row: champion / rule, in-sample / rule, cross-validated / rule
    assert "| 1.33 | 1.67 | 1.30 | 1.00 |" in text
