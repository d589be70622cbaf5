"""The salted hash of personal data (emails), with the salt kept out of dbt.

dbt renders every model to SQL and keeps that SQL in its artifacts (``target/``, the
``manifest.json`` that ``dbt docs`` serves, ``run_results.json``, the logs). A salt
rendered into the SQL would be published with them, and with the salt anyone can test
guessed addresses against the hashes. So the salt never reaches Jinja or SQL:

- on DuckDB, this module is a dbt-duckdb plugin (``plugins`` in ``profiles.yml``). It
  registers ``targeting_pii_hash(value, dev_salt)`` on every connection dbt opens: the
  SHA-256, as hex, of the salt followed by ``value``, the salt read here from the
  environment variable ``TARGETING_PII_SALT`` (``dev_salt``, the public development
  salt, when it is not set), and ``targeting_pii_salt_is_set()`` for the warning on
  real targets;
- on Spark, the macro ``pii_hash`` reads the variable inside the JVM with
  ``java_method('java.lang.System', 'getenv', ...)`` (macros/data_quality.sql).

The hashes are those the SQL ``sha256(salt || value)`` gave before: the same keys for
the same salt (tested).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin

SALT_VARIABLE = "TARGETING_PII_SALT"
HASH_FUNCTION = "targeting_pii_hash"
SALT_IS_SET_FUNCTION = "targeting_pii_salt_is_set"


def salted_sha256(values: list[str | None], salt: str) -> list[str | None]:
    """SHA-256 (hex) of ``salt + value`` per value, as DuckDB's ``sha256(salt || value)``:
    the UTF-8 bytes, and None for None."""
    prefix = salt.encode()
    return [
        None if value is None else hashlib.sha256(prefix + value.encode()).hexdigest()
        for value in values
    ]


def _hash(values: pa.Array, dev_salts: pa.Array) -> pa.Array:
    # read at each call, never stored: a build's own environment decides
    dev_salt = dev_salts[0].as_py() if len(dev_salts) else ""
    salt = os.environ.get(SALT_VARIABLE, dev_salt)
    return pa.array(salted_sha256(values.to_pylist(), salt), type=pa.string())


def _salt_is_set() -> bool:
    return bool(os.environ.get(SALT_VARIABLE))


class Plugin(BasePlugin):
    """Registers the hash functions on each DuckDB connection dbt opens."""

    def configure_connection(self, conn: Any) -> None:
        conn.create_function(
            HASH_FUNCTION,
            _hash,
            ["VARCHAR", "VARCHAR"],
            "VARCHAR",
            type="arrow",
            side_effects=False,
        )
        conn.create_function(SALT_IS_SET_FUNCTION, _salt_is_set, [], "BOOLEAN")
