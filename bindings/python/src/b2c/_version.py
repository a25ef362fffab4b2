"""The binding's version (also in pyproject.toml); the SONAME it loads is derived from it."""

__version__ = "0.1.0"
