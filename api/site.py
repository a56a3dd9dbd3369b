"""What every HTML page shares: the language, labels, links from IRIs to this server, and the
queries a page ran (each page shows them, so a reader can re-run what produced it).

Everything here runs on the parent's in-process store (`state().graph`): pages are small trusted
queries, and must not queue behind users' queries in the worker pool.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from flask import current_app, g, request
from markupsafe import Markup, escape

from plangraph import describe, jsonld, named_queries
from plangraph.binding import with_values
from plangraph.errors import PlanGraphError
from plangraph.named_queries import NamedQuery
from plangraph.sparql import parse_term, where_brace

from .state import state

PAGE_QUERIES = Path(__file__).resolve().parent / "page_queries"
# Labels for other vocabularies' terms (RDF, PROV, VoID …), shown on pages, never in the data.
VOCABULARY = Path(__file__).resolve().parent / "vocabulary.ttl"
LANGS = ("zh", "en")
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
T = TypeVar("T")
Term = ox.NamedNode | ox.BlankNode | ox.Literal


class _Memo:
    """A bounded memo (least recently used goes first) for one generation of the data."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.generation = -1
        self.entries: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()


def cached(key: str, build: Callable[[], T]) -> T:
    """Per-app memo of what depends only on the loaded data (read-only while serving).

    Emptied when an update through the write token changes the data, and bounded by
    `site_cache_entries` (keys include IRIs, so their number is not)."""
    app_state = state()
    memo: _Memo = current_app.extensions.setdefault(
        "plangraph-site", _Memo(app_state.config.site_cache_entries)
    )
    generation = app_state.generation
    with memo.lock:
        if memo.generation != generation:
            memo.entries.clear()
            memo.generation = generation
        if key in memo.entries:
            memo.entries.move_to_end(key)
            return memo.entries[key]
    value = build()
    with memo.lock:
        if memo.generation == generation:
            memo.entries[key] = value
            while len(memo.entries) > memo.size:
                memo.entries.popitem(last=False)
    return value


# --- language ------------------------------------------------------------------------------


def choose_lang() -> str:
    """?lang= wins, then Accept-Language (zh-CN, zh-TW … count as zh), then the configured one."""
    asked = (request.args.get("lang") or "").lower()
    if asked in LANGS:
        return asked
    default = state().config.default_lang if state().config.default_lang in LANGS else "zh"
    best_q, best = 0.0, default
    for value, q in request.accept_languages:
        primary = value.lower().split("-")[0]
        if primary in LANGS and q > best_q:
            best_q, best = q, primary
    return best


def lang() -> str:
    if "pg_lang" not in g:
        g.pg_lang = choose_lang()
    return g.pg_lang


def other_lang() -> str:
    return "en" if lang() == "zh" else "zh"


def t(zh: str, en: str) -> Markup:
    """A piece of interface text in the reader's language, the other one alongside."""
    first, second = (zh, en) if lang() == "zh" else (en, zh)
    return Markup('<span lang="{}">{}</span><span class="alt" lang="{}">{}</span>').format(
        lang(), first, other_lang(), second
    )


def tr(zh: str, en: str) -> str:
    """Interface text in the reader's language only (titles, attributes)."""
    return zh if lang() == "zh" else en


# --- labels --------------------------------------------------------------------------------


def label_map() -> dict[str, dict[str, str]]:
    """Labels from the data, then from api/vocabulary.ttl for terms the data does not label."""

    def build() -> dict[str, dict[str, str]]:
        labels = {k: dict(v) for k, v in vocabulary_labels().items()}
        for iri, by_lang in describe.label_map(state().graph).items():
            labels.setdefault(iri, {}).update(by_lang)
        return labels

    return cached("labels", build)


_VOCABULARY_LABELS: dict[str, dict[str, str]] = {}


