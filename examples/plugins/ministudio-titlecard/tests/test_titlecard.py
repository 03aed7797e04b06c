import asyncio

from ministudio import ClipRequest
from ministudio.dispatch import Dispatcher
from ministudio.plugins import PluginManager
from ministudio.testing.conformance import ClipProviderConformance

import ministudio_titlecard.plugin


class TestTitlecardConformance(ClipProviderConformance):
    plugin = ministudio_titlecard.plugin
    provider = "titlecard"
    transport_kind = None


def test_discovered_through_its_entry_point_and_callable(tmp_path):
    manager = PluginManager(env={"MINISTUDIO_LOAD_PLUGINS": "titlecard"})
    spec = manager.get_provider("titlecard")
    assert manager.records[spec.plugin].distribution == "ministudio-titlecard"
    request = ClipRequest(provider="titlecard", model="card-1", prompt="Chapter One",
                          duration_s=2.0, aspect_ratio="9:16", resolution="360p")
    result = asyncio.run(Dispatcher(manager).generate_clip(request, workdir=tmp_path))
    assert (result.width, result.height) == (360, 640)
    assert result.path.stat().st_size > 1000
