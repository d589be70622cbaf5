"""Searching built artifacts for personal data: the PII salt and raw emails (test_pii.py,
test_spark_pii.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import duckdb

EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"


def leaks(data: bytes, salt: bytes, emails: set[bytes]) -> list[str]:
    """What of ``salt`` and of ``emails`` (lowercased) ``data`` holds; emails are found by
    their shape, then compared, so a file of any size is read once."""
    found = [f"the salt at byte {data.index(salt)}"] if salt in data else []
    candidates = {match.lower() for match in re.findall(EMAIL_PATTERN.encode(), data)}
    found += [f"email {email.decode()}" for email in sorted(candidates & emails)[:3]]
    return found


def file_leaks(
    root: Path, folders: Iterable[Path], salt: bytes, emails: set[bytes]
) -> tuple[list[Path], list[str]]:
    """Every file under ``folders``, and what of the salt and emails each holds."""
    files = [path for folder in folders for path in sorted(folder.rglob("*")) if path.is_file()]
    found = [
        f"{path.relative_to(root) if path.is_relative_to(root) else path}: {leak}"
        for path in files
        for leak in leaks(path.read_bytes(), salt, emails)
    ]
    return files, found


def emails_in_column(con: duckdb.DuckDBPyConnection, relation: str, column: str) -> int:
    """How many values of ``column`` of ``relation`` look like an email or are one of the
    raw emails in the table ``raw_emails`` (column ``email``, lowercased) of ``con``."""
    (n_matches,) = con.execute(
        f"""
        select count(*) from {relation}
        where regexp_matches("{column}", '{EMAIL_PATTERN}')
            or lower("{column}") in (select email from raw_emails)
        """
    ).fetchone()
    return n_matches