def vocabulary_labels() -> dict[str, dict[str, str]]:
    """Read once per process: the file ships with the code and never changes while serving."""
    if not _VOCABULARY_LABELS:
        label_iri = RDFS + "label"
        for quad in ox.parse(path=str(VOCABULARY), format=ox.RdfFormat.TURTLE):
            if quad.predicate.value == label_iri and isinstance(quad.object, ox.Literal):
                lang_ = (quad.object.language or "").lower()
                _VOCABULARY_LABELS.setdefault(quad.subject.value, {})[lang_] = quad.object.value
    return _VOCABULARY_LABELS


def label(iri: str, which: str | None = None) -> str:
    """The label in `which` (default: the reader's language), else any label, else a short name."""
    labels = label_map().get(iri, {})
    which = which or lang()
    for key in (which, *LANGS, ""):
        if labels.get(key):
            return labels[key]
    for value in labels.values():
        return value
    return short(iri)


def has_label(iri: str, which: str) -> bool:
    return bool(label_map().get(iri, {}).get(which))


def short(iri: str) -> str:
    """`pg:Task` by the data's own prefixes, else the last segment of the IRI (memoised: pages
    ask for hundreds of tooltips)."""
    memo: dict[str, str] = cached("short-names", dict)
    if iri not in memo:
        memo[iri] = _short(iri)
    return memo[iri]


def _short(iri: str) -> str:
    prefixes = state().graph.prefixes
    best = max(
        ((name, ns) for name, ns in prefixes.items() if ns and iri.startswith(ns)),
        key=lambda kv: len(kv[1]),
        default=None,
    )
    if best and len(iri) > len(best[1]):
        return f"{best[0]}:{iri[len(best[1]) :]}"
    return re.split(r"[/#]", iri.rstrip("/#"))[-1] or iri


def bi(term: Term | str | None, *, link: bool = True, alt: bool = True) -> Markup:
    """A resource's name in the reader's language with the other language alongside, linked."""
    if term is None:
        return Markup("")
    if isinstance(term, ox.Literal):
        return literal(term)
    if describe.is_blank(term):  # a blank node, or the skolem IRI a remote engine holds for one
        name = term.value.rsplit("/", 1)[-1]  # type: ignore[union-attr]
        return Markup('<span class="bnode">_:{}</span>').format(name[:8])
    iri = term.value if isinstance(term, ox.NamedNode) else term
    first = label(iri)
    second = label(iri, other_lang()) if has_label(iri, other_lang()) else ""
    inner = Markup('<span lang="{}">{}</span>').format(lang(), first)
    if alt and second and second != first:
        inner += Markup(' <span class="alt" lang="{}">{}</span>').format(other_lang(), second)
    tip = tooltip(iri)
    target = href(iri) if link else None
    if target is None:
        return Markup('<span class="term" title="{}">{}</span>').format(tip, inner)
    return Markup('<a href="{}" title="{}">{}</a>').format(target, tip, inner)


def tooltip(iri: str) -> str:
    """The prefixed name and the IRI: vocabulary names belong in tooltips, labels in the text."""
    name = short(iri)
    return f"{name} — {iri}" if ":" in name and not name.startswith(iri[:8]) else iri


PREFIXED_NAME = re.compile(r"(?<![\w/:.])([a-z][\w-]*):([A-Za-z][\w-]*)")


def all_prefixes() -> dict[str, str]:
    """The data's prefixes and the ontology's, for reading prefixed names in prose."""

    def build() -> dict[str, str]:
        ontology = jsonld.ontology_prefixes(state().graph, state().config.base_iri)
        return {**ontology, **state().graph.prefixes}

    return cached("all-prefixes", build)


def prose(text: str | None) -> Markup:
    """Editors' prose (comments, query descriptions): escaped, and every prefixed name of a
    known prefix shown as its term's label (the prefixed name in the tooltip), or as code
    where the term has no label."""
    if not text:
        return Markup("")
    prefixes = all_prefixes()
    labels = label_map()
    out, last = Markup(""), 0
    for match in PREFIXED_NAME.finditer(text):
        namespace = prefixes.get(match.group(1))
        iri = namespace + match.group(2) if namespace else None
        if iri is None:
            continue
        out += escape(text[last : match.start()])
        if iri in labels:
            out += bi(iri, alt=False)
        else:  # a term no one labels (a retired one): an identifier, shown as code
            out += Markup("<code>{}</code>").format(match.group(0))
        last = match.end()
    return out + escape(text[last:])


