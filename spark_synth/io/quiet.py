"""A quiet command line: Spark's start-up chatter is not what a user asked for.

Two sources: log4j (host name, native Hadoop, default-profile notices), silenced by starting the
JVM with io/resources/log4j2-quiet.properties; and lines the JVM prints straight to stderr (the
incubator-module notice, DataSketches' "restricted mode", netlib's missing native BLAS), dropped by a filter that sits between
the JVM's stderr and ours. Everything else the JVM prints passes through.
"""

from __future__ import annotations

import io
import os
import re
import sys
import threading
from importlib import resources

NOISE = re.compile(
    r"WARNING: Using incubator modules|can only operate in restricted mode|"
    r"Using Spark's default log4j profile|Setting default log level|To adjust logging level|"
    r"netlib-(blas|lapack): JNI_OnLoad"
)  # Spark ML without a native BLAS: it falls back to Java


def log4j_options() -> str:
    """JVM option that points log4j at the quiet configuration."""
    config = resources.files("spark_synth.io") / "resources" / "log4j2-quiet.properties"
    return f"-Dlog4j2.configurationFile={config}"


class StderrFilter:
    """Routes file descriptor 2 (inherited by the JVM started after this) through a pipe whose
    noise lines are dropped; Python keeps writing to the real stderr."""

    def __init__(self) -> None:
        self._real = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
        sys.stderr = io.TextIOWrapper(os.fdopen(os.dup(self._real), "wb", buffering=0), write_through=True)
        self._reader = os.fdopen(read_end, "rb")
        self._thread = threading.Thread(target=self._pump, name="spark_synth-stderr", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        for line in self._reader:
            if not NOISE.search(line.decode("utf-8", "replace")):
                os.write(self._real, line)

    def close(self) -> None:
        """Give fd 2 back; what the JVM still prints goes straight to the real stderr."""
        os.dup2(self._real, 2)
        self._thread.join(timeout=1.0)
