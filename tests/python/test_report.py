"""The lift report renders from the marts, with a chart per product."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from targeting.report import load, main, render

pytestmark = pytest.mark.integration


def test_the_report_has_both_charts_and_the_tables_for_every_product(
    small_world, tmp_path: Path
) -> None:
    work_dir, _ = small_world
    warehouse = work_dir / "warehouse.duckdb"
    output = tmp_path / "report.html"
    assert main([str(warehouse), str(output)]) == 0
    page = output.read_text()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        fitted = [
            row[0]
            for row in con.execute(
                "select distinct product_id from marts.fct_model_evaluation where is_champion"
            ).fetchall()
        ]
    assert fitted
    for product_id in fitted:
        assert f"<h2>{product_id}</h2>" in page
        for chart in ("cumulative gains", "decile lift"):
            image = re.search(
                rf'alt="{chart}, {product_id}" src="data:image/png;base64,(\S+)"', page
            )
            assert image and len(image.group(1)) > 1000, (chart, product_id)
    assert page.count("Models, out-of-time test") == len(fitted)
    assert "Top" in page and "holdout left out" in page
    # every champion's lift with its interval; the products too small to judge say so
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (n_small,) = con.execute(
            "select count(*) from marts.fct_model_evaluation"
            " where is_champion and not has_enough_test_adopters"
        ).fetchone()
    assert page.count("95% interval") == len(fitted)
    assert page.count("Too few test adopters to judge") == n_small


def test_the_report_without_a_warehouse_says_what_to_do(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path / "missing.duckdb"), str(tmp_path / "out.html")]) == 1
    assert "make run" in capsys.readouterr().err


def test_the_report_shows_every_campaign_or_how_to_get_one(small_world) -> None:
    work_dir, manifest = small_world
    with duckdb.connect(str(work_dir / "warehouse.duckdb"), read_only=True) as con:
        marts = load(con)
    assert manifest["campaigns"], "the small world runs no campaign"
    page = render(marts, "small world")
    assert "Campaigns, against their holdout" in page
    image = re.search(r'alt="campaign uplift" src="data:image/png;base64,(\S+)"', page)
    assert image and len(image.group(1)) > 1000
    for campaign_id in manifest["campaigns"]:
        assert f'<td class="text">{campaign_id}</td>' in page
    marts["campaigns"] = marts["campaigns"].iloc[0:0]
    page = render(marts, "small world")
    assert "No campaign results" in page and "campaign uplift" not in page
