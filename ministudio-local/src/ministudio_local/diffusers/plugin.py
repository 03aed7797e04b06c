"""Plugin module for the diffusers providers (extra ``ministudio-local[diffusers]``)."""

from __future__ import annotations

MINISTUDIO_PLUGIN_API = 1
