"""Where Splink runs: DuckDB on one machine, Spark for a national network.

Both backends offer the same three operations, so the pipeline never asks
which one it has.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Protocol

import pandas as pd


class BackendUnavailable(RuntimeError):
    """The engine cannot start on this machine (Spark without Java, pyspark
    not installed); the message says what to install or set."""


class Backend(Protocol):
    """What the pipeline needs from an engine."""

    name: str

    def database_api(self) -> Any:
        """A Splink ``DatabaseAPI`` for this engine."""

    def to_pandas(self, table: Any) -> pd.DataFrame:
        """Bring a ``SplinkDataFrame`` back as pandas."""

    def close(self) -> None:
        """Release the engine's resources."""


class DuckDBBackend:
    """In-process DuckDB: the default, enough for a million records on a laptop."""

    name = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str | None = None) -> None:
        """``memory_limit`` (e.g. ``"4GB"``) defaults to the environment
        variable ``MEMORIA_DUCKDB_MEMORY_LIMIT``, else DuckDB's own default
        (80% of RAM). Above the limit DuckDB spills to a temporary directory."""
        import tempfile

        import duckdb

        self.connection = duckdb.connect()
        # Splink 5's array levels use lambdas with the single-arrow syntax that
        # DuckDB 2 disables by default ("Deprecated lambda arrow").
        self.connection.execute("SET lambda_syntax='ENABLE_SINGLE_ARROW'")
        self._spill = tempfile.TemporaryDirectory(prefix="memoria-duckdb-")
        self.connection.execute("SET temp_directory=?", [self._spill.name])
        if threads:
            self.connection.execute(f"SET threads={int(threads)}")
        memory_limit = memory_limit or os.environ.get("MEMORIA_DUCKDB_MEMORY_LIMIT")
        if memory_limit:
            if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit.strip()):
                raise ValueError(f"memory limit {memory_limit!r}: write e.g. 4GB or 512MB")
            self.connection.execute(f"SET memory_limit='{memory_limit.strip()}'")
        self._api = None

    def database_api(self) -> Any:
        from splink import DuckDBAPI

        if self._api is None:
            self._api = DuckDBAPI(connection=self.connection)
        return self._api

    def to_pandas(self, table: Any) -> pd.DataFrame:
        return table.as_pandas_dataframe()

    def close(self) -> None:
        self.connection.close()
        self._spill.cleanup()


class SparkBackend:
    """Spark: a local session by default, or the session you pass in.

    On a cluster, create the ``SparkSession`` yourself (with the cluster's
    master URL and memory settings) and pass it as ``session``.
    """

    name = "spark"

    def __init__(self, session: Any = None, partitions: int = 8) -> None:
        if session is None:
            session = local_spark_session(partitions)
        if session.sparkContext.getCheckpointDir() is None:
            # Splink breaks long query lineages with checkpoints.
            import tempfile

            session.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="memoria-spark-"))
        self.session = session
        self._api = None

    def database_api(self) -> Any:
        from splink import SparkAPI

        if self._api is None:
            self._api = SparkAPI(spark_session=self.session, num_partitions_on_repartition=4)
        return self._api

    def to_pandas(self, table: Any) -> pd.DataFrame:
        return table.as_pandas_dataframe()

    def close(self) -> None:
        """The session may be shared with the caller, so it is left running."""


_JAVA_HINT = (
    "Spark needs Java: install it (Debian: apt-get install openjdk-17-jre-headless) "
    "or set JAVA_HOME"
)


def _missing_java() -> str | None:
    """Why Spark's launcher would find no Java, or None. It uses
    ``$JAVA_HOME/bin/java`` when JAVA_HOME is set, else ``java`` on the PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        if not Path(home, "bin", "java").is_file():
            return f"JAVA_HOME is {home}, which has no bin/java"
        return None
    if shutil.which("java") is None:
        return "no java on the PATH and JAVA_HOME is not set"
    return None


def local_spark_session(partitions: int = 8) -> Any:
    """A small local Spark session (all cores, few shuffle partitions).

    Raises :class:`BackendUnavailable` when pyspark is missing or Spark
    cannot start (most often: no Java).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise BackendUnavailable(
            "the Spark backend needs pyspark: pip install 'memoria[spark]'"
        ) from error
    from splink.internals.spark.jar_location import similarity_jar_location

    missing = _missing_java()
    if missing:
        raise BackendUnavailable(f"Spark cannot start: {missing}. {_JAVA_HINT}")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        return (
            SparkSession.builder.master("local[*]")
            .appName("memoria-link")
            # Splink's string-similarity UDFs (jaro_winkler...); our model needs
            # none, but analysts adding comparisons will.
            .config("spark.jars", similarity_jar_location())
            .config("spark.driver.memory", os.environ.get("MEMORIA_SPARK_DRIVER_MEMORY", "2g"))
            .config("spark.sql.shuffle.partitions", str(partitions))
            .config("spark.default.parallelism", str(partitions))
            .config("spark.ui.enabled", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
    except Exception as error:  # pyspark and py4j raise several kinds at start-up
        detail = " ".join(str(error).split()) or type(error).__name__
        raise BackendUnavailable(f"Spark could not start ({detail}). {_JAVA_HINT}") from error


def make_backend(name: str, **options: Any) -> Backend:
    """``"duckdb"`` or ``"spark"``."""
    if name == "duckdb":
        return DuckDBBackend(**options)
    if name == "spark":
        return SparkBackend(**options)
    raise ValueError(f"unknown backend {name!r}; use 'duckdb' or 'spark'")
