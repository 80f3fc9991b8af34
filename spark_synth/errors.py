"""Every error spark_synth raises on purpose. Each message names the table/column and what to do."""


class SparkSynthError(Exception):
    """Base class: catch this to handle any spark_synth input or model problem."""


class InputDataError(SparkSynthError):
    """The real table cannot be modelled as it is (empty, NaN, unsupported types, ...)."""


class ModelFileError(SparkSynthError):
    """The model file is missing, corrupt, of an unknown version or fails validation."""


class GenerateError(SparkSynthError):
    """Generation was asked for something impossible (rows <= 0, existing output, ...)."""


class ArgumentError(SparkSynthError, ValueError):
    """An API argument is out of its range or not one of its choices. A ValueError too, so code
    written against the plain Python convention still catches it."""
