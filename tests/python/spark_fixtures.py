"""A Spark warehouse for the Spark tests: the tables the Spark ML step reads.

Tables already in the Spark metastore (``dbt build --target spark`` wrote them) are used
as they are; the missing ones are copied from a DuckDB warehouse under the same
``schema.table`` names, with the same columns and types (DuckDB's ``timestamp`` becomes
Spark's ``timestamp``, as the dbt-spark models write it).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import TimestampNTZType

from targeting.spark_ml import write_table


def duckdb_table(spark: SparkSession, warehouse: Path, table: str) -> DataFrame:
    """A DuckDB warehouse's table as a Spark DataFrame (read through Arrow)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        arrow = con.sql(f"select * from {table}").to_arrow_table()
    frame = spark.createDataFrame(arrow)
    return frame.select(
        *(
            F.col(field.name).cast("timestamp").alias(field.name)
            if isinstance(field.dataType, TimestampNTZType)
            else F.col(field.name)
            for field in frame.schema.fields
        )
    )


def ensure_tables(spark: SparkSession, warehouse: Path, tables: Iterable[str]) -> list[str]:
    """Copy each of ``tables`` missing from the Spark metastore from DuckDB; the copied ones."""
    copied = []
    for table in tables:
        if not spark.catalog.tableExists(table):
            write_table(duckdb_table(spark, warehouse, table), table)
            copied.append(table)
    return copied
