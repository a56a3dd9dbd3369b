"""Validate plan editions against the SHACL shapes in shapes/, with pySHACL over an Oxigraph store.

The shapes are the rules; this module only decides what data to validate, runs pySHACL and turns
its report into `Result`s. Files given for validation are loaded together with their context (the
ontology and the shared registries: institutions, places, themes, sources, plans), so a new edition
may refer to existing institutions without copying them; only results whose focus node the
validated files describe are reported. A validated file replaces the context file that loads into
the same named graph, so a changed copy of a registry is validated instead of the shipped one.

pySHACL is given a `pyoxigraph.Store`, so the SPARQL-based constraints (declared counts, task
numbering, unknown terms) run on Oxigraph's engine rather than rdflib's, and no inference runs
unless asked for. When it is (`rdfs`, `owlrl`, `both`), the closure is computed here with owlrl
on an rdflib copy of the data, because owlrl's own Oxigraph adapter fails on the literal subjects
RDFS rule rdfs4b produces; the entailed triples go into the store in their own named graph.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import pyshacl
from pyshacl.graph_abstraction import OxigraphDataGraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from plangraph.config import data_dir, default_data
from plangraph.errors import InputError
from plangraph.namespace import DCTERMS, OWL, PG, PREFIXES, RDF, RDFS, SH
from plangraph.store import FORMATS, graph_name_for, iter_rdf_files, parse_bytes, parse_file

SHAPES_DIR = data_dir("shapes")
INFERENCE = ("none", "rdfs", "owlrl", "both")
# Entailed triples live in a named graph of their own, so they are never mistaken for the
# validated files' content.
INFERRED_GRAPH = ox.NamedNode("urn:plangraph:inferred")
SEVERITIES = ("Violation", "Warning", "Info")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# pySHACL patches rdflib globally while it loads a shapes graph; one validation at a time per
# process (the server's threads queue here; the benchmark runs processes in parallel).
_PYSHACL = threading.Lock()

# rdflib logs a warning with a traceback for every ill-typed literal it meets ("2023-02-30"^^
# xsd:date); the shapes report those literals as results, so the traceback is only noise.
logging.getLogger("rdflib.term").setLevel(logging.ERROR)

_TYPE = ox.NamedNode(str(RDF.type))
_LABEL = ox.NamedNode(str(RDFS.label))
_TITLE = ox.NamedNode(str(DCTERMS.title))
_IN_EDITION = ox.NamedNode(str(PG.inEdition))
_EVIDENCE = ox.NamedNode(str(PG.evidence))
_EDITION = ox.NamedNode(str(PG.PlanEdition))
_ONTOLOGY = ox.NamedNode(str(OWL.Ontology))


@dataclass(frozen=True)
class Result:
    """One validation result, in the terms a curator reads: where, what, how bad, why."""

    severity: str  # "Violation", "Warning" or "Info"
    focus: str  # IRI, or "_:id" for a blank node
    focus_label: dict[str, str]  # language → label
    path: str | None  # a SPARQL property path in prefixed form, e.g. "^pg:inEdition"
    value: str | None  # the offending value in Turtle form, e.g. "\"abc\"" or "pg:Taks"
    messages: dict[str, str]  # language → message
    component: str  # sh:sourceConstraintComponent, prefixed (sh:MinCountConstraintComponent)
    shape: str  # sh:sourceShape, prefixed (pgsh:Task-text), or "_:id"
    edition: str  # the edition (or registry graph) the focus node belongs to

    def message(self, lang: str) -> str:
        return pick_language(self.messages, lang)

    def label(self, lang: str) -> str:
        return pick_language(self.focus_label, lang)


@dataclass
class Report:
    """The results in scope, the standard report graph, and what was validated against what."""

    results: list[Result]
    graph: Graph  # sh:ValidationReport holding exactly `results`
    validated: list[str]  # the files (or "request body") whose content is reported
    context: list[str]  # files loaded alongside, not reported
    groups: dict[str, dict[str, str]] = field(default_factory=dict)  # edition IRI → labels
    seconds: float = 0.0
    triples: int = 0

    def count(self, severity: str) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    @property
    def conforms(self) -> bool:
        """SHACL's sense: no result of any severity."""
        return not self.results

    def passes(self, strict: bool = False) -> bool:
        """No violation; with `strict`, no warning either (infos never fail)."""
        failing = {"Violation", "Warning"} if strict else {"Violation"}
        return not any(r.severity in failing for r in self.results)


