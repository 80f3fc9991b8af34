"""The model file: format (schema), reading/writing (io) and its numeric meaning (marginals).

Nothing here imports pyspark, so a model can be read, checked and edited anywhere.
"""

from spark_synth.model.io import SynthModel, load_model
from spark_synth.model.schema import FORMAT_NAME, SCHEMA_VERSION

__all__ = ["SynthModel", "load_model", "FORMAT_NAME", "SCHEMA_VERSION"]
