"""The production ledger: an SQLite database in the project's ``.ministudio/`` folder.

Tables
    ``productions``  one row per ``render`` run (film, status, estimated and actual cost)
    ``shots``        each shot of a production: status, cache key, stored clip and anchor
    ``attempts``     every provider call, failed and retried ones included: stage, provider,
                     model, seed, job id, status, cost, timings, identity scores, error
    ``cache``        request key -> stored media and what is known about it
    ``jobs``         every paid provider job: the request key it belongs to, its state
                     (``open``: can still deliver; ``delivered``; ``failed``: ended as a job),
                     what it cost (counted once), how many attempts re-attached to it
    ``picks``        the take the user chose for a shot (``ministudio takes --pick``): the
                     attempt, its stored clip and the shot's request key it was made for;
                     one row per shot id, used by the next render instead of the kept take

Every write commits at once (autocommit, WAL journal), so a render killed at any point
leaves a consistent ledger. The provider's job id is written (``add_job``) as soon as the
provider reports it, before waiting on the job, so every later try, and every later render,
re-attaches to the paid job (``open_job``) instead of paying again, until the job is known
to have ended.
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

import attrs

__all__ = ["Ledger", "Pick", "Take"]

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
CREATE TABLE IF NOT EXISTS jobs (
  job_id TEXT NOT NULL, provider TEXT NOT NULL, cache_key TEXT NOT NULL, model TEXT,
  status TEXT NOT NULL, cost TEXT, production_id INTEGER, attempt_id INTEGER,
  submitted_at REAL NOT NULL, finished_at REAL, reattached INTEGER DEFAULT 0,
  invalid_deliveries INTEGER DEFAULT 0, counted INTEGER DEFAULT 0, error TEXT,
  PRIMARY KEY (provider, job_id)
);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs (cache_key, status);
CREATE TABLE IF NOT EXISTS cache (
  key TEXT PRIMARY KEY, kind TEXT NOT NULL, provider TEXT, model TEXT,
  media TEXT NOT NULL, meta TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS picks (
  shot_id TEXT PRIMARY KEY, attempt_id INTEGER NOT NULL, media TEXT NOT NULL,
  cache_key TEXT, loose_key TEXT, duration_s REAL, picked_at REAL NOT NULL
);
"""


@attrs.frozen(kw_only=True)
class Take:
    """One delivered clip of a shot: a ``generate`` attempt that stored its media."""

    attempt: int
    production: int
    shot_id: str
    media: str
    #: the shot's request key in the render that made it (the ``shots`` row's cache key):
    #: a pick of this take applies while the shot's key is the same
    shot_key: str | None
    #: that request's key without its duration, and its duration (ledgers written before
    #: picks lack them): a pick also applies when only the duration moved a little
    loose_key: str | None = None
    duration_s: float | None = None
    provider: str | None
    model: str | None
    seed: int | None
    status: str
    cost: Decimal | None
    started_at: float
    finished_at: float | None
    #: character id -> the identity record of this take (``None`` when it was not scored)
    scores: Mapping[str, Any] | None


@attrs.frozen(kw_only=True)
class Pick:
    """The take chosen for a shot."""

    shot_id: str
    attempt: int
    media: str
    cache_key: str | None
    picked_at: float
    loose_key: str | None = None
    duration_s: float | None = None



def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


