"""Run one SPARQL query safely and serialise its answer in the format the client negotiated.

Everything here runs inside a query worker (see engine.py) or in-process for the CLI; the safety
checks run in the server before any worker sees the query.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from itertools import islice

import pyoxigraph as ox

from plangraph.errors import (
    NotAcceptable,
    QueryRefused,
    QuerySyntaxError,
    UpdateRefused,
    syntax_location,
)

# --- formats -------------------------------------------------------------------------------

QRF = ox.QueryResultsFormat
RESULT_FORMATS: dict[str, tuple[str, ox.QueryResultsFormat]] = {
    "json": ("application/sparql-results+json", QRF.JSON),
    "xml": ("application/sparql-results+xml", QRF.XML),
    "csv": ("text/csv", QRF.CSV),
    "tsv": ("text/tab-separated-values", QRF.TSV),
}
GRAPH_FORMATS: dict[str, tuple[str, ox.RdfFormat]] = {
    "turtle": ("text/turtle", ox.RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "rdfxml": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
}
# Media types clients also send for the same formats.
RESULT_ALIASES = {"application/json": "json", "application/xml": "xml", "text/xml": "xml"}
GRAPH_ALIASES = {
    "application/json": "jsonld",
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
    "text/plain": "ntriples",
    "application/x-turtle": "turtle",
}
FORMAT_PARAM_ALIASES = {
    "ttl": "turtle",
    "nt": "ntriples",
    "n-triples": "ntriples",
    "json-ld": "jsonld",
    "rdf": "rdfxml",
    "rdf+xml": "rdfxml",
    "n3": "turtle",  # SPARQLWrapper's name; Turtle is valid N3
}


def negotiate(accept: str | None, format_param: str | None, kind: str) -> str:
    """Pick a format key for `kind` ("results" or "graph") from ?format= or Accept with q-values."""
    formats, aliases = (
        (RESULT_FORMATS, RESULT_ALIASES) if kind == "results" else (GRAPH_FORMATS, GRAPH_ALIASES)
    )
    if format_param:
        key = format_param.strip().lower()
        key = FORMAT_PARAM_ALIASES.get(key, key)
        if kind == "graph" and key in {"json", "xml"}:
            key = {"json": "jsonld", "xml": "rdfxml"}[key]
        if key in formats:
            return key
        for media, (_, _) in formats.items():
            if formats[media][0] == key:
                return media
        raise NotAcceptable(
            f"unknown format {format_param!r} for {kind}; use one of {', '.join(formats)} / "
            f"不支持的格式"
        )
    offered = [(media, key) for key, (media, _) in formats.items()]
    offered += [(media, key) for media, key in aliases.items()]
    return choose_media(accept, offered, what=kind)


def choose_media(accept: str | None, offered: list[tuple[str, str]], *, what: str) -> str:
    """Content negotiation (RFC 9110 §12.5.1): best q, then most specific range, then our order."""
    if not accept or not accept.strip():
        return offered[0][1]
    ranges = parse_accept(accept)
    best: tuple[float, int, int, str] | None = None
    for order, (media, key) in enumerate(offered):
        q, specificity = _quality(media, ranges)
        if q <= 0:
            continue
        candidate = (q, specificity, -order, key)
        if best is None or candidate[:3] > best[:3]:
            best = candidate
    if best is None:
        media_types = ", ".join(dict.fromkeys(m for m, _ in offered))
        raise NotAcceptable(
            f"nothing acceptable for Accept: {accept}; {what} are available as {media_types} / "
            "没有可接受的格式"
        )
    return best[3]


def parse_accept(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        fields_ = [f.strip() for f in part.split(";")]
        media = fields_[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields_[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges


def _quality(media: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    main = media.partition("/")[0]
    found: tuple[float, int] = (0.0, -1)
    for rng, q in ranges:
        r_main, _, r_sub = rng.partition("/")
        if rng == media:
            specificity = 2
        elif r_main == main and r_sub == "*":
            specificity = 1
        elif rng in {"*/*", "*"}:
            specificity = 0
        else:
            continue
        if specificity > found[1]:
            found = (q, specificity)
    return found


# --- looking at a query before running it -------------------------------------------------

# A lexer, not a parser: pyoxigraph parses, but exposes no algebra, and rdflib's parser costs
# milliseconds per query. Strings, IRIs and comments are consumed whole, so a keyword inside
# them never counts.
_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
      |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<pname>(?:[A-Za-z\u00c0-\uffff][\w.\-\u00b7\u00c0-\uffff]*)?:[\w.\-:%\u00c0-\uffff]*)
  | (?P<word>[A-Za-z_][\w\-]*)
  | (?P<other>\S)
    """,
    re.VERBOSE,
)
QUERY_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
UPDATE_WORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "MOVE",
    "COPY",
    "WITH",
}


