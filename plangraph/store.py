"""Load RDF files into a pyoxigraph store, one named graph per plan edition, ontology and registry.

The naming rule lives here and nowhere else (docs/MODEL.md states it for people): a Turtle file
that describes one `owl:Ontology` or one `pg:PlanEdition` is loaded into the graph named by that
IRI, any other triple file into `<base>graph/<stem>`; TriG and N-Quads keep the graphs they name.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from plangraph.config import BASE_IRI, data_dir
from plangraph.errors import InputError, StoreFull, syntax_location

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
MANIFEST = "plangraph-sources.json"  # written first and last: it marks a folder as our store
# XML entities expand when parsed: a few nested declarations make a literal of gigabytes (the
# "billion laughs"), and external ones name other files. RDF/XML needs neither, so a document that
# declares any is refused before a parser sees it.
_XML_ENTITY = re.compile(r"<!ENTITY|<!DOCTYPE[^>\[]*\b(?:SYSTEM|PUBLIC)\b")
JOURNAL = "plangraph-updates.jsonl"  # accepted updates, one line each (record_update)
# Blank nodes sent to a remote engine become IRIs under this prefix (RDF 1.1 skolemisation).
GENID = f"{BASE_IRI}.well-known/genid/"
# The SPARQL Update that writes the shortcut triples of the qualified nodes (docs/MODEL.md).
SHORTCUTS = "shortcuts.ru"


@dataclass(frozen=True)
class LoadedFile:
    path: Path
    graph: str | None  # None: a dataset format that names its own graphs
    quads: int


class Backend(Protocol):
    """The store operations plangraph reads through: `ox.Store` has them, and so does a remote
    SPARQL engine seen through plangraph.remote.RemoteStore (which also offers `prefetch`, a
    hint that many patterns follow; describe.py uses it where it exists)."""

    def query(self, query: str, **options: object) -> object: ...
    def quads_for_pattern(
        self, subject: object, predicate: object, object: object, graph_name: object = None
    ) -> Iterator[ox.Quad]: ...
    def named_graphs(self) -> Iterator[ox.NamedNode | ox.BlankNode]: ...
    def __iter__(self) -> Iterator[ox.Quad]: ...
    def __len__(self) -> int: ...


@dataclass
class GraphStore:
    """A store plus what was loaded into it (for stats, VoID and FROM checks)."""

    store: ox.Store  # or any Backend: pages and queries read it through that interface only
    files: list[LoadedFile] = field(default_factory=list)
    path: Path | None = None
    prefixes: dict[str, str] = field(default_factory=dict)  # as the files declare them
    reopened: bool = False  # an on-disk store reused because its sources had not changed
    updates: int = 0  # accepted updates in an on-disk store's journal

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
    fmt = _format(path)
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
    _check_bytes(data, fmt, source)
    with _syntax_errors(fmt, source):
        parser = ox.parse(data, format=fmt, base_iri=BASE_IRI)
        quads = list(parser)
    _add_prefixes(parser, fmt, prefixes)
    return quads


def load_file(store: ox.Store, path: Path, prefixes: dict[str, str] | None = None) -> LoadedFile:
    """Load one file into `store` in its graph (the naming rule), and say what went where.

    The file is parsed twice: once in Python, keeping no quad, to check it (errors say where),
    count it, read its prefixes and find the subject that names its graph; then by pyoxigraph's
    own loader, which builds no Python object per triple. Building a `Quad` per triple, and
    another to put it in its graph, made loading three times slower (10 million triples did
    not load in reasonable time)."""
    fmt = _format(path)
    data = path.read_bytes()
    source = str(path)
    _check_bytes(data, fmt, source)
    count, namers = 0, set()
    with _syntax_errors(fmt, source):
        parser = ox.parse(data, format=fmt, base_iri=BASE_IRI)
        for quad in parser:
            count += 1
            if quad.predicate == RDF_TYPE and quad.object in GRAPH_NAMING_CLASSES:
                namers.add(quad.subject)
    _add_prefixes(parser, fmt, prefixes)
    graph = None if fmt.supports_datasets else _graph_name(namers, path.stem)
    store.load(
        data,
        format=fmt,
        base_iri=BASE_IRI,
        to_graph=ox.NamedNode(graph) if graph is not None else None,
    )
    return LoadedFile(path, graph, count)


def _format(path: Path) -> ox.RdfFormat:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"unknown RDF file extension {path.suffix!r} / 无法识别的 RDF 文件扩展名 "
            f"(known: {', '.join(sorted(FORMATS))})",
            file=str(path),
        )
    return fmt


def _check_bytes(data: bytes, fmt: ox.RdfFormat, source: str) -> None:
    """UTF-8 only, and no XML entities: refused before any parser sees the bytes."""
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
    if fmt == ox.RdfFormat.RDF_XML:
        _refuse_xml_entities(data, source)


@contextlib.contextmanager
def _syntax_errors(fmt: ox.RdfFormat, source: str) -> Iterator[None]:
    """A parser's SyntaxError as an InputError with the file, line and column."""
    try:
        yield
    except SyntaxError as err:
        line, column, message = syntax_location(err)
        raise InputError(
            f"{fmt.name} syntax error / 语法错误: {message}", file=source, line=line, column=column
        ) from None


