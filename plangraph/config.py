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
    threads: int = 16
    # The IRI prefix the data uses, and the one this server answers under; equal by default,
    # different when the same data is served under another domain.
    base_iri: str = BASE_IRI
    public_base: str | None = None
    default_lang: str = "zh"

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
    if name in {"port", "max_rows", "max_body_bytes", "workers", "threads"}:
        return int(raw)
    if name == "query_timeout":
        return float(raw)
    return raw
