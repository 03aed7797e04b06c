"""Shared by every package's tests when run from the repository root."""

import pytest
import structlog


@pytest.fixture(autouse=True)
def _reset_structlog():
    """CLI tests run ``ministudio`` in-process, which configures structlog (level filter
    included); put the defaults back so later tests' ``capture_logs`` sees every event."""
    yield
    structlog.reset_defaults()
