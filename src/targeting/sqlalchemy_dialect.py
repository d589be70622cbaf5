"""duckdb-engine, with the primary keys a BI tool asks for.

Every mart declares its grain as a primary key (the contracts' ``primary_key``
constraints), and DuckDB keeps it. duckdb-engine reflects keys the PostgreSQL way,
through ``pg_catalog.pg_index``, which DuckDB leaves empty (Mause/duckdb_engine#594), so
``inspect(engine).get_pk_constraint(...)`` returns no columns and a BI tool cannot infer
a table's grain. This dialect is duckdb-engine with one method changed: primary keys are
read from ``duckdb_constraints()``. Everything else is duckdb-engine's.

Installed with this package, it is the SQLAlchemy URL ``duckdb+targeting:///path`` (the
entry point in pyproject.toml); a BI tool that runs in another environment installs
duckdb-engine and this one file. README, "Reading the marts from a BI tool".
"""

from __future__ import annotations

from typing import Any

import sqlalchemy
from duckdb_engine import Dialect as DuckDBEngineDialect

PRIMARY_KEYS = sqlalchemy.text(
    "select table_name, constraint_name, constraint_column_names"
    " from duckdb_constraints()"
    " where constraint_type = 'PRIMARY KEY'"
    " and database_name = current_database() and schema_name = :schema_name"
)


class DuckDBDialect(DuckDBEngineDialect):
    """duckdb-engine whose primary-key reflection reads ``duckdb_constraints()``."""

    driver = "targeting"
    supports_statement_cache = False

    def get_multi_pk_constraint(self, connection: Any, schema: str | None = None, **kw: Any) -> Any:
        # duckdb-engine's answer names every table asked for (with no columns): keep that
        # set of tables and fill in the keys DuckDB holds.
        reflected = dict(super().get_multi_pk_constraint(connection, schema=schema, **kw))
        if not reflected:
            return reflected.items()
        schema_name = schema or self.default_schema_name
        for table, name, columns in connection.execute(PRIMARY_KEYS, {"schema_name": schema_name}):
            if (schema, table) in reflected:
                reflected[(schema, table)] = {
                    "name": name,
                    "constrained_columns": list(columns),
                    "comment": None,
                }
        return reflected.items()