class Ledger:
    """Thread-safe access to the ledger (plugins may report job ids from worker threads)."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        """``read_only``: open an existing ledger for reading only (no schema change, no
        write; a table an older ledger lacks reads as empty)."""
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.Lock()
        if read_only:
            self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                       check_same_thread=False, timeout=5.0)
            self._db.row_factory = sqlite3.Row
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=30.0
        )
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            # ledgers written before picks: the shot's request without its duration
            for table in ("shots", "picks"):
                have = {r["name"] for r in self._db.execute(f"PRAGMA table_info({table})")}
                for column, kind in (("loose_key", "TEXT"), ("duration_s", "REAL")):
                    if column not in have:
                        self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            # ledgers written before the jobs table: jobs of killed renders are still open
            self._db.execute(
                "INSERT OR IGNORE INTO jobs (job_id, provider, cache_key, model, status, cost, "
                "production_id, attempt_id, submitted_at) SELECT job_id, provider, cache_key, "
                "model, 'open', cost, production_id, id, started_at FROM attempts "
                "WHERE job_id IS NOT NULL AND status='interrupted' AND provider IS NOT NULL "
                "AND cache_key IS NOT NULL"
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._lock:
            try:
                return [dict(r) for r in self._db.execute(sql, args).fetchall()]
            except sqlite3.OperationalError as exc:
                if self.read_only and "no such table" in str(exc):
                    return []  # an older ledger, opened read-only: nothing recorded there
                raise

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

    def shot(self, production_id: int, shot_id: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM shots WHERE production_id=? AND shot_id=?",
                          (production_id, shot_id))
        return rows[0] if rows else None

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

    # -- jobs ----------------------------------------------------------------------------

    def add_job(self, job_id: str, *, provider: str, cache_key: str, model: str | None,
                cost: Decimal, production_id: int, attempt_id: int) -> bool:
        """Record a newly reported job (open). Returns False when it was already known (a
        provider reporting the job it re-attached to): its cost is then not counted again."""
        cur = self._exec(
            "INSERT OR IGNORE INTO jobs (job_id, provider, cache_key, model, status, cost, "
            "production_id, attempt_id, submitted_at) VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?)",
            (job_id, provider, cache_key, model, str(cost), production_id, attempt_id,
             time.time()),
        )
        return bool(cur.rowcount)

    def open_job(self, cache_key: str, provider: str) -> str | None:
        """The newest job for exactly this request that can still deliver, or ``None``."""
        rows = self._rows(
            "SELECT job_id FROM jobs WHERE cache_key=? AND provider=? AND status='open' "
            "ORDER BY submitted_at DESC, rowid DESC LIMIT 1",
            (cache_key, provider),
        )
        return rows[0]["job_id"] if rows else None

    def job(self, job_id: str, provider: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM jobs WHERE job_id=? AND provider=?", (job_id, provider))
        return rows[0] if rows else None

    def charge_job(self, job_id: str, provider: str, cost: Decimal | None = None) -> Decimal:
        """The cost to count for this job now: its cost the first time, 0 ever after (a job
        is paid once however many attempts re-attach to it). ``cost`` replaces the estimate
        recorded at submission when the provider reported the real price."""
        with self._lock:
            row = self._db.execute(
                "SELECT cost, counted FROM jobs WHERE job_id=? AND provider=?", (job_id, provider)
            ).fetchone()
            if row is None or row["counted"]:
                return Decimal(0)
            amount = cost if cost is not None else Decimal(row["cost"] or 0)
            self._db.execute(
                "UPDATE jobs SET counted=1, cost=? WHERE job_id=? AND provider=?",
                (str(amount), job_id, provider),
            )
            return amount

    def reattached(self, job_id: str, provider: str) -> None:
        self._exec(
            "UPDATE jobs SET reattached=reattached+1 WHERE job_id=? AND provider=?",
            (job_id, provider),
        )
        self._exec(
            "UPDATE attempts SET status='resumed' WHERE job_id=? AND status='interrupted'",
            (job_id,),
        )

    def invalid_delivery(self, job_id: str, provider: str) -> int:
        """Count a delivery of this job that failed validation; returns the count so far."""
        self._exec(
            "UPDATE jobs SET invalid_deliveries=invalid_deliveries+1 WHERE job_id=? AND "
            "provider=?", (job_id, provider),
        )
        rows = self._rows("SELECT invalid_deliveries FROM jobs WHERE job_id=? AND provider=?",
                          (job_id, provider))
        return int(rows[0]["invalid_deliveries"]) if rows else 0

    def finish_job(self, job_id: str, provider: str, status: str,
                   error: BaseException | str | None = None) -> None:
        """Close a job: ``delivered`` or ``failed`` (it can deliver no more)."""
        self._exec(
            "UPDATE jobs SET status=?, finished_at=?, error=? WHERE job_id=? AND provider=?",
            (status, time.time(), None if error is None else str(error), job_id, provider),
        )

    def jobs(self, cache_key: str | None = None) -> list[dict[str, Any]]:
        if cache_key is None:
            return self._rows("SELECT * FROM jobs ORDER BY submitted_at, rowid")
        return self._rows("SELECT * FROM jobs WHERE cache_key=? ORDER BY submitted_at, rowid",
                          (cache_key,))

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

    # -- takes and picks -----------------------------------------------------------------

    @property
    def _TAKES(self) -> str:  # noqa: N802 - a query
        with self._lock:
            have = {r["name"] for r in self._db.execute("PRAGMA table_info(shots)")}
        extra = ", ".join(f"s.{c} AS {a}" if c in have else f"NULL AS {a}"
                          for c, a in (("loose_key", "loose_key"),
                                       ("duration_s", "shot_duration_s")))
        return (f"SELECT a.*, s.cache_key AS shot_key, {extra} FROM attempts a LEFT JOIN "
                "shots s ON s.production_id = a.production_id AND s.shot_id = a.shot_id "
                "WHERE a.stage = 'generate' AND a.media IS NOT NULL")

    def takes(self, shot_id: str, limit: int | None = None) -> list[Take]:
        """Every delivered take of ``shot_id`` (all renders, identity-gate attempts
        included), newest first."""
        rows = self._rows(self._TAKES + " AND a.shot_id = ? ORDER BY a.id DESC LIMIT ?",
                          (shot_id, -1 if limit is None else int(limit)))
        return [_take(r) for r in rows]

    def take(self, attempt_id: int) -> Take | None:
        rows = self._rows(self._TAKES + " AND a.id = ?", (int(attempt_id),))
        return _take(rows[0]) if rows else None

    def take_of(self, shot_id: str, media: str, cache_key: str | None = None) -> Take | None:
        """The newest take of ``shot_id`` that delivered ``media`` (a take made again with
        the same bytes is the same clip), one made for ``cache_key`` first."""
        rows = self._rows(self._TAKES + " AND a.shot_id = ? AND a.media = ? ORDER BY "
                          "(s.cache_key IS ?) DESC, a.id DESC LIMIT 1",
                          (shot_id, media, cache_key))
        return _take(rows[0]) if rows else None

    def pick_take(self, shot_id: str, attempt_id: int) -> Pick:
        """Choose take ``attempt_id`` for ``shot_id`` (replacing an earlier pick). Raises
        ``KeyError`` unless it is a delivered take of that shot."""
        take = self.take(attempt_id)
        if take is None or take.shot_id != shot_id:
            raise KeyError(f"attempt {attempt_id} is not a delivered take of {shot_id}")
        now = time.time()
        self._exec("INSERT OR REPLACE INTO picks (shot_id, attempt_id, media, cache_key, "
                   "loose_key, duration_s, picked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (shot_id, take.attempt, take.media, take.shot_key, take.loose_key,
                    take.duration_s, now))
        return Pick(shot_id=shot_id, attempt=take.attempt, media=take.media,
                    cache_key=take.shot_key, picked_at=now, loose_key=take.loose_key,
                    duration_s=take.duration_s)

    def pick(self, shot_id: str) -> Pick | None:
        rows = self._rows("SELECT * FROM picks WHERE shot_id = ?", (shot_id,))
        return _pick(rows[0]) if rows else None

    def picks(self) -> dict[str, Pick]:
        """Shot id -> its pick."""
        return {r["shot_id"]: _pick(r) for r in self._rows("SELECT * FROM picks ORDER BY "
                                                           "shot_id")}

    def clear_pick(self, shot_id: str) -> bool:
        """Forget the pick of ``shot_id``; whether there was one."""
        return bool(self._exec("DELETE FROM picks WHERE shot_id = ?", (shot_id,)).rowcount)

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


def _take(r: Mapping[str, Any]) -> Take:
    try:
        scores = json.loads(r["scores"]) if r["scores"] else None
    except ValueError:
        scores = None
    return Take(attempt=int(r["id"]), production=int(r["production_id"]), shot_id=r["shot_id"],
                media=r["media"], shot_key=r["shot_key"], loose_key=r.get("loose_key"),
                duration_s=r.get("shot_duration_s"), provider=r["provider"],
                model=r["model"], seed=r["seed"], status=r["status"],
                cost=None if r["cost"] is None else Decimal(r["cost"]),
                started_at=float(r["started_at"]), finished_at=r["finished_at"],
                scores=scores if isinstance(scores, dict) else None)


def _pick(r: Mapping[str, Any]) -> Pick:
    return Pick(shot_id=r["shot_id"], attempt=int(r["attempt_id"]), media=r["media"],
                cache_key=r["cache_key"], picked_at=float(r["picked_at"]),
                loose_key=r.get("loose_key"), duration_s=r.get("duration_s"))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value