@dataclass
class QueryInfo:
    form: str
    from_graphs: list[str] = field(default_factory=list)
    has_service: bool = False


def analyse(query: str) -> QueryInfo:
    """The query form, its FROM graphs and whether it calls SERVICE, from its tokens."""
    prefixes: dict[str, str] = {}
    form = ""
    froms: list[str] = []
    service = False
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(query)]
    tokens = [(k, v) for k, v in tokens if k != "comment"]
    for i, (kind, value) in enumerate(tokens):
        word = value.upper() if kind == "word" else ""
        if word == "PREFIX" and i + 2 < len(tokens) and tokens[i + 2][0] == "iri":
            prefixes[tokens[i + 1][1].rstrip(":")] = tokens[i + 2][1][1:-1]
        elif not form and (word in QUERY_FORMS or word in UPDATE_WORDS):
            form = word
        elif word == "SERVICE":
            service = True
        elif word == "FROM":
            j = i + 1
            if j < len(tokens) and tokens[j][1].upper() == "NAMED":
                j += 1
            if j < len(tokens):
                froms.append(_expand(tokens[j], prefixes))
    return QueryInfo(form or "", froms, service)


def _expand(token: tuple[str | None, str], prefixes: dict[str, str]) -> str:
    kind, value = token
    if kind == "iri":
        return value[1:-1]
    if kind == "pname" and ":" in value:
        prefix, _, local = value.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local
    return value


def check_query(query: str, known_graphs: set[str]) -> QueryInfo:
    """Refuse what a read-only, offline endpoint must not run; returns what it learnt."""
    info = analyse(query)
    if info.form in UPDATE_WORDS:
        raise UpdateRefused(
            "this endpoint is read-only: SPARQL Update is refused / 本端点只读，拒绝 SPARQL 更新"
        )
    if info.has_service:
        raise QueryRefused(
            "SERVICE is not allowed: this endpoint never fetches data from the network / "
            "不允许 SERVICE：本端点不会代查询访问网络"
        )
    for graph in info.from_graphs:
        if graph not in known_graphs:
            raise QueryRefused(
                f"FROM <{graph}> names no graph of this dataset, and remote data is never "
                f"fetched / FROM 指定的图不在本数据集中，且不会从网络加载"
            )
    return info


# --- running and serialising ---------------------------------------------------------------


@dataclass
class QueryJob:
    """Everything a worker needs to answer one request; plain data, so it pickles cheaply."""

    query: str
    fmt: str
    max_rows: int = 100_000
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    substitutions: dict[str, str] = field(default_factory=dict)  # var -> N-Triples term
    prefixes: dict[str, str] = field(default_factory=dict)
    base_iri: str | None = None  # relative IRIs in the query resolve against it


@dataclass
class QueryOutcome:
    body: bytes
    media_type: str
    truncated: bool
    rows: int


class _Enough(Exception):
    """Raised from inside a serialiser's write() to stop it once the row cap is passed."""


class _CappedLines(io.RawIOBase):
    """Collects serialised TSV and stops the serialiser after `limit` lines."""

    def __init__(self, limit: int) -> None:
        self.chunks: list[bytes] = []
        self.lines = 0
        self.limit = limit
        self.cut = False

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        data = bytes(b)
        newlines = data.count(b"\n")
        if self.lines + newlines >= self.limit:
            keep = self.limit - self.lines
            pos = -1
            for _ in range(keep):
                pos = data.index(b"\n", pos + 1)
            self.chunks.append(data[: pos + 1])
            self.lines = self.limit
            rest = data[pos + 1 :]
            if rest.strip() or newlines > keep:
                self.cut = True
                raise _Enough
            return len(data)
        self.chunks.append(data)
        self.lines += newlines
        return len(data)


