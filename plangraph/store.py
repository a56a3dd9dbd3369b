"""Load RDF files into a pyoxigraph store, one named graph per plan edition, ontology and registry.

The naming rule lives here and nowhere else (docs/MODEL.md states it for people): a Turtle file
that describes one `owl:Ontology` or one `pg:PlanEdition` is loaded into the graph named by that
IRI, any other triple file into `<base>graph/<stem>`; TriG and N-Quads keep the graphs they name.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from plangraph.config import BASE_IRI
from plangraph.errors import InputError, syntax_location

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
GRAPH_NAMING_CLASSES = {
    ox.NamedNode("http://www.w3.org/2002/07/owl#Ontology"),
    ox.NamedNode("https://w3id.org/plangraph/ontology#PlanEdition"),
}
FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".n3": ox.RdfFormat.N3,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}
MANIFEST = "plangraph-sources.json"


@dataclass(frozen=True)
class LoadedFile:
    path: Path
    graph: str | None  # None: a dataset format that names its own graphs
    quads: int


@dataclass
class GraphStore:
    """A pyoxigraph store plus what was loaded into it (for stats, VoID and FROM checks)."""

    store: ox.Store
    files: list[LoadedFile] = field(default_factory=list)
    path: Path | None = None
    prefixes: dict[str, str] = field(default_factory=dict)  # as the files declare them
    reopened: bool = False  # an on-disk store reused because its sources had not changed

    def named_graphs(self) -> set[str]:
        return {g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode)}

    def query(self, sparql: str, **kwargs: object) -> object:
        """Run a trusted, internal query over the union of all graphs."""
        kwargs.setdefault("use_default_graph_as_union", True)
        return self.store.query(sparql, **kwargs)

    def __len__(self) -> int:
        return len(self.store)


def iter_rdf_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every RDF file under the given files and folders, in a stable order."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in FORMATS and not _hidden(child, path):
                    yield child
        elif path.is_file():
            yield path
        else:
            raise InputError("no such file or folder / 文件或目录不存在", file=str(path))


def parse_file(
    path: Path, prefixes: dict[str, str] | None = None
) -> tuple[list[ox.Quad], str | None]:
    """Parse one file; returns its quads (already in their graph) and the graph it went into.

    The prefixes the file declares are added to `prefixes`, for serialisations people read."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"unknown RDF file extension {path.suffix!r} / 无法识别的 RDF 文件扩展名 "
            f"(known: {', '.join(sorted(FORMATS))})",
            file=str(path),
        )
    data = path.read_bytes()
    quads = parse_bytes(data, fmt, source=str(path), prefixes=prefixes)
    if fmt.supports_datasets:
        return quads, None
    graph = graph_name_for(quads, path.stem)
    named = ox.NamedNode(graph)
    return [ox.Quad(q.subject, q.predicate, q.object, named) for q in quads], graph


def parse_bytes(
    data: bytes, fmt: ox.RdfFormat, *, source: str, prefixes: dict[str, str] | None = None
) -> list[ox.Quad]:
    """Parse RDF bytes, turning every failure into an InputError that says where."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise InputError(
            "not UTF-8 text (GBK/GB18030? convert it with iconv -f GB18030 -t UTF-8) / "
            "不是 UTF-8 编码（可能是 GBK/GB18030，请先转换为 UTF-8）",
            file=source,
            line=line,
            column=column,
        ) from None
    try:
        parser = ox.parse(data, format=fmt, base_iri=BASE_IRI)
        quads = list(parser)
    except SyntaxError as err:
        line, column, message = syntax_location(err)
        raise InputError(
            f"{fmt.name} syntax error / 语法错误: {message}", file=source, line=line, column=column
        ) from None
    if prefixes is not None and fmt in {ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N3}:
        for name, iri in parser.prefixes.items():
            prefixes.setdefault(name, iri)
    return quads


def graph_name_for(quads: list[ox.Quad], stem: str) -> str:
    """The naming rule: the one ontology or plan edition a file describes, else its registry."""
    subjects = {
        q.subject.value
        for q in quads
        if q.predicate == RDF_TYPE
        and q.object in GRAPH_NAMING_CLASSES
        and isinstance(q.subject, ox.NamedNode)
    }
    if len(subjects) == 1:
        return subjects.pop()
    return f"{BASE_IRI}graph/{stem}"


def load(paths: Iterable[Path], store_dir: Path | None = None) -> GraphStore:
    """Load files into a new in-memory store, or reuse an unchanged on-disk one."""
    files = list(iter_rdf_files(paths))
    if store_dir is None:
        return _fill(ox.Store(), files)
    fingerprint = _fingerprint(files)
    manifest = store_dir / MANIFEST
    if manifest.is_file() and json.loads(manifest.read_text()).get("files") == fingerprint:
        saved = json.loads(manifest.read_text())
        loaded = [LoadedFile(Path(f["path"]), f["graph"], f["quads"]) for f in saved["loaded"]]
        return GraphStore(ox.Store(str(store_dir)), loaded, store_dir, saved["prefixes"], True)
    if store_dir.exists():
        shutil.rmtree(store_dir)
    store_dir.mkdir(parents=True)
    graph_store = _fill(ox.Store(str(store_dir)), files)
    graph_store.path = store_dir
    graph_store.store.flush()
    manifest.write_text(
        json.dumps(
            {
                "files": fingerprint,
                "prefixes": graph_store.prefixes,
                "loaded": [
                    {"path": str(f.path), "graph": f.graph, "quads": f.quads}
                    for f in graph_store.files
                ],
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    return graph_store


def open_read_only(store_dir: Path) -> ox.Store:
    """A second handle on an on-disk store, for worker processes."""
    return ox.Store.read_only(str(store_dir))


def _fill(store: ox.Store, files: list[Path]) -> GraphStore:
    loaded, prefixes = [], {}
    for path in files:
        quads, graph = parse_file(path, prefixes)
        store.extend(quads)
        loaded.append(LoadedFile(path, graph, len(quads)))
    return GraphStore(store, loaded, prefixes=prefixes)


def _fingerprint(files: list[Path]) -> list[list[object]]:
    return [[str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns] for p in files]


def _hidden(child: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in child.relative_to(root).parts)
