"""Progress lines from the long Python models, where a person watching the build sees them.

A dbt Python model runs inside dbt's process, and dbt prints and files (``logs/dbt.log``)
the events of its own event system, not Python's log records. So, while dbt builds a
model (its node is in dbt's logging context), a line is fired as the event
``{{ log(msg, info=True) }}`` fires, tagged with that model; anywhere else (pytest, a
profiler, the Spark command) it goes to Python's logger ``targeting``.
"""

from __future__ import annotations

import logging
import time

LOGGER = logging.getLogger("targeting")


def log_progress(message: str) -> None:
    """One line in dbt's console and log (or Python's logger ``targeting`` outside dbt)."""
    if not _fired_in_dbt(message):
        LOGGER.info(message)


def _fired_in_dbt(message: str) -> bool:
    try:
        from dbt.events.types import JinjaLogInfo
        from dbt_common.events.contextvars import get_node_info
        from dbt_common.events.functions import fire_event
    except ImportError:  # no dbt here (the Spark command on a cluster)
        return False
    node_info = get_node_info()
    if not node_info:  # dbt installed, but building no model
        return False
    fire_event(JinjaLogInfo(msg=message, node_info=node_info))
    return True


class Progress:
    """Lines about one piece of work, each headed by what it is and how long it has run:
    ``ml_propensity_models analytics_pro [12 s]: lightgbm on 70,821 rows``."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        log_progress(f"{self.subject} [{elapsed:.0f} s]: {message}")