def execute(store: ox.Store, job: QueryJob) -> QueryOutcome:
    """Run a checked query and serialise it; the row cap cuts, and says so, never silently."""
    try:
        result = store.query(job.query, **_dataset_options(job))
    except RuntimeError as err:
        if not job.substitutions:
            raise
        # pyoxigraph binds only variables the query projects (SEP-0007)
        raise QuerySyntaxError(
            f"cannot bind parameters {', '.join(sorted(job.substitutions))}: {err} / "
            "参数无法绑定：查询未投影该变量"
        ) from None
    except SyntaxError as err:
        line, column, message = syntax_location(err)
        raise QuerySyntaxError(
            f"SPARQL syntax error / SPARQL 语法错误: {message}", line=line, column=column
        ) from None
    if isinstance(result, ox.QueryBoolean):
        media, fmt = RESULT_FORMATS[job.fmt]
        out = io.BytesIO()
        result.serialize(out, fmt)
        return QueryOutcome(out.getvalue(), media, False, 1)
    if isinstance(result, ox.QuerySolutions):
        return _solutions(result, job)
    return _triples(result, job)


def _dataset_options(job: QueryJob) -> dict[str, object]:
    options: dict[str, object] = {"base_iri": job.base_iri}
    if job.default_graphs is not None:
        options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    else:
        options["use_default_graph_as_union"] = True
    if job.named_graphs is not None:
        options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    if job.substitutions:
        options["substitutions"] = {
            ox.Variable(name): parse_term(term) for name, term in job.substitutions.items()
        }
    return options


def _solutions(solutions: ox.QuerySolutions, job: QueryJob) -> QueryOutcome:
    # Serialise to TSV first, in Rust, stopping after max_rows; then re-read that TSV and write
    # the asked format, again in Rust. pyoxigraph cannot serialise a cut iterator directly.
    capped = _CappedLines(job.max_rows + 1)  # + the header line
    try:
        solutions.serialize(capped, QRF.TSV)
    except (_Enough, OSError, RuntimeError):
        if not capped.cut:
            raise
    tsv = b"".join(capped.chunks)
    rows = max(capped.lines - 1, 0)
    media, fmt = RESULT_FORMATS[job.fmt]
    if fmt == QRF.TSV:
        body = tsv
    else:
        out = io.BytesIO()
        ox.parse_query_results(tsv, QRF.TSV).serialize(out, fmt)
        body = out.getvalue()
        if capped.cut and fmt == QRF.JSON:
            flag = b'{"truncated":true,"maxRows":%d,' % job.max_rows
            body = flag + body.lstrip()[1:]
    return QueryOutcome(body, media, capped.cut, rows)


def _triples(triples: ox.QueryTriples, job: QueryJob) -> QueryOutcome:
    kept = list(islice(triples, job.max_rows + 1))
    cut = len(kept) > job.max_rows
    kept = kept[: job.max_rows]
    media, fmt = GRAPH_FORMATS[job.fmt]
    body = serialize_triples(kept, fmt, job.prefixes)
    return QueryOutcome(body, media, cut, len(kept))


def serialize_triples(
    triples: list[ox.Triple], fmt: ox.RdfFormat, prefixes: dict[str, str]
) -> bytes:
    out = io.BytesIO()
    if fmt in {ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML, ox.RdfFormat.JSON_LD}:
        ox.serialize(triples, out, fmt, prefixes=prefixes or None)
    else:
        ox.serialize(triples, out, fmt)
    return out.getvalue()


def parse_term(term: str) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """An RDF term from its N-Triples form, read by pyoxigraph's own parser."""
    doc = f"<urn:x-plangraph:s> <urn:x-plangraph:p> {term} .\n".encode()
    try:
        (quad,) = ox.parse(doc, format=ox.RdfFormat.N_TRIPLES)
    except (SyntaxError, ValueError):
        raise QuerySyntaxError(f"not an RDF term: {term} / 不是有效的 RDF 项") from None
    return quad.object
