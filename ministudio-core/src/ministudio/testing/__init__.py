"""A kit for testing MiniStudio plugins (install ``ministudio-core[testing]``).

- ``pytest_plugins = ["ministudio.testing.pytest_plugin"]`` gives fixtures: ``ministudio_pm``
  (a plugin manager with no entry points loaded), ``register_plugin`` (temporary registration),
  ``mock_transport`` (an ``httpx.MockTransport`` that records requests) and ``fake_clip_plugin``.
- :mod:`ministudio.testing.conformance` has base classes a plugin's test suite subclasses; the
  tests they run are derived from the capabilities the provider declares.
- :mod:`ministudio.testing.fakes` has fake providers that produce real media files;
  :mod:`ministudio.testing.taskapi` a fake paid-job HTTP API, and
  :func:`ministudio.testing.serve.serve` puts any such fake behind real HTTP on 127.0.0.1.
"""

from ministudio.testing.transport import RecordingTransport

__all__ = ["RecordingTransport"]