# --- loading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    source: str
    quads: tuple[ox.Quad, ...]
    graphs: frozenset[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]
    kind: str  # "ontology", "edition" or "registry"


def _kind(quads: Sequence[ox.Quad]) -> str:
    typed = {q.object for q in quads if q.predicate == _TYPE}
    if _ONTOLOGY in typed:
        return "ontology"
    if _EDITION in typed:
        return "edition"
    return "registry"


def _parse_path(path: Path, max_bytes: int) -> _Parsed:
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"file too large to validate ({size / 2**20:.1f} MiB > limit "
            f"{max_bytes / 2**20:.1f} MiB; PLANGRAPH_MAX_BODY_BYTES raises it) / "
            "文件过大，无法校验",
            file=str(path),
        )
    quads, _ = parse_file(path)
    if not quads:
        raise InputError(
            "no RDF statements: the file is empty / 文件中没有 RDF 三元组", file=str(path)
        )
    return _Parsed(str(path), tuple(quads), frozenset(q.graph_name for q in quads), _kind(quads))


@lru_cache(maxsize=64)
def _parse_cached(path: str, size: int, mtime_ns: int) -> _Parsed:
    """Context files are parsed once per process while unchanged (the server reuses them)."""
    del size, mtime_ns  # part of the cache key only
    quads, _ = parse_file(Path(path))
    return _Parsed(path, tuple(quads), frozenset(q.graph_name for q in quads), _kind(quads))


