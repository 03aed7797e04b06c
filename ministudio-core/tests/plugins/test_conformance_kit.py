"""Core's own fake provider passes the conformance suite it ships to plugin authors."""

from ministudio.testing.conformance import ClipProviderConformance
from ministudio.testing.fakes import FakeClipPlugin


class TestFakeClipProviderConformance(ClipProviderConformance):
    plugin = FakeClipPlugin(name="fake")
    provider = "fake"
    transport_kind = None
