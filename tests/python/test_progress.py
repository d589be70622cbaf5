"""Progress lines: into dbt's event log when dbt runs, into Python's logging elsewhere."""

from __future__ import annotations

import logging
import re

import pytest
from dbt.events.types import JinjaLogInfo
from dbt_common.events.base_types import EventMsg
from dbt_common.events.contextvars import log_contextvars
from dbt_common.events.event_manager_client import get_event_manager

from targeting.progress import Progress, log_progress


@pytest.fixture
def dbt_events():
    """As while dbt builds a model: its node in dbt's logging context; the events fired
    are collected."""
    manager = get_event_manager()
    fired: list[EventMsg] = []
    manager.callbacks.append(fired.append)
    try:
        with log_contextvars(node_info={"unique_id": "model.targeting.ml_propensity_scores"}):
            yield fired
    finally:
        manager.callbacks.remove(fired.append)


def test_outside_dbt_a_line_goes_to_python_logging(caplog):
    with caplog.at_level(logging.INFO, logger="targeting"):
        log_progress("scoring 3 rows")

    assert [record.getMessage() for record in caplog.records] == ["scoring 3 rows"]


def test_inside_dbt_a_line_is_dbts_info_log_event(dbt_events, caplog):
    with caplog.at_level(logging.INFO, logger="targeting"):
        log_progress("scoring 3 rows")

    assert [event.info.name for event in dbt_events] == [JinjaLogInfo.__name__]
    assert dbt_events[0].info.msg == "scoring 3 rows"
    assert dbt_events[0].info.level == "info"
    assert dbt_events[0].data.node_info.unique_id == "model.targeting.ml_propensity_scores"
    assert [record for record in caplog.records if record.name == "targeting"] == []  # once


def test_progress_heads_each_line_with_its_subject_and_the_seconds_since_it_started(caplog):
    progress = Progress("ml_propensity_scores p1")
    with caplog.at_level(logging.INFO, logger="targeting"):
        progress("test snapshot: 1,000 rows scored")

    (line,) = [record.getMessage() for record in caplog.records]
    head, message = line.split(": ", 1)
    assert re.fullmatch(r"ml_propensity_scores p1 \[\d+ s\]", head)
    assert message == "test snapshot: 1,000 rows scored"
