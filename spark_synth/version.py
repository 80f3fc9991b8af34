"""The package version, in a module of its own so that every layer (the fit writes it into the
model file) can read it without importing the public API; pyproject.toml reads it too."""

__version__ = "0.1.0"
