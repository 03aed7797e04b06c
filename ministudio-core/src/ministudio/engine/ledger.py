"""The production ledger: an SQLite database in the project's ``.ministudio/`` folder.

Tables
    ``productions``  one row per ``render`` run (film, status, estimated and actual cost)
    ``shots``        each shot of a production: status, cache key, stored clip and anchor
    ``attempts``     every provider call, failed and retried ones included: stage, provider,
                     model, seed, job id, status, cost, timings, identity scores, error
    ``cache``        request key -> stored media and what is known about it

Every write commits at once (autocommit, WAL journal), so a render killed at any point
leaves a consistent ledger. The provider's job id is written (``set_job``) as soon as the
provider reports it, before waiting on the job, so a restarted render can re-attach to a
paid job (``resumable_job``) instead of paying again.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = ["Ledger"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS productions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  film TEXT NOT NULL, title TEXT, status TEXT NOT NULL,
  started_at REAL NOT NULL, finished_at REAL,
  estimated_cost TEXT, actual_cost TEXT, error TEXT
);
CREATE TABLE IF NOT EXISTS shots (
  production_id INTEGER NOT NULL, shot_id TEXT NOT NULL, status TEXT NOT NULL,
  cache_key TEXT, clip TEXT, anchor TEXT, cost TEXT, cached INTEGER DEFAULT 0,
  started_at REAL, finished_at REAL, error TEXT,
  PRIMARY KEY (production_id, shot_id)
);
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  production_id INTEGER NOT NULL, shot_id TEXT NOT NULL, stage TEXT NOT NULL,
  cache_key TEXT, provider TEXT, model TEXT, seed INTEGER, job_id TEXT, resumed_job TEXT,
  status TEXT NOT NULL, cost TEXT, started_at REAL NOT NULL, finished_at REAL,
  scores TEXT, error_type TEXT, error TEXT, media TEXT
);
CREATE INDEX IF NOT EXISTS attempts_key ON attempts (cache_key, status);
CREATE TABLE IF NOT EXISTS cache (
  key TEXT PRIMARY KEY, kind TEXT NOT NULL, provider TEXT, model TEXT,
  media TEXT NOT NULL, meta TEXT NOT NULL, created_at REAL NOT NULL
);
"""


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


