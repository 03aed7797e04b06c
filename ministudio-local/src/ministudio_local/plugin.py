"""Plugin module for the ``animatic`` clip provider and the ``face`` identity scorer."""

from __future__ import annotations

MINISTUDIO_PLUGIN_API = 1