def _add_prefixes(
    parser: ox.QuadParser, fmt: ox.RdfFormat, prefixes: dict[str, str] | None
) -> None:
    if prefixes is not None and fmt in {ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N3}:
        for name, iri in parser.prefixes.items():
            prefixes.setdefault(name, iri)


def _refuse_xml_entities(data: bytes, source: str) -> None:
    found = _XML_ENTITY.search(data.decode("utf-8"))
    if found is None:
        return
    text = data.decode("utf-8")[: found.start()]
    raise InputError(
        "RDF/XML with a DTD entity declaration or external DTD is refused (entities can expand "
        "to gigabytes); write the IRIs out, or convert the file to Turtle / "
        "拒绝含 DTD 实体声明或外部 DTD 的 RDF/XML",
        file=source,
        line=text.count("\n") + 1,
        column=found.start() - (text.rfind("\n") + 1) + 1,
    )


def graph_name_for(quads: list[ox.Quad], stem: str) -> str:
    """The naming rule: the one ontology or plan edition a file describes, else its registry."""
    return _graph_name(
        {q.subject for q in quads if q.predicate == RDF_TYPE and q.object in GRAPH_NAMING_CLASSES},
        stem,
    )


def _graph_name(subjects: set[object], stem: str) -> str:
    named = {s.value for s in subjects if isinstance(s, ox.NamedNode)}
    if len(named) == 1:
        return named.pop()
    return f"{BASE_IRI}graph/{stem}"


def load(paths: Iterable[Path], store_dir: Path | None = None) -> GraphStore:
    """Load files into a new in-memory store, or reuse an unchanged on-disk one.

    An on-disk store is the sources plus the journal of accepted updates (JOURNAL): it is
    reopened as it is when neither changed since it was built, else rebuilt from the sources
    with the journal replayed on top, so a touched source never drops an accepted update."""
    files = list(iter_rdf_files(paths))
    if store_dir is None:
        return _fill(ox.Store(), files)
    fingerprint = _fingerprint(files)
    manifest = store_dir / MANIFEST
    saved = _manifest(store_dir)
    journal = read_journal(store_dir) if saved is not None else []
    if (
        saved is not None
        and saved.get("files") == fingerprint
        and saved.get("updates", 0) == len(journal)
    ):
        loaded = [LoadedFile(Path(f["path"]), f["graph"], f["quads"]) for f in saved["loaded"]]
        reopened = GraphStore(ox.Store(str(store_dir)), loaded, store_dir, saved["prefixes"], True)
        reopened.updates = len(journal)
        return reopened
    if saved is not None:
        # our own store, built from other sources (or cut short): rebuilt, its journal kept
        _empty(store_dir, keep={MANIFEST, JOURNAL})
    try:
        store_dir.mkdir(parents=True, exist_ok=True)
        # The marker goes in before RocksDB writes anything, so a build cut short (disk full,
        # killed) is recognised as ours and rebuilt next time, not refused as someone's folder.
        manifest.write_text(json.dumps({"files": None}))
        graph_store = _fill(ox.Store(str(store_dir)), files)
        graph_store.path = store_dir
        for removed, added in journal:  # accepted updates, on top of the sources as they are now
            apply_change(graph_store.store, removed, added)
        graph_store.store.flush()
    except OSError as err:
        raise InputError(
            f"cannot build the store: {err.strerror or err} / 无法建立存储", file=str(store_dir)
        ) from None
    graph_store.updates = len(journal)
    _write_manifest(manifest, _manifest_text(graph_store, fingerprint))
    return graph_store


def _manifest_text(graph_store: GraphStore, fingerprint: list[list[object]] | None) -> str:
    return json.dumps(
        {
            "files": fingerprint,
            "updates": graph_store.updates,
            "prefixes": graph_store.prefixes,
            "loaded": [
                {"path": str(f.path), "graph": f.graph, "quads": f.quads} for f in graph_store.files
            ],
        },
        ensure_ascii=False,
        indent=1,
    )


def record_update(graph_store: GraphStore, removed: bytes, added: bytes) -> None:
    """Apply an accepted update's change; on disk, journal it (fsync) first, flush after.

    Returns only when the change is durable, so an acknowledged update survives a crash."""
    if graph_store.path is not None:
        line = json.dumps({"remove": removed.decode(), "add": added.decode()}, ensure_ascii=False)
        _append_journal(graph_store.path / JOURNAL, line)
    try:
        apply_change(graph_store.store, removed, added)
        if graph_store.path is not None:
            graph_store.store.flush()
    except OSError as err:
        if graph_store.path is None:
            raise
        # Journalled but not applied (a full disk): the manifest's count now lags the journal,
        # so the next start rebuilds and replays it. Say so rather than "nothing was written".
        raise StoreFull(
            f"the store cannot be written ({err.strerror or err}): the update is journalled but "
            "not applied; it is applied when the server restarts with free space / "
            "存储无法写入：更新已记入日志但未应用，重启后应用",
            file=JOURNAL,
        ) from None
    if graph_store.path is not None:
        graph_store.updates += 1
        manifest = graph_store.path / MANIFEST
        saved = json.loads(manifest.read_text())
        saved["updates"] = graph_store.updates
        # not fsynced, and a count that cannot be written (a full disk) is no failure: the
        # update is durable in the journal; a stale count only makes the next start replay it
        with contextlib.suppress(InputError):
            _write_manifest(manifest, json.dumps(saved, ensure_ascii=False, indent=1))