class Ledger:
    """Thread-safe access to the ledger (plugins may report job ids from worker threads)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=30.0
        )
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, args).fetchall()]

    # -- productions ---------------------------------------------------------------------

    def start_production(self, film: str, title: str, estimated_cost: Decimal | None) -> int:
        # attempts left "running" by a killed render can never finish: mark them
        self._exec(
            "UPDATE attempts SET status='interrupted', finished_at=? WHERE status='running'",
            (time.time(),),
        )
        self._exec("UPDATE productions SET status='interrupted' WHERE status='running'")
        cur = self._exec(
            "INSERT INTO productions (film, title, status, started_at, estimated_cost) "
            "VALUES (?, ?, 'running', ?, ?)",
            (film, title, time.time(), None if estimated_cost is None else str(estimated_cost)),
        )
        return int(cur.lastrowid or 0)

    def finish_production(
        self, production_id: int, status: str, actual_cost: Decimal, error: str | None = None
    ) -> None:
        self._exec(
            "UPDATE productions SET status=?, finished_at=?, actual_cost=?, error=? WHERE id=?",
            (status, time.time(), str(actual_cost), error, production_id),
        )

    def productions(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM productions ORDER BY id")

    # -- shots ---------------------------------------------------------------------------

    def set_shot(self, production_id: int, shot_id: str, status: str, **fields: Any) -> None:
        now = time.time()
        cols = {"status": status, **fields}
        if status in ("done", "failed", "gap", "cached"):
            cols.setdefault("finished_at", now)
        existing = self._rows(
            "SELECT 1 FROM shots WHERE production_id=? AND shot_id=?", (production_id, shot_id)
        )
        if not existing:
            cols.setdefault("started_at", now)
            names = ["production_id", "shot_id", *cols]
            self._exec(
                f"INSERT INTO shots ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                (production_id, shot_id, *(_plain(v) for v in cols.values())),
            )
        else:
            sets = ", ".join(f"{k}=?" for k in cols)
            self._exec(
                f"UPDATE shots SET {sets} WHERE production_id=? AND shot_id=?",
                (*(_plain(v) for v in cols.values()), production_id, shot_id),
            )

    def shots(self, production_id: int) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM shots WHERE production_id=?", (production_id,))

    # -- attempts ------------------------------------------------------------------------

    def start_attempt(
        self, production_id: int, shot_id: str, stage: str, *, cache_key: str | None = None,
        provider: str | None = None, model: str | None = None, seed: int | None = None,
        resumed_job: str | None = None,
    ) -> int:
        cur = self._exec(
            "INSERT INTO attempts (production_id, shot_id, stage, cache_key, provider, model, "
            "seed, resumed_job, status, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)",
            (production_id, shot_id, stage, cache_key, provider, model, seed, resumed_job,
             time.time()),
        )
        return int(cur.lastrowid or 0)

    def set_job(self, attempt_id: int, job_id: str) -> None:
        """Record a provider job id at once (called before the engine waits on the job)."""
        self._exec("UPDATE attempts SET job_id=? WHERE id=?", (job_id, attempt_id))

    def finish_attempt(
        self, attempt_id: int, status: str, *, cost: Decimal | None = None,
        scores: Mapping[str, Any] | None = None, error: BaseException | str | None = None,
        media: str | None = None, job_id: str | None = None,
    ) -> None:
        err_type = type(error).__name__ if isinstance(error, BaseException) else None
        self._exec(
            "UPDATE attempts SET status=?, finished_at=?, cost=?, scores=?, error_type=?, "
            "error=?, media=?, job_id=COALESCE(?, job_id) WHERE id=?",
            (status, time.time(), None if cost is None else str(cost), _json(scores), err_type,
             None if error is None else str(error), media, job_id, attempt_id),
        )

    def set_scores(self, attempt_id: int, scores: Mapping[str, Any]) -> None:
        self._exec("UPDATE attempts SET scores=? WHERE id=?", (_json(scores), attempt_id))

    def resumable_job(self, cache_key: str) -> str | None:
        """The job id of an earlier attempt at exactly this request that was submitted but
        never finished (its render was killed), newest first."""
        rows = self._rows(
            "SELECT job_id FROM attempts WHERE cache_key=? AND job_id IS NOT NULL "
            "AND status='interrupted' ORDER BY id DESC LIMIT 1",
            (cache_key,),
        )
        return rows[0]["job_id"] if rows else None

    def mark_resumed(self, job_id: str) -> None:
        self._exec(
            "UPDATE attempts SET status='resumed' WHERE job_id=? AND status='interrupted'",
            (job_id,),
        )

    def attempts(self, production_id: int | None = None) -> list[dict[str, Any]]:
        if production_id is None:
            rows = self._rows("SELECT * FROM attempts ORDER BY id")
        else:
            rows = self._rows(
                "SELECT * FROM attempts WHERE production_id=? ORDER BY id", (production_id,)
            )
        for r in rows:
            r["scores"] = json.loads(r["scores"]) if r["scores"] else None
        return rows

    # -- cache ---------------------------------------------------------------------------

    def cache_get(self, key: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM cache WHERE key=?", (key,))
        if not rows:
            return None
        row = rows[0]
        row["meta"] = json.loads(row["meta"])
        return row

    def cache_put(
        self, key: str, kind: str, media: str, meta: Mapping[str, Any], *,
        provider: str | None = None, model: str | None = None,
    ) -> None:
        self._exec(
            "INSERT OR REPLACE INTO cache (key, kind, provider, model, media, meta, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, kind, provider, model, media, _json(dict(meta)), time.time()),
        )

    def cache_delete(self, key: str) -> None:
        self._exec("DELETE FROM cache WHERE key=?", (key,))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value
