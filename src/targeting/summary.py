"""The short summary ``make run`` prints after ``dbt build``.

Reads the marts only, through a read-only connection, so it never blocks a build.
``python -m targeting.summary [path]`` (default: ``$TARGETING_DUCKDB_PATH`` or
``targeting.duckdb``).
"""

from __future__ import annotations

import os
import sys

import duckdb


def data_quality_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per input table: rows read, rows clean, and the quarantined rows by issue."""
    rows = con.execute(
        """
        select source_table, dq_issue, n_rows
        from marts.fct_data_quality
        where n_rows > 0
        order by source_table, is_clean desc, n_rows desc, dq_issue
        """
    ).fetchall()
    tables: dict[str, list[tuple[str, int]]] = {}
    for source_table, dq_issue, n_rows in rows:
        tables.setdefault(source_table, []).append((dq_issue, n_rows))
    lines = []
    for source_table in ("users", "events", "connections", "adoptions"):
        counts = dict(tables.get(source_table, []))
        total = sum(counts.values())
        clean = counts.pop("clean", 0)
        issues = ", ".join(f"{issue} {n:,}" for issue, n in counts.items()) or "none"
        lines.append(
            f"  {source_table:<12} {total:>12,} rows, {clean:>12,} clean; quarantined: {issues}"
        )
    return lines


def summarize(con: duckdb.DuckDBPyConnection) -> str:
    """The summary text for a built warehouse."""
    return "\n".join(["Data quality (marts.fct_data_quality):", *data_quality_lines(con)])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = args[0] if args else os.environ.get("TARGETING_DUCKDB_PATH", "targeting.duckdb")
    if not os.path.exists(path):
        print(f"targeting: no warehouse at {path}; run `make run` first.", file=sys.stderr)
        return 1
    with duckdb.connect(path, read_only=True) as con:
        print(summarize(con))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
