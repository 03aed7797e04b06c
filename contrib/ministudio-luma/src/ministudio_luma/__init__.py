"""ministudio-luma: Luma Dream Machine video generation for MiniStudio, built on core's job kit."""

__version__ = "0.1.0"
