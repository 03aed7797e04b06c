from ministudio.testing.pytest_plugin import (  # noqa: F401  (fixtures)
    fake_clip_plugin,
    ministudio_pm,
    mock_transport,
    register_plugin,
)
