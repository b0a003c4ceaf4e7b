"""The Meibel AI API (v2) for Python."""

__version__ = "0.1.0"
__all__ = ["__version__"]
