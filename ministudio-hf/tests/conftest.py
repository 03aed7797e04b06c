from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_provider_mapping() -> Iterator[None]:
    """huggingface_hub caches the Hub's provider mapping per repo for the process; each test
    brings its own fake Hub, so start every test with an empty cache."""
    from huggingface_hub.inference._providers._common import _fetch_inference_provider_mapping

    _fetch_inference_provider_mapping.cache_clear()
    yield
    _fetch_inference_provider_mapping.cache_clear()