def literal(term: ox.Literal) -> Markup:
    """A literal as text; its language tag or datatype shown small, never interpreted."""
    value = escape(term.value)
    if term.language:
        return Markup('<span lang="{}">{}</span><sup class="tag">@{}</sup>').format(
            term.language, prose(term.value), term.language
        )
    datatype = term.datatype.value
    if datatype == XSD + "string":
        return Markup("<span>{}</span>").format(prose(term.value))
    return Markup('<span>{}</span><sup class="tag" title="{}">{}</sup>').format(
        value, tooltip(datatype), label(datatype)
    )


def value(term: Term | None) -> str:
    return "" if term is None else term.value


# --- links ---------------------------------------------------------------------------------


LINKABLE = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)


def href(iri: str, **params: str) -> str | None:
    """Where this server answers for an IRI: data IRIs become local paths (the hash IRIs of the
    ontology land on its documentation); other http(s) IRIs are linked as they are; any other
    scheme (javascript:, data:, urn: …) is no link at all (None), so data cannot plant one."""
    config = state().config
    local = None
    for base in (config.base_iri, config.public_base):
        if base and iri.startswith(base):
            local = iri[len(base) :]
            break
    if local is None:
        return iri if LINKABLE.fullmatch(iri) else None
    path, hash_, fragment = local.partition("#")
    url = request.script_root + "/" + quote(path, safe="/:@!$&'()*+,;=-._~")
    query = {**({"lang": request.args["lang"]} if request.args.get("lang") in LANGS else {})}
    query.update(params)
    if query:
        url += "?" + urlencode(query, safe=",")
    return url + (hash_ + fragment if hash_ else "")


def here(**params: str | None) -> str:
    """This page's URL with some query parameters changed (None removes one)."""
    args = {k: v for k, v in request.args.items()}
    for key, val in params.items():
        if val is None:
            args.pop(key, None)
        else:
            args[key] = val
    return request.script_root + request.path + ("?" + urlencode(args) if args else "")


def public_iri(iri: str) -> str:
    return state().public_iri(iri)


# --- queries behind pages ------------------------------------------------------------------


@dataclass(frozen=True)
class QueryUse:
    """One query a page ran, with its parameter values, for the page's 'queries' box."""

    query: NamedQuery
    values: tuple[tuple[str, str], ...]
    named: bool  # one of queries/*.rq, runnable at /queries/<name>

    @property
    def call(self) -> str:
        args = "&".join(f"{k}={v}" for k, v in self.values)
        return self.query.name + (f"?{args}" if args else "")

    @property
    def run_url(self) -> str:
        """Named queries run at /queries/<name>; page queries through the protocol itself."""
        if not self.named:
            text = bound_text(self.query, dict(self.values))
            return request.script_root + "/sparql?" + urlencode({"query": text})
        url = request.script_root + "/queries/" + quote(self.query.name)
        return url + ("?" + urlencode(dict(self.values)) if self.values else "")

    @property
    def editor_url(self) -> str:
        text = bound_text(self.query, dict(self.values))
        fragment = urlencode({"query": text, "tabTitle": self.query.name}, quote_via=quote)
        return request.script_root + "/sparql#" + fragment


def page_queries() -> dict[str, NamedQuery]:
    return cached("page-queries", lambda: named_queries.load_all(PAGE_QUERIES))


def find_query(name: str) -> tuple[NamedQuery, bool]:
    named = state().named_queries
    if name in named:
        return named[name], True
    if name in page_queries():
        return page_queries()[name], False
    raise PlanGraphError(f"no query {name!r} for this page / 页面查询缺失", status=500)


