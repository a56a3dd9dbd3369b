"""The names the ingester looks for, read from the RDF at run time: never restated in Python.

Institutions, places, themes and basis documents come from the graph's registries and editions;
the words that signal things (comparator, basis and unit cues, institution and place name
endings, responsibility tags, body cues, jurisdiction-relative prefixes, collective actors) come
from the lexicon, `lexicon.ttl` beside this module (OntoLex-Lemon); zone-role words from the
zone-role labels.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from plangraph import store
from plangraph.config import default_data
from plangraph.ingest.reading import fold
from plangraph.namespace import PG

# The queries live in queries/*.rq beside this module, read once.
_NAMES = "names"
_ZONE_ROLES = "zone-roles"
_THEMES = "themes"
_ROLES = "institution-roles"
_DOCUMENTS = "documents"
_EDITIONS = "editions"
QUOTES = "“”‘’\"'「」『』"
_QUOTE_TABLE = str.maketrans("", "", QUOTES + "《》〈〉<>")


def name_key(name: str) -> str:
    """A name as matched: folded, quotes dropped, outer space trimmed."""
    return fold(name).translate(_QUOTE_TABLE).strip()


@dataclass(frozen=True)
class Match:
    start: int  # offsets into the text searched
    end: int
    value: str


def trie_pattern(words: Iterable[str]) -> str:
    """One regex for many literal words, shaped as a trie: matching costs the length of the
    word, not the number of words, and the longest word at a position wins."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        alternatives = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


_QUOTE_RE = re.compile(f"[{re.escape(QUOTES)}]")


class Matcher:
    """Longest, non-overlapping matches of many names, quotes in the text skipped over."""

    def __init__(self, names: dict[str, str], *, ignore_case: bool = False) -> None:
        self.ignore_case = ignore_case
        self.names = {(k.lower() if ignore_case else k): v for k, v in names.items() if k}
        self._pattern: re.Pattern[str] | None = None
        if self.names:
            body = trie_pattern(self.names)
            if ignore_case:
                body = rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])"
            self._pattern = re.compile(rf"(?=({body}))", re.IGNORECASE if ignore_case else 0)

    def find(self, text: str) -> list[Match]:
        if self._pattern is None:
            return []
        shifts: list[int] | None = None  # where each dropped quote would be in the bare text
        bare = text
        quotes = [m.start() for m in _QUOTE_RE.finditer(text)]
        if quotes:
            shifts = [q - k for k, q in enumerate(quotes)]
            bare = _QUOTE_RE.sub("", text)
        candidates = []
        for m in self._pattern.finditer(bare):
            found = m.group(1)
            value = self.names[found.lower() if self.ignore_case else found]
            candidates.append((m.start(1), m.start(1) + len(found), value))
        if not candidates:
            return []
        candidates.sort(key=lambda c: (c[0] - c[1], c[0]))
        taken = bytearray(len(bare) + 1)
        chosen = []
        for start, end, value in candidates:
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            if shifts is None:
                chosen.append(Match(start, end, value))
            else:
                last = end - 1 + bisect_right(shifts, end - 1)
                chosen.append(Match(start + bisect_right(shifts, start), last + 1, value))
        return sorted(chosen, key=lambda m: m.start)


