"""The one home of configuration: defaults here, overridden by PLANGRAPH_* variables, then flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path

BASE_IRI = "https://w3id.org/plangraph/"
# The top-level data folders people edit; the wheel ships each as plangraph/<name>/.
DATA_FOLDERS = ("ontology", "graph", "shapes", "queries")


def data_dir(name: str) -> Path:
    """A shipped data folder: inside the installed package, or the checkout's own top-level one.

    The checkout's folder is the one source of truth; the build copies it into the wheel
    (pyproject's package-dir), so an installed plangraph finds it through importlib.resources."""
    packaged = Path(str(resources.files("plangraph"))) / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / name


def default_data() -> list[Path]:
    """The shipped dataset: the ontology and the graph (sources/ texts are skipped by extension)."""
    return [data_dir("ontology"), data_dir("graph")]


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 5000
    data: list[Path] = field(default_factory=default_data)
    store_dir: Path | None = None
    query_timeout: float = 10.0
    max_rows: int = 100_000
    max_body_bytes: int = 10 * 1024 * 1024
    write_token: str | None = None
    workers: int = max(2, os.cpu_count() or 2)
    # HTTP threads: a request waiting for a busy worker holds one, so there are more of them
    # than workers by far, and a cheap query need not wait for a thread behind slow ones.
    threads: int = 64
    # The IRI prefix the data uses, and the one this server answers under; equal by default,
    # different when the same data is served under another domain.
    base_iri: str = BASE_IRI
    public_base: str | None = None
    default_lang: str = "zh"
    # Limits on each request's work (docs/SECURITY.md, "Limits of the query engine").
    max_query_bytes: int = 256 * 1024  # a query or update longer than this: 413
    max_depth: int = 100  # nesting of braces/brackets/parentheses in SPARQL, JSON-LD, Turtle
    max_answer_bytes: int = 32 * 1024 * 1024  # answers are cut here, and say so
    worker_memory_mb: int = 1024  # address space a worker may add to what it inherits; 0: none
    # A worker that has come to hold this much memory of its own is replaced by a fresh fork
    # before its next job; 0: never. Off by default: reading pyoxigraph's in-memory store writes
    # to its pages, so a worker's own memory is mostly its copy of the store, and a fresh worker
    # pays for copying it again (docs/DEPLOYING.md, "Memory").
    worker_recycle_mb: int = 0
    # Main-pool workers read the whole in-memory store once in the background when they start,
    # so no query pays for copying the pages it reads (plangraph/engine.py, _warm); not with
    # --worker-recycle, nor for an on-disk store, nor for the fast lane (its queries are short).
    warm_workers: bool = True
    queue_timeout: float = 5.0  # wait for a free worker this long, then 503 + Retry-After
    # Every query first gets this long on a worker of its own "fast lane"; one that needs more
    # is stopped and run again in the main pool, whose workers run at a lower CPU priority. So
    # cheap queries are not queued behind slow ones. 0: no fast lane.
    fast_lane: float = 0.2
    fast_workers: int = 1
    validate_timeout: float = 30.0
    validate_max_bytes: int = 2 * 1024 * 1024
    update_timeout: float = 30.0
    site_cache_entries: int = 512  # pages' memo of facts about the data (LRU)
    # Refuse SERVICE/LOAD/remote FROM by parsing the query first. The workers have no network
    # either way; turning this off exists only to prove that (tests/test_security_network.py).
    service_check: bool = True
    # One JSON line per request (api/access_log.py): "-" standard error, "" none, else a file.
    access_log: str = "-"
    sandbox: str = "auto"  # how workers lose the network: auto (namespaces, else seccomp), seccomp
    # A remote SPARQL 1.1 Protocol engine to serve instead of the in-process store (remote.py).
    sparql_endpoint: str | None = None
    update_endpoint: str | None = None
    graph_store: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Config:
        """Defaults, then PLANGRAPH_<FIELD> variables, then explicit overrides (flags)."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = environ.get(f"PLANGRAPH_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _convert(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def _convert(name: str, raw: str) -> object:
    if name == "data":
        return [Path(p) for p in raw.split(os.pathsep) if p]
    if name == "store_dir":
        return Path(raw)
    kind = {f.name: f.type for f in fields(Config)}.get(name)
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "bool":
        return raw.strip().lower() not in {"0", "false", "no", "off", ""}
    return raw
