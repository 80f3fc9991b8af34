"""The few file-system steps spark_synth needs (exists, list, read/write a small file, publish a
staged output), on whatever file system the cluster has (file:, hdfs://, s3a://, abfss://, dbfs:/).

Two ways to reach Hadoop's FileSystem, one interface:
- `JvmFiles`: a classic session's own JVM through py4j (read steps only: fit and evaluate never
  need the engine);
- `ServerFiles`: the engine's "spark_synth_ops" data source, which runs each step on the Spark
  driver (see ServerOps.java). It works on Spark Connect, where the client has no JVM, and it is
  what `write_output` uses on every session, so staged publishing has one implementation.
"""

from __future__ import annotations

import uuid

from pyspark.sql import SparkSession

from spark_synth.errors import GenerateError
from spark_synth.sessions import is_connect


class JvmFiles:
    """Read steps through a classic session's py4j gateway."""

    def __init__(self, spark: SparkSession) -> None:
        self._jvm = spark.sparkContext._jvm
        self._conf = spark._jsparkSession.sessionState().newHadoopConf()

    def _path(self, path: str):
        hadoop_path = self._jvm.org.apache.hadoop.fs.Path(path)
        return hadoop_path, hadoop_path.getFileSystem(self._conf)

    def status(self, path: str) -> str:
        hadoop_path, fs = self._path(path)
        if not fs.exists(hadoop_path):
            return "missing"
        return "file" if fs.getFileStatus(hadoop_path).isFile() else "dir"

    def list_names(self, path: str) -> list[str]:
        hadoop_path, fs = self._path(path)
        return [status.getPath().getName() for status in fs.listStatus(hadoop_path)]

    def read_text(self, path: str) -> str | None:
        hadoop_path, fs = self._path(path)
        if not fs.isFile(hadoop_path):
            return None
        stream = fs.open(hadoop_path)
        try:
            return self._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
        finally:
            stream.close()


class ServerFiles:
    """Every step on the Spark driver, through the engine (loaded into the session on first use)."""

    def __init__(self, spark: SparkSession) -> None:
        from spark_synth.engine.jvm import SERVER_OPS_CLASS, ensure_engine

        ensure_engine(spark)
        self._spark = spark
        self._source = SERVER_OPS_CLASS

    def _run(self, op: str, **options: str) -> str | None:
        request = uuid.uuid4().hex  # the step runs once even if Spark plans the scan twice
        reader = self._spark.read.format(self._source).option("op", op).option("request", request)
        rows = reader.options(**options).load().collect()  # bounded: 1 row
        return rows[0][0]

    def status(self, path: str) -> str:
        return self._run("status", path=path)

    def list_names(self, path: str) -> list[str]:
        names = self._run("list", path=path)
        return names.split("\n") if names else []

    def read_text(self, path: str) -> str | None:
        return self._run("read_text", path=path)

    def write_text(self, path: str, text: str) -> None:
        self._run("write_text", path=path, text=text)

    def delete(self, path: str) -> None:
        self._run("delete", path=path)

    def writable_problem(self, path: str) -> str:
        """'' if output can be written at `path`, else why not."""
        return self._run("check_writable", path=path) or ""

    def move(self, path: str, target: str) -> bool:
        """`path` to `target` unless `target` exists (then False); never into it, as Hadoop's
        FileSystem.rename onto a directory would."""
        return self._run("move", path=path, target=target) == ""

    def lease(self, path: str, op: str, **options: str) -> str:
        """A lease step (io/lease.py, Leases.java): its answer, "" for none."""
        return self._run(op, path=path, **options) or ""

    def publish(self, staging: str, target: str, backup: str) -> None:
        """Old target aside, staging into place, old target deleted (ServerOps.publish)."""
        problem = self._run("publish", staging=staging, target=target, backup=backup)
        if problem:
            raise GenerateError(problem)


def read_files(spark: SparkSession) -> JvmFiles | ServerFiles:
    """Read steps for this session: its own JVM when it has one, else the engine on the server."""
    return ServerFiles(spark) if is_connect(spark) else JvmFiles(spark)
