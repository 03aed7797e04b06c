"""MiniStudio local providers: ``animatic`` (offline previsualization, the default clip
provider), ``face`` (a dlib face identity scorer) and, in :mod:`ministudio_local.diffusers`,
open video models run through Hugging Face diffusers."""

__version__ = "0.1.0"