def _append_journal(path: Path, line: str) -> None:
    """Append one line, durably, or nothing: a torn line would hide every later update.

    A last line without its newline was cut short by a crash and never answered; it is dropped
    before appending, so the new line does not run into it."""
    data = line.encode("utf-8") + b"\n"
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        size = _whole_lines(fd)
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        except OSError as err:
            os.ftruncate(fd, size)
            raise StoreFull(
                f"cannot journal the update: {err.strerror or err}; nothing was written / "
                "无法写入更新日志，未作任何更改",
                file=JOURNAL,
            ) from None
    finally:
        os.close(fd)


def _whole_lines(fd: int) -> int:
    """The journal's length up to its last newline, cutting off a torn last line."""
    size = os.fstat(fd).st_size
    end = size
    while end > 0:
        start = max(0, end - 65536)
        chunk = os.pread(fd, end - start, start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            end = start + newline + 1
            break
        end = start
    if end != size:
        os.ftruncate(fd, end)
    return end


def read_journal(store_dir: Path) -> list[tuple[bytes, bytes]]:
    """The accepted updates, in order; a last line cut short by a crash was never answered."""
    path = store_dir / JOURNAL
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            break
        entries.append((entry["remove"].encode(), entry["add"].encode()))
    return entries


def apply_change(store: ox.Store, removed: bytes, added: bytes) -> None:
    """A change worked out by a worker: N-Quads to remove and to add, blank nodes as labelled."""
    for quad in ox.parse(removed, format=ox.RdfFormat.N_QUADS):
        store.remove(quad)
    store.extend(ox.parse(added, format=ox.RdfFormat.N_QUADS))


def _write_manifest(manifest: Path, text: str) -> None:
    """Replace the manifest whole: a torn one would make the store unrecognisable."""
    temp = manifest.with_name(f".{manifest.name}.tmp")
    try:
        temp.write_text(text, encoding="utf-8")
        temp.replace(manifest)
    except OSError as err:
        temp.unlink(missing_ok=True)
        raise InputError(
            f"cannot write the store's manifest: {err.strerror or err} / 无法写入存储清单",
            file=str(manifest),
        ) from None


def _empty(folder: Path, keep: set[str] | None = None) -> None:
    """Remove what a folder holds, not the folder itself (it may be a mount point)."""
    for child in folder.iterdir():
        if keep and child.name in keep:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _manifest(store_dir: Path) -> dict[str, object] | None:
    """The manifest of the plangraph store in `store_dir`; None if the folder is absent or empty.

    Raises InputError for anything else: a file, or a folder with files that are not a store of
    ours. Such a folder is never emptied (it may hold the user's files)."""
    if not store_dir.exists():
        return None
    if not store_dir.is_dir():
        raise InputError(
            "--store must be a folder; this is a file / --store 须为目录", file=str(store_dir)
        )
    manifest = store_dir / MANIFEST
    if manifest.is_file():
        try:
            saved = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            saved = None
        return saved if isinstance(saved, dict) else {}  # ours, but unreadable: rebuilt
    if not any(store_dir.iterdir()):
        return None
    raise InputError(
        f"not empty and not a plangraph store (no {MANIFEST}); refusing to touch it: "
        "give a new or empty folder / 该目录非空且不是 plangraph 存储，拒绝覆盖",
        file=str(store_dir),
    )


def open_read_only(store_dir: Path) -> ox.Store:
    """A second handle on an on-disk store, for worker processes.

    Opening races the writer's compaction after an update (a file listed, then deleted), which
    RocksDB reports as corruption: a few tries, as the writer has moved on by then."""
    for attempt in range(10):
        try:
            return ox.Store.read_only(str(store_dir))
        except (OSError, RuntimeError):
            if attempt == 9:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _fill(store: ox.Store, files: list[Path]) -> GraphStore:
    loaded, prefixes = [], {}
    for path in files:
        loaded.append(load_file(store, path, prefixes))
    materialise_shortcuts(store)
    return GraphStore(store, loaded, prefixes=prefixes)


def materialise_shortcuts(store: ox.Store) -> None:
    """Write the direct properties (pg:leadInstitution, pg:deadlineYear …) of the qualified nodes.

    The rules are the SPARQL Update in ontology/shortcuts.ru; without the ontology's role concepts
    loaded, only pg:involvesInstitution and pg:deadlineYear are written."""
    store.update((data_dir("ontology") / SHORTCUTS).read_text(encoding="utf-8"))


def _fingerprint(files: list[Path]) -> list[list[object]]:
    return [[str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns] for p in files]


def _hidden(child: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in child.relative_to(root).parts)
