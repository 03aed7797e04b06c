"""Child process for the kill test: produce 2 chains of 3 shots in PROJECT, journalling every
provider submit/resume, and write {shot: stored clip} to PROJECT/result.json when done."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from chaos import ChaosClipPlugin, chained_plans  # noqa: E402
from conftest import Harness  # noqa: E402

from ministudio.engine.lock import ProjectLock  # noqa: E402
from ministudio.engine.production import shoot_all  # noqa: E402


def main(project: Path) -> None:
    fake = ChaosClipPlugin(latency_s=0.15, journal=project / "journal.jsonl")
    with ProjectLock(project / ".ministudio"):
        h = Harness(project, fake)
        prod = h.production(concurrency=2)
        out = asyncio.run(shoot_all(prod, chained_plans(2, 3, duration_s=0.5)))
        bad = {k: str(o.error) for k, o in out.items() if not o.ok}
        if bad:
            raise SystemExit(f"failed: {bad}")
        (project / "result.json").write_text(
            json.dumps({k: o.result.clip_media for k, o in out.items()}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