@dataclass
class Gazetteer:
    """Everything the ingester matches, keyed by the folded name."""

    institutions: dict[str, str] = field(default_factory=dict)  # name → IRI
    institution_types: dict[str, set[str]] = field(default_factory=dict)  # IRI → class IRIs
    type_endings: dict[str, str] = field(default_factory=dict)  # name ending → class IRI
    jurisdictions: set[str] = field(default_factory=set)  # 上海市, 上海, 西城区, 西城 …
    places: dict[str, str] = field(default_factory=dict)
    themes: dict[str, str] = field(default_factory=dict)  # zh names
    themes_en: dict[str, str] = field(default_factory=dict)
    measures: dict[str, str] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)  # document_key(name) → IRI
    document_labels: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    comparators: dict[str, str] = field(default_factory=dict)
    bases: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    zone_roles: dict[str, str] = field(default_factory=dict)  # 核, 一核, 核心 … → role concept
    zone_role_words: set[str] = field(default_factory=set)  # a role's own word: 核, 带, 组团
    role_words: dict[str, str] = field(default_factory=dict)  # 牵头单位 → property IRI
    weak_endings: dict[str, str] = field(default_factory=dict)  # 中心, 平台 … → class IRI
    place_endings: dict[str, str] = field(default_factory=dict)  # 新片区, 科学城 … → class IRI
    body_cues: dict[str, str] = field(default_factory=dict)  # 支持, 依托 … → property IRI
    relative: dict[str, str] = field(default_factory=dict)  # 市, 本市, 区 … → "city"/"district"
    collectives: set[str] = field(default_factory=set)  # 各区政府, 市有关部门 …
    institution_roles: set[str] = field(default_factory=set)  # pg:InstitutionRole concepts
    editions: set[str] = field(default_factory=set)  # IRIs of the editions already in the graph

    def __post_init__(self) -> None:
        self._matchers: dict[str, Matcher | re.Pattern[str]] = {}

    def pattern(self, kind: str) -> re.Pattern[str]:
        """A trie regex of one gazetteer's keys (units, type endings, role words), compiled once."""
        key = f"pattern:{kind}"
        if key not in self._matchers:
            words = getattr(self, kind)
            self._matchers[key] = re.compile(trie_pattern(words) if words else r"(?!)")  # type: ignore[assignment]
        return self._matchers[key]  # type: ignore[return-value]

    def matcher(self, kind: str) -> Matcher:
        if kind not in self._matchers:
            names = getattr(self, kind)
            self._matchers[kind] = Matcher(names, ignore_case=kind == "themes_en")
        return self._matchers[kind]  # type: ignore[return-value]


def document_key(name: str) -> str:
    """Basis documents compared by their Chinese characters and digits only, so that
    《金融科技（FinTech）发展规划（2019-2021年）》 and 《金融科技发展规划(2019-2021年)》 agree."""
    return "".join(ch for ch in fold(name) if ch.isdigit() or "\u4e00" <= ch <= "\u9fff")


def from_store(graph: store.GraphStore) -> Gazetteer:
    """Read every gazetteer from a loaded store (the shipped ontology and graph, or any other)."""
    gaz = Gazetteer()

    def rows(name: str, **bindings: ox.NamedNode) -> Iterable[ox.QuerySolution]:
        substitutions = {ox.Variable(k): v for k, v in bindings.items()}
        return graph.query(query_text(name), substitutions=substitutions)

    def node(term: object) -> ox.NamedNode:
        return ox.NamedNode(str(term))

    read_lexicon(gaz)
    for row in rows(_NAMES, **{"class": node(PG.Institution)}):
        iri, name, cls = row["s"].value, name_key(row["name"].value), row["type"].value
        gaz.institution_types.setdefault(iri, set()).add(cls)
        # 市政府, 本市…: relative to a plan's jurisdiction, resolved per plan, never an alias
        if not relative_name(name, gaz):
            gaz.institutions.setdefault(name, iri)
    for row in rows(_NAMES, **{"class": node(PG.Place)}):
        gaz.places.setdefault(name_key(row["name"].value), row["s"].value)
    for row in rows(_ZONE_ROLES):
        word = name_key(row["word"].value)
        gaz.zone_roles.setdefault(word, row["role"].value)
        if row["own"].value == "true":
            gaz.zone_role_words.add(word)
    measures = "https://w3id.org/plangraph/theme/measures"
    for row in rows(_THEMES):
        iri, literal, scheme = row["s"].value, row["name"], row["scheme"].value
        if not isinstance(literal, ox.Literal):
            continue
        if scheme == measures:
            if literal.language in ("zh", None):
                gaz.measures.setdefault(name_key(literal.value), iri)
            continue
        if literal.language == "en" and literal.value.isascii():
            gaz.themes_en.setdefault(literal.value.strip(), iri)
        elif literal.language in ("zh", None):
            # standards and space are in a tagging scheme and the measures scheme: both apply
            gaz.themes.setdefault(name_key(literal.value), iri)
    gaz.institution_roles = {row["role"].value for row in rows(_ROLES)}
    for row in rows(_DOCUMENTS):
        if row["label"] is not None:
            labels = gaz.document_labels.setdefault(row["s"].value, [])
            label = (row["label"].value, row["label"].language)
            if label not in labels:
                labels.append(label)
        key = document_key(row["name"].value)
        if sum("\u4e00" <= ch <= "\u9fff" for ch in key) >= 4:
            gaz.documents.setdefault(key, row["s"].value)
    gaz.jurisdictions = _jurisdictions(gaz)
    gaz.editions = {row["e"].value for row in rows(_EDITIONS)}
    return gaz


