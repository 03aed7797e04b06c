"""What a batch renders: films from a manifest, a folder, a glob or film files.

A manifest is a YAML (or JSON) file with a ``films:`` list; every entry names a film file
(relative to the manifest) and optional overrides::

    out: s3://bucket/series/          # optional: where every film is delivered
    max_cost: 20                      # optional: the whole batch's budget
    films:
      - film: episode-1/film.yaml
      - film: ad/film.yaml
        name: ad-de                   # the film's folder under the batch's out (unique)
        language: de-DE
        voice: de_DE-thorsten-medium  # the narrator's voice id
        voices: {mira: de_DE-eva-medium}
        provider: animatic            # every shot's video provider
        speech_provider: piper
        out: renders/ad-de            # this film's own output folder or URL

A film may be an fsspec URL (``s3://bucket/films/ep1/film.yaml``): its project is then pulled
into a working copy by the task that renders it (:mod:`ministudio.batch.remote`); a folder
URL means every ``film.yaml`` below it. A folder means every ``film.yaml`` below it (any depth; ``out/`` and ``.ministudio/``
skipped), or, when it has none, every ``*.yaml``/``*.yml``/``*.toml``/``*.json`` film directly
in it. A glob (``episodes/*/film.yaml``) means the film files it matches.
"""

from __future__ import annotations

import glob as globlib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ministudio.converter import structure
from ministudio.errors import ConfigError
from ministudio.film.overrides import SpeechOverrides

__all__ = ["BatchJob", "Manifest", "collect_jobs", "load_manifest"]

_FILM_SUFFIXES = (".yaml", ".yml", ".toml", ".json")
_SKIP_DIRS = {"out", ".ministudio", ".git", "node_modules", "__pycache__"}


@attrs.frozen(kw_only=True)
class BatchJob:
    """One film of a batch and what to change about it for this render."""

    film: Path
    #: unique within the batch: the film's folder under the batch's ``out``, its row in the
    #: summary (default: the film's folder or file name, plus the language when overridden)
    name: str = ""
    language: str | None = None
    voice: str | None = None
    voices: Mapping[str, str] = attrs.field(factory=dict)
    provider: str | None = None
    speech_provider: str | None = None
    speech_model: str | None = None
    #: this film's own output folder or fsspec URL (default: under the batch's ``out``)
    out: str | None = None
    #: the film file's fsspec URL when its project is remote (``film`` is then the file's
    #: path in the project's local working copy, set by the task that renders it)
    source: str | None = None

    @property
    def project(self) -> Path:
        """The film's project folder: its ledger, media store and lock live there."""
        return self.film.parent

    @property
    def project_key(self) -> str:
        """The project's folder or URL: jobs with one key share a ledger."""
        return self.source.rsplit("/", 1)[0] if self.source else str(self.project.resolve())

    @property
    def speech(self) -> SpeechOverrides:
        return SpeechOverrides(language=self.language, voice=self.voice, voices=self.voices,
                               speech_provider=self.speech_provider,
                               speech_model=self.speech_model)


@attrs.frozen(kw_only=True)
class _Entry:
    film: str
    name: str | None = None
    language: str | None = None
    voice: str | None = None
    voices: dict[str, str] = attrs.field(factory=dict)
    provider: str | None = None
    speech_provider: str | None = None
    speech_model: str | None = None
    out: str | None = None


@attrs.frozen(kw_only=True)
class _ManifestFile:
    films: list[_Entry]
    out: str | None = None
    max_cost: Decimal | None = None


@attrs.frozen(kw_only=True)
class Manifest:
    """A loaded manifest: its jobs, and the batch-wide ``out`` and ``max_cost`` it sets."""

    jobs: tuple[BatchJob, ...]
    out: str | None = None
    max_cost: Decimal | None = None


def _read(path: Path) -> Any:
    import json

    import yaml

    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc


def is_manifest(path: Path) -> bool:
    """A YAML/JSON file whose top level has a ``films:`` list."""
    if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
        return False
    data = _read(path)
    return isinstance(data, Mapping) and isinstance(data.get("films"), list)


