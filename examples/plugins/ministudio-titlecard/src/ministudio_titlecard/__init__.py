"""Title cards for MiniStudio films."""

__version__ = "0.1.0"
