"""The keys of ``[providers.vertex]`` (docs/providers/vertex.md), declared so that core
reports a typo or a wrong type before any work."""

from __future__ import annotations

import attrs
from ministudio.capabilities import JOB_SETTINGS, Setting

from ministudio_vertex.rules import PERSON_GENERATION

__all__ = ["SETTINGS"]

#: Veo jobs take minutes: the plugin polls less often than the job kit's defaults
_POLL_DEFAULTS = {"poll_initial_s": 5.0, "poll_max_s": 30.0, "poll_deadline_s": 1200.0}

SETTINGS: tuple[Setting, ...] = (
    Setting(name="project", description="Google Cloud project (else GOOGLE_CLOUD_PROJECT)"),
    Setting(name="location", default="us-central1",
            description="Vertex AI region (else GOOGLE_CLOUD_LOCATION)"),
    Setting(name="access_token_env", default="VERTEX_ACCESS_TOKEN",
            description="the environment variable holding an access token"),
    Setting(name="service_account_file", description="a service-account key file"),
    Setting(name="models", type="list", description="the models offered, in order"),
    Setting(name="capabilities", type="table",
            description="changes to a model's declared capabilities, per model id"),
    Setting(name="output_gcs_uri", description="gs://bucket/prefix for the videos"),
    Setting(name="person_generation", choices=PERSON_GENERATION,
            description="which people may be generated"),
    Setting(name="labels", type="table", description="billing labels on every request"),
    *(attrs.evolve(s, default=_POLL_DEFAULTS.get(s.name, s.default)) for s in JOB_SETTINGS),
)