def load_manifest(path: str | Path) -> Manifest:
    """Read a manifest; every problem is listed in one :class:`ConfigError`."""
    path = Path(path)
    raw = structure(_read(path), _ManifestFile, what=f"batch manifest {path.name}")
    jobs = []
    for entry in raw.films:
        kw = attrs.asdict(entry, recurse=False)
        kw.pop("film")
        kw["name"] = kw.get("name") or ""
        if "://" in entry.film:
            jobs.append(_url_job(entry.film, **kw))
            continue
        film = Path(entry.film)
        if not film.is_absolute():
            film = path.parent / film
        jobs.append(BatchJob(film=film.resolve(), **kw))
    return Manifest(jobs=_named(jobs), out=raw.out, max_cost=raw.max_cost)


def _url_job(url: str, **kw: Any) -> BatchJob:
    """A job for a film file on an fsspec URL (its project is the URL's folder)."""
    from urllib.parse import urlsplit

    return BatchJob(film=Path("/" + urlsplit(url).netloc + urlsplit(url).path), source=url,
                    **kw)


def _url_films(url: str) -> list[str]:
    """The film files a URL names: itself, or every ``film.yaml`` below a folder URL."""
    if url.rstrip("/").endswith(_FILM_SUFFIXES):
        return [url]
    from ministudio.batch.sinks import Sink

    fs, root = Sink(url=url).filesystem()
    scheme = url.split("://", 1)[0]
    found = sorted(k for k in fs.glob(f"{root}/**/film.yaml")
                   if not _SKIP_DIRS & set(k[len(root):].strip("/").split("/")[:-1]))
    if not found:
        raise ConfigError(f"{url}: no film.yaml below this URL")
    return [f"{scheme}://{k}" for k in found]


def _films_in(folder: Path) -> list[Path]:
    found = [p for p in sorted(folder.rglob("film.yaml"))
             if not _SKIP_DIRS & set(p.relative_to(folder).parts[:-1])]
    if found:
        return found
    return [p for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix in _FILM_SUFFIXES and not is_manifest(p)]


def _default_name(job: BatchJob) -> str:
    base = job.film.parent.name if job.film.stem == "film" else job.film.stem
    return f"{base}-{job.language}" if job.language else base


def _named(jobs: list[BatchJob]) -> tuple[BatchJob, ...]:
    """Give every job its name; two jobs with one name are refused (they would share an out)."""
    out: list[BatchJob] = []
    seen: dict[str, Path] = {}
    problems = []
    for job in jobs:
        name = job.name or _default_name(job)
        if "/" in name or name in ("", ".", ".."):
            problems.append(f"{job.film}: name {name!r} is not a folder name")
        if name in seen:
            problems.append(f"{job.film}: name {name!r} is also used by {seen[name]}; "
                            "give one of them a `name:`")
        seen.setdefault(name, job.film)
        out.append(attrs.evolve(job, name=name))
    if problems:
        raise ConfigError("the batch names two films alike", problems=problems,
                          hint="names are the films' folders under the batch's out")
    return tuple(out)


def collect_jobs(sources: Iterable[str | Path]) -> Manifest:
    """Every film the sources name, in order (a film named twice is rendered once).

    The ``out`` and ``max_cost`` of a manifest are kept when it is the only source."""
    jobs: list[BatchJob] = []
    seen: set[tuple[Any, ...]] = set()
    out = max_cost = None
    sources = list(sources)
    for src in sources:
        path = Path(src)
        if "://" in str(src) and not str(src).startswith("file://"):
            found = [_url_job(u) for u in _url_films(str(src))]
        elif is_manifest(path):
            manifest = load_manifest(path)
            found = list(manifest.jobs)
            if len(sources) == 1:
                out, max_cost = manifest.out, manifest.max_cost
        elif path.is_dir():
            found = [BatchJob(film=p.resolve()) for p in _films_in(path)]
            if not found:
                raise ConfigError(f"{path}: no film files in this folder")
        elif path.is_file():
            found = [BatchJob(film=path.resolve())]
        else:
            matches = sorted(globlib.glob(str(src), recursive=True))
            if not matches:
                raise ConfigError(f"{src}: no such file, folder or matching films")
            found = [BatchJob(film=Path(m).resolve()) for m in matches if Path(m).is_file()]
        for job in found:
            key = (job.source or job.film, job.name, job.language, job.voice, tuple(sorted(job.voices.items())),
                   job.provider, job.speech_provider, job.speech_model, job.out)
            if key not in seen:
                seen.add(key)
                jobs.append(job)
    if not jobs:
        raise ConfigError("the batch has no films")
    return Manifest(jobs=_named([attrs.evolve(j, name=j.name) for j in jobs]), out=out,
                    max_cost=max_cost)
