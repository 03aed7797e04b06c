"""ministudio-taskapi: an async-task video API provider on MiniStudio's job kit."""

__version__ = "0.1.0"
