"""I/O: the Spark session, reading the real table, writing generated data safely."""

from spark_synth.io.readers import read_table
from spark_synth.io.session import get_spark
from spark_synth.io.writers import OUTPUT_FORMATS, write_output

__all__ = ["get_spark", "read_table", "write_output", "OUTPUT_FORMATS"]