def _parse_context(path: Path) -> _Parsed:
    stat = path.stat()
    return _parse_cached(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _load_shapes_cached(key: tuple[tuple[str, int], ...]) -> Graph:
    shapes = Graph()
    for path, _ in key:
        shapes.parse(path, format="turtle")
    return shapes


def load_shapes(shapes_dir: Path = SHAPES_DIR) -> Graph:
    """The shapes graph: every Turtle file of shapes/, parsed once per process while unchanged."""
    files = sorted(shapes_dir.glob("*.ttl"))
    if not files:
        raise InputError("no shapes found / 没有找到 SHACL 约束文件", file=str(shapes_dir))
    return _load_shapes_cached(tuple((str(p), p.stat().st_mtime_ns) for p in files))


# --- entry points ----------------------------------------------------------------------------


def validate_files(
    files: Sequence[Path] | None = None,
    *,
    data: Sequence[Path] | None = None,
    inference: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    shapes_dir: Path = SHAPES_DIR,
) -> Report:
    """Validate `files` with the ontology and registries of `data`; without files, all of `data`.

    `data` defaults to the shipped ontology/ and graph/. Raises InputError for a file that cannot
    be read (missing, too large, empty, not UTF-8, not RDF)."""
    started = time.perf_counter()
    data_files = list(iter_rdf_files(data if data is not None else default_data()))
    if not files:
        parsed = [_parse_context(p) for p in data_files]
        subject = [p for p in parsed if p.kind != "ontology"]
        context = [p for p in parsed if p.kind == "ontology"]
    else:
        subject = [_parse_path(p, max_bytes) for p in iter_rdf_files(files)]
        taken = set().union(*(p.graphs for p in subject))
        context = []
        for path in data_files:
            if Path(path).resolve() in {Path(p.source).resolve() for p in subject}:
                continue
            parsed_file = _parse_context(path)
            if parsed_file.kind != "edition" and not parsed_file.graphs & taken:
                context.append(parsed_file)
    return _run(subject, context, inference, shapes_dir, started)


def validate_bytes(
    body: bytes,
    fmt: ox.RdfFormat,
    *,
    data: Sequence[Path] | None = None,
    source: str = "request body",
    inference: str | None = None,
    shapes_dir: Path = SHAPES_DIR,
) -> Report:
    """Validate one serialised document (an HTTP body) with the ontology and registries."""
    started = time.perf_counter()
    quads = parse_bytes(body, fmt, source=source)
    if not quads:
        raise InputError("no RDF statements: the body is empty / 请求体中没有 RDF 三元组")
    if not fmt.supports_datasets:
        graph = ox.NamedNode(graph_name_for(quads, "request"))
        quads = [ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads]
    subject = [_Parsed(source, tuple(quads), frozenset(q.graph_name for q in quads), _kind(quads))]
    taken = set(subject[0].graphs)
    context = []
    for path in iter_rdf_files(data if data is not None else default_data()):
        parsed_file = _parse_context(path)
        if parsed_file.kind != "edition" and not parsed_file.graphs & taken:
            context.append(parsed_file)
    return _run(subject, context, inference, shapes_dir, started)


def format_for(path_or_media: str) -> ox.RdfFormat | None:
    """The RDF format for a file name (by extension) or a media type, None if unknown."""
    suffix = Path(path_or_media).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    try:
        return ox.RdfFormat.from_media_type(path_or_media)
    except (ValueError, TypeError):
        return None


# --- running pySHACL ------------------------------------------------------------------------


def _run(
    subject: list[_Parsed],
    context: list[_Parsed],
    inference: str | None,
    shapes_dir: Path,
    started: float,
) -> Report:
    store = ox.Store()
    for part in (*context, *subject):
        store.extend(part.quads)
    shapes = load_shapes(shapes_dir)
    with _PYSHACL:
        _entail(store, inference or "none")
        _, report_graph, _ = pyshacl.validate(
            _StoreGraph(store),
            shacl_graph=shapes,
            inference="none",
            advanced=True,  # sh:SPARQLTarget (SHACL-AF): targets chosen by one query
            inplace=True,  # the store is ours and thrown away: no copy
        )
    if not isinstance(report_graph, Graph):  # pySHACL's ValidationFailure: a broken shape
        raise RuntimeError(f"pySHACL could not run the shapes: {report_graph}")
    scope = set().union(*(p.graphs for p in subject))
    lookup = _Lookup(store, scope)
    kept: list[tuple[Node, Result]] = []
    for node in report_graph.objects(None, SH.result):
        result = _result(report_graph, node, lookup, shapes)
        if result is not None:
            kept.append((node, result))
    kept.sort(key=lambda item: _order(item[1]))
    results = [r for _, r in kept]
    return Report(
        results=results,
        graph=_report_graph(report_graph, kept),
        validated=[_display(p.source) for p in subject],
        context=[_display(p.source) for p in context],
        groups={r.edition: lookup.labels(_ox(URIRef(r.edition))) for r in results},
        seconds=time.perf_counter() - started,
        triples=len(store),
    )


def _entail(store: ox.Store, inference: str) -> None:
    """Add the RDFS and/or OWL 2 RL closure of the store's union graph to INFERRED_GRAPH.

    The semantics are pySHACL's own (its RDFS variant leaves out the noisiest axiomatic triples),
    so `--inference` means what it means to pySHACL; only the place the closure is computed
    differs."""
    if inference not in INFERENCE:
        raise InputError(f"unknown inference {inference!r}; one of {', '.join(INFERENCE)}")
    if inference == "none":
        return
    import owlrl
    from pyshacl.inference import CustomRDFSOWLRLSemantics, CustomRDFSSemantics

    semantics = {
        "rdfs": CustomRDFSSemantics,
        "owlrl": owlrl.OWLRL_Semantics,
        "both": CustomRDFSOWLRLSemantics,
    }[inference]
    graph = Graph()
    for quad in store:
        graph.add((_rdflib(quad.subject), _rdflib(quad.predicate), _rdflib(quad.object)))
    asserted = set(graph)
    owlrl.DeductiveClosure(semantics).expand(graph)
    store.extend(
        ox.Quad(_ox(s), _ox(p), _ox(o), INFERRED_GRAPH)  # type: ignore[arg-type]
        for s, p, o in graph
        if (s, p, o) not in asserted and not isinstance(s, Literal) and isinstance(p, URIRef)
    )


def _rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


class _StoreGraph(OxigraphDataGraph):
    """pySHACL's view of our store, always true in a boolean context.

    pySHACL writes `data_graph or shapes_graph` while building each result; without __bool__ Python
    calls __len__, which on an Oxigraph store runs COUNT(DISTINCT …) over all triples — 15 ms per
    result, which made one edition take 40 s instead of under one."""

    def __bool__(self) -> bool:
        return True


def _display(source: str) -> str:
    """A file name relative to the working directory or the repository, as a curator reads it."""
    path = Path(source)
    if not path.is_absolute() and not path.exists():
        return source  # "request body"
    for base in (Path.cwd(), data_dir("graph").parent):
        try:
            return str(path.resolve().relative_to(base))
        except ValueError:
            continue
    return source


def _order(result: Result) -> tuple[object, ...]:
    return (
        result.edition,
        SEVERITIES.index(result.severity),
        result.shape,
        _natural(result.focus),
        result.path or "",
        result.value or "",
    )


def _natural(iri: str) -> tuple[object, ...]:
    """Sort …/task/9 before …/task/10."""
    head, _, tail = iri.rpartition("/")
    return (head, int(tail)) if tail.isdigit() else (iri, 0)


class _Lookup:
    """Questions about focus nodes, answered from the validated store."""

    def __init__(self, store: ox.Store, scope: set[object]) -> None:
        self.store = store
        self.scope = scope

    def in_scope(self, node: ox.NamedNode | ox.BlankNode) -> bool:
        described = {q.graph_name for q in self.store.quads_for_pattern(node, None, None, None)}
        if described:
            return bool(described & self.scope)
        referenced = {q.graph_name for q in self.store.quads_for_pattern(None, None, node, None)}
        return bool(referenced & self.scope)

    def edition_of(self, node: ox.NamedNode | ox.BlankNode) -> str:
        """The edition a focus node belongs to: itself, its pg:inEdition, else its named graph."""
        if next(self.store.quads_for_pattern(node, _TYPE, _EDITION, None), None) is not None:
            return node.value
        for q in self.store.quads_for_pattern(node, _IN_EDITION, None, None):
            if isinstance(q.object, ox.NamedNode):
                return q.object.value
        graphs = [q.graph_name for q in self.store.quads_for_pattern(node, None, None, None)]
        graphs += [q.graph_name for q in self.store.quads_for_pattern(None, None, node, None)]
        for graph in sorted((g for g in graphs if g in self.scope), key=str):
            if isinstance(graph, ox.NamedNode):
                return graph.value
        return ""

    def labels(self, node: ox.NamedNode | ox.BlankNode) -> dict[str, str]:
        found: dict[str, str] = {}
        for predicate in (_LABEL, _TITLE):
            for q in self.store.quads_for_pattern(node, predicate, None, None):
                if isinstance(q.object, ox.Literal):
                    found.setdefault(q.object.language or "", q.object.value)
            if found:
                return found
        if isinstance(node, ox.BlankNode):
            # A span is named after what it is evidence for.
            for q in self.store.quads_for_pattern(None, _EVIDENCE, node, None):
                owner = self.labels(q.subject)
                unnamed = f"<{q.subject.value}>"  # an owner without a label is named by its IRI
                return {
                    "zh": f"来源片段：{pick_language(owner, 'zh') or unnamed}",
                    "en": f"evidence for {pick_language(owner, 'en') or unnamed}",
                }
        return found


def _result(report: Graph, node: Node, lookup: _Lookup, shapes: Graph) -> Result | None:
    focus = report.value(node, SH.focusNode)
    if focus is None:
        return None
    ox_focus = _ox(focus)
    if not isinstance(ox_focus, ox.NamedNode | ox.BlankNode) or not lookup.in_scope(ox_focus):
        return None
    path = report.value(node, SH.resultPath)
    value = report.value(node, SH.value)
    shape = report.value(node, SH.sourceShape)
    messages = _messages(report, node, shapes, shape)
    severity = report.value(node, SH.resultSeverity)
    return Result(
        severity=str(severity).rpartition("#")[2] if severity is not None else "Violation",
        focus=_plain(focus),
        focus_label=lookup.labels(ox_focus),
        path=render_path(report, path) if path is not None else None,
        value=_turtle(value) if value is not None else None,
        messages=messages,
        component=_short(str(report.value(node, SH.sourceConstraintComponent))),
        shape=_short(str(shape)) if isinstance(shape, URIRef) else f"_:{shape}",
        edition=lookup.edition_of(ox_focus),
    )


def _messages(report: Graph, node: Node, shapes: Graph, shape: Node | None) -> dict[str, str]:
    """The result's messages by language.

    pySHACL drops the language tag of a message it has filled in ({?value} …); the tag is
    recovered by matching the text against the shape's own sh:message templates."""
    templates: list[Literal] = []
    if shape is not None:
        owners = [shape, *shapes.objects(shape, SH.sparql)]
        found = (m for owner in owners for m in shapes.objects(owner, SH.message))
        templates = [m for m in found if isinstance(m, Literal)]
    messages: dict[str, str] = {}
    for message in report.objects(node, SH.resultMessage):
        if not isinstance(message, Literal):
            continue
        lang = message.language
        if lang is None:
            lang = next((t.language for t in templates if _matches(str(t), str(message))), None)
        messages.setdefault(lang or "", _shorten(str(message)))
    return messages


def _matches(template: str, text: str) -> bool:
    pattern = "".join(
        ".*?" if part.startswith("{") else re.escape(part)
        for part in re.split(r"(\{[?$]\w+\})", template)
    )
    return re.fullmatch(pattern, text, flags=re.S) is not None


def _shorten(text: str) -> str:
    """Our prefixed names for the IRIs pySHACL writes in full into messages."""

    def short(match: re.Match[str]) -> str:
        iri = match.group(0)
        trail = len(iri) - len(iri.rstrip(".:;,"))
        return _short(iri[: len(iri) - trail]) + iri[len(iri) - trail :]

    return re.sub(r"https?://[^\s()（）,，;；：。<>\"]+", short, text)


def _report_graph(report: Graph, keep: Sequence[tuple[Node, Result]]) -> Graph:
    """The standard sh:ValidationReport holding only the kept results (and what they point to),
    each message tagged with its language again."""
    out = Graph()
    for prefix, namespace in {**PREFIXES, "pgsh": "https://w3id.org/plangraph/shapes#"}.items():
        out.bind(prefix, namespace)
    root = BNode()
    out.add((root, RDF.type, SH.ValidationReport))
    out.add((root, SH.conforms, Literal(not keep)))
    for node, result in keep:
        out.add((root, SH.result, node))
        _copy_closure(report, node, out, set())
        out.remove((node, SH.resultMessage, None))
        for lang, message in result.messages.items():
            out.add((node, SH.resultMessage, Literal(message, lang=lang or None)))
    return out


def _copy_closure(source: Graph, node: Node, out: Graph, seen: set[Node]) -> None:
    if node in seen:
        return
    seen.add(node)
    for p, o in source.predicate_objects(node):
        out.add((node, p, o))
        if isinstance(o, BNode):
            _copy_closure(source, o, out, seen)


# --- terms -----------------------------------------------------------------------------------


def render_path(graph: Graph, path: Node) -> str:
    """A SHACL property path as SPARQL path syntax with our prefixes: ^pg:inEdition, a|b, p+."""
    if isinstance(path, URIRef):
        return _short(str(path))
    if graph.value(path, RDF.first) is not None:
        return "/".join(render_path(graph, p) for p in Collection(graph, path))
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return template.format(render_path(graph, inner))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(render_path(graph, p) for p in Collection(graph, alternatives))
    return str(path)


def _short(iri: str) -> str:
    prefixes = {**PREFIXES, "pgsh": "https://w3id.org/plangraph/shapes#"}
    for name, base in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
        if name != "pgr" and iri.startswith(base) and _local_ok(iri[len(base) :]):
            return f"{name}:{iri[len(base) :]}"
    return iri


def _local_ok(local: str) -> bool:
    return bool(local) and all(c.isalnum() or c in "_-." for c in local) and local[-1] != "."


def _turtle(term: Node) -> str:
    """A term as a curator would write it in Turtle, with our prefixes."""
    if isinstance(term, URIRef):
        short = _short(str(term))
        return short if short != str(term) else f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    assert isinstance(term, Literal)
    lexical = str(term).replace("\\", "\\\\").replace('"', '\\"')
    if term.language:
        return f'"{lexical}"@{term.language}'
    if term.datatype is None or str(term.datatype) == "http://www.w3.org/2001/XMLSchema#string":
        return f'"{lexical}"'
    datatype = _short(str(term.datatype))
    return f'"{lexical}"^^{datatype if datatype != str(term.datatype) else f"<{datatype}>"}'


def _plain(term: Node) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    assert isinstance(term, Literal)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def pick_language(texts: dict[str, str], lang: str) -> str:
    """The text in `lang`, else in the other of zh/en, else any."""
    for key in (lang, "en" if lang == "zh" else "zh", ""):
        if texts.get(key):
            return texts[key]
    return next(iter(texts.values()), "")