def run(name: str, **values: str) -> list[dict[str, Term]]:
    """Run a named or page query in-process with its parameters bound as RDF terms."""
    query, _ = find_query(name)
    text, terms = with_values(query.text, named_queries.bind(query, values))
    substitutions = {ox.Variable(k): parse_term(v) for k, v in terms.items()}
    solutions = state().graph.query(text, substitutions=substitutions)
    variables = [v.value for v in solutions.variables]  # type: ignore[attr-defined]
    rows = []
    for solution in solutions:  # type: ignore[attr-defined]
        rows.append({name_: solution[name_] for name_ in variables if solution[name_] is not None})
    note(name, **values)
    return rows


def note(name: str, **values: str) -> None:
    """Record a query as one behind this page (run, or computed in-process to the same effect)."""
    query, named = find_query(name)
    uses: list[QueryUse] = g.setdefault("pg_queries", [])
    use = QueryUse(query, tuple(values.items()), named)
    if use not in uses:
        uses.append(use)


def queries_used() -> list[QueryUse]:
    return list(g.get("pg_queries", []))


def bound_text(query: NamedQuery, values: dict[str, str]) -> str:
    """The query as a reader can paste it: parameters bound in a VALUES block of parsed terms,
    placed first in the WHERE clause; the `#+` header lines are dropped."""
    terms = named_queries.bind(query, values) if values else {}
    text = "\n".join(line for line in query.text.splitlines() if not line.startswith("#+"))
    text = text.lstrip("\n")
    if not terms:
        return text
    block = "\n  VALUES (" + " ".join(f"?{k}" for k in terms) + ") { ("
    block += " ".join(terms.values()) + ") }"
    position = where_brace(text)
    if position is None:
        return text
    return text[:position] + block + text[position:]


def editor_examples(queries: list[NamedQuery]) -> list[dict[str, object]]:
    """Named queries for the editor: their text with the example values bound, ready to run."""
    examples = []
    for query in queries:
        values = {p.name: p.example for p in query.params if p.example}
        try:
            text = bound_text(query, values)
        except PlanGraphError:
            values, text = {}, bound_text(query, {})
        fragment = urlencode({"query": text, "tabTitle": query.name}, quote_via=quote)
        examples.append(
            {
                "name": query.name,
                "summary": query.summary,
                "query": text,
                "example_values": values,
                "editor_url": request.script_root + "/sparql#" + fragment,
            }
        )
    return examples


def editor_prefixes(prefixes: dict[str, str]) -> str:
    """PREFIX lines for the ontology's prefixes, the data files' prefixes and `pgr:`."""
    ontology = cached(
        "ontology-prefixes",
        lambda: jsonld.ontology_prefixes(state().graph, state().config.base_iri),
    )
    merged = {**prefixes, **ontology, "pgr": state().config.base_iri}
    return "\n".join(f"PREFIX {name}: <{iri}>" for name, iri in sorted(merged.items()) if name)


# --- the ontology's vocabulary, for grouping and naming --------------------------------------


def subclasses(class_iri: str) -> set[str]:
    """The class and everything declared below it (rdfs:subClassOf*), from the loaded ontology."""

    def build() -> set[str]:
        rows = state().graph.query(
            f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS}subClassOf>* <{class_iri}> }}"
        )
        return {row["c"].value for row in rows} | {class_iri}  # type: ignore[attr-defined]

    return cached("subclasses " + class_iri, build)


def subproperties(property_iri: str) -> set[str]:
    def build() -> set[str]:
        rows = state().graph.query(
            f"SELECT DISTINCT ?p WHERE {{ ?p <{RDFS}subPropertyOf>* <{property_iri}> }}"
        )
        return {row["p"].value for row in rows} | {property_iri}  # type: ignore[attr-defined]

    return cached("subproperties " + property_iri, build)


def context() -> dict[str, object]:
    return cached("jsonld-context", lambda: jsonld.context(state().graph, state().config.base_iri))
