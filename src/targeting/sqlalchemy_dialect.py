"""duckdb-engine, with the primary keys a BI tool asks for.

Every mart declares its grain as a primary key (the contracts' ``primary_key``
constraints), and DuckDB keeps it. duckdb-engine reflects keys the PostgreSQL way,
through ``pg_catalog.pg_index``, which DuckDB leaves empty (Mause/duckdb_engine#594), so
``inspect(engine).get_pk_constraint(...)`` returns no columns and a BI tool cannot infer
a table's grain. And it reflects a list column (``dim_users.adopted_product_ids``,
``varchar[]``) as an unknown type with a warning. This dialect is duckdb-engine with two
methods changed: primary keys are read from ``duckdb_constraints()``, and a list column
is an ``ARRAY`` of its element type, read from ``duckdb_columns()``. Everything else is
duckdb-engine's.

Installed with this package, it is the SQLAlchemy URL ``duckdb+targeting:///path`` (the
entry point in pyproject.toml); a BI tool that runs in another environment installs
duckdb-engine and this one file. README, "Reading the marts from a BI tool".
"""

from __future__ import annotations

import warnings
from typing import Any

import sqlalchemy
from duckdb_engine import Dialect as DuckDBEngineDialect
from sqlalchemy import exc

PRIMARY_KEYS = sqlalchemy.text(
    "select table_name, constraint_name, constraint_column_names"
    " from duckdb_constraints()"
    " where constraint_type = 'PRIMARY KEY'"
    " and database_name = current_database() and schema_name = :schema_name"
)

LIST_COLUMNS = sqlalchemy.text(
    "select table_name, column_name, data_type from duckdb_columns()"
    " where data_type like '%[]'"
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

    def get_multi_columns(self, connection: Any, schema: str | None = None, **kw: Any) -> Any:
        with warnings.catch_warnings():
            # duckdb-engine's warning for the list columns fixed below
            warnings.filterwarnings("ignore", "Did not recognize type 'list'", exc.SAWarning)
            reflected = dict(super().get_multi_columns(connection, schema=schema, **kw))
        schema_name = schema or self.default_schema_name
        lists = {
            (table, column): data_type
            for table, column, data_type in connection.execute(
                LIST_COLUMNS, {"schema_name": schema_name}
            )
        }
        for (_, table), columns in reflected.items():
            for column in columns:
                data_type = lists.get((table, column["name"]))
                if data_type:
                    column["type"] = self._list_type(data_type)
        return reflected.items()

    def _list_type(self, data_type: str) -> sqlalchemy.types.TypeEngine:
        """``VARCHAR[]`` as ``ARRAY(VARCHAR)``, ``INTEGER[][]`` as ``ARRAY(INTEGER, 2)``."""
        element = data_type.removesuffix("[]")
        dimensions = 1
        while element.endswith("[]"):
            element, dimensions = element.removesuffix("[]"), dimensions + 1
        element_type = self.ischema_names.get(element.lower(), sqlalchemy.types.NullType)
        return sqlalchemy.ARRAY(element_type(), dimensions=dimensions)
