"""What kind of Spark session this is, asked without importing PySpark's session machinery.

Every layer may need to know whether it talks to a Spark Connect server (no JVM and no
SparkContext on this side) or in which zone the session reads timestamps without an offset;
both are facts about the session object, so they live here, below the engine and io/.
"""

from __future__ import annotations

from typing import Any


def is_connect(spark: Any) -> bool:
    """A Spark Connect session: no JVM and no SparkContext on this side."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def session_time_zone(spark: Any) -> str | None:
    """The zone Spark reads timestamps without an offset in (conditions read them alike)."""
    try:
        return spark.conf.get("spark.sql.session.timeZone")
    except Exception:
        return None