_LEXICON_FIELDS = {
    "comparator": "comparators",
    "basis": "bases",
    "unit": "units",
    "name-ending": "type_endings",
    "name-ending-in-context": "weak_endings",
    "place-ending": "place_endings",
    "responsibility-tag": "role_words",
    "body-cue": "body_cues",
}


@lru_cache(maxsize=32)
def _resource(name: str) -> str:
    return (resources.files("plangraph.ingest") / name).read_text("utf-8")


def query_text(name: str) -> str:
    """The text of queries/{name}.rq, shipped with the package."""
    return _resource(f"queries/{name}.rq")


@lru_cache(maxsize=1)
def _lexicon_rows() -> tuple[tuple[str, str, str], ...]:
    lexicon = ox.Store()
    lexicon.load(_resource("lexicon.ttl").encode(), format=ox.RdfFormat.TURTLE)
    rows = lexicon.query(_resource("queries/lexicon.rq"))
    return tuple(
        (r["lexicon"].value.rsplit("/", 1)[-1], name_key(r["word"].value), r["denotes"].value)
        for r in rows
    )


# 市场 is a word, not 市 + 场: a relative prefix is never the first character of these.
NOT_RELATIVE = ("市场", "区域", "区块", "区位")


def relative_name(name: str, gaz: Gazetteer) -> bool:
    """Whether a name starts with a word standing for the plan's jurisdiction (市…, 本市…)."""
    return not name.startswith(NOT_RELATIVE) and any(name.startswith(p) for p in gaz.relative)


def read_lexicon(gaz: Gazetteer) -> None:
    """Fill the word tables of a gazetteer from the lexicon; the first entry of a word wins."""
    for kind, word, denotes in _lexicon_rows():
        if kind in _LEXICON_FIELDS:
            getattr(gaz, _LEXICON_FIELDS[kind]).setdefault(word, denotes)
        elif kind == "relative-prefix":
            gaz.relative[word] = "district" if denotes == str(PG.District) else "city"
        elif kind == "collective":
            gaz.collectives.add(word)


def _jurisdictions(gaz: Gazetteer) -> set[str]:
    """Place names that start institution names: what government bodies are named after
    (上海市 of 上海市人民政府), with and without 市/区."""
    endings = [w for w, c in gaz.type_endings.items() if c == str(PG.GovernmentBody)]
    out = set()
    for name, iri in gaz.institutions.items():
        if str(PG.GovernmentBody) not in gaz.institution_types.get(iri, set()):
            continue
        for ending in sorted(endings, key=len, reverse=True):
            if name.endswith(ending) and len(name) > len(ending) + 1:
                stem = name[: -len(ending)]
                out.add(stem)
                if stem[-1] in "市区省县" and len(stem) > 2:
                    out.add(stem[:-1])
                break
    return out


@lru_cache(maxsize=4)
def _load(paths: tuple[str, ...], stamp: tuple[float, ...], without: str | None) -> Gazetteer:
    graph = store.load([Path(p) for p in paths])
    if without is not None:
        leave_out(graph.store, without)
    return from_store(graph)


def leave_out(dataset: ox.Store, sha256: str) -> None:
    """Remove from a loaded dataset everything learnt from the text with this SHA-256: its
    edition graph, registry entries whose only evidence is that text, and its quotes."""
    update = _resource("queries/leave-out.rq")
    dataset.update(update.replace("?digest", str(ox.Literal(sha256))))


def default(paths: list[Path] | None = None, *, without: str | None = None) -> Gazetteer:
    """The gazetteer of the shipped ontology and graph (or given paths), cached while unchanged.

    `without` is the SHA-256 of a text to leave out (see `leave_out`): what a fair score of a
    draft of that text uses, since a curator ingesting a new plan has no edition of it yet."""
    paths = paths or default_data()
    files = list(store.iter_rdf_files(paths))
    stamp = tuple(f.stat().st_mtime for f in files)
    return _load(tuple(str(p) for p in paths), stamp, without)
