"""The shipped graph against its sources: every quote is where it says, every count adds up.

The ontology and graph/ are loaded in-process by the project's own loader (each edition file
into the named graph of its edition, registries into graph/{stem}) and queried over the union
of all graphs. Checks are parametrised over the nodes they judge, so a failure names the
offending node. Every source text is read from its copy in graph/sources/ (pg:localCopy).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from plangraph.store import load

REPO = Path(__file__).resolve().parent.parent
BASE = "https://w3id.org/plangraph/"

PREFIXES = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX pg: <https://w3id.org/plangraph/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""

STORE = load([REPO / "ontology", REPO / "graph"])


def rows(sparql: str) -> list[dict[str, str]]:
    """Run a SELECT over the union graph; each row as {variable: lexical value}."""
    result = STORE.query(PREFIXES + sparql)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


def short(iri: str) -> str:
    return iri.removeprefix(BASE)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


SOURCES = {
    r["doc"]: r
    for r in rows(
        "SELECT ?doc ?sha ?copy WHERE { ?doc a pg:SourceDocument ; pg:sha256 ?sha ."
        " OPTIONAL { ?doc pg:localCopy ?copy } }"
    )
}


def source_path(doc: str) -> Path:
    """The file a source document's offsets count in: its copy in the repository."""
    info = SOURCES[doc]
    assert "copy" in info, f"{short(doc)} has no pg:localCopy in graph/sources/"
    return REPO / info["copy"]


# Task numbering and declared counts are rules of the shapes (pgsh:TaskNumberingShape,
# pgsh:TaskNumberUniqueShape, pgsh:DeclaredCountShape), checked once, by tests/test_shapes.py.


# --- every span is a Web Annotation whose quote is verbatim at its offsets ----------------------

SPANS = rows(
    "SELECT ?owner ?span ?doc ?quote ?prefix ?suffix ?start ?end WHERE {"
    " ?owner pg:evidence ?span . ?span oa:hasSource ?doc ; oa:hasSelector ?q , ?p ."
    " ?q a oa:TextQuoteSelector ; oa:exact ?quote ."
    " OPTIONAL { ?q oa:prefix ?prefix } OPTIONAL { ?q oa:suffix ?suffix }"
    " ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end }"
)


def span_id(span: dict[str, str]) -> str:
    return f"{short(span['owner'])}@{short(span['doc'])}:{span['start']}-{span['end']}"


def test_every_span_has_one_source_one_quote_and_one_position() -> None:
    """Each pg:evidence object reads as a W3C Web Annotation specific resource."""
    counts = rows(
        "SELECT ?span (COUNT(DISTINCT ?doc) AS ?docs) (COUNT(DISTINCT ?q) AS ?quotes)"
        " (COUNT(DISTINCT ?p) AS ?positions) WHERE { ?owner pg:evidence ?span ."
        " OPTIONAL { ?span oa:hasSource ?doc }"
        " OPTIONAL { ?span oa:hasSelector ?q . ?q a oa:TextQuoteSelector }"
        " OPTIONAL { ?span oa:hasSelector ?p . ?p a oa:TextPositionSelector } } GROUP BY ?span"
    )
    assert counts and len(counts) == len({s["span"] for s in SPANS})
    bad = [c for c in counts if (c["docs"], c["quotes"], c["positions"]) != ("1", "1", "1")]
    assert not bad, bad[:5]


@pytest.mark.parametrize("span", SPANS, ids=span_id)
def test_quote_is_verbatim_at_its_offsets(span: dict[str, str]) -> None:
    assert span["doc"] in SOURCES, f"{short(span['doc'])} is not a pg:SourceDocument with sha256"
    path = source_path(span["doc"])
    text = path.read_text(encoding="utf-8")
    start, end = int(span["start"]), int(span["end"])
    assert text[start:end] == span["quote"], f"text[{start}:{end}] = {text[start:end]!r}"
    # oa:prefix / oa:suffix are the text around the quote, and present only when needed
    prefix, suffix = span.get("prefix", ""), span.get("suffix", "")
    assert text[start - len(prefix) : start] == prefix and text[end : end + len(suffix)] == suffix
    context = prefix + span["quote"] + suffix
    assert text.count(context) == 1 or (text.find(context) == text.rfind(context)), (
        f"{span['quote']!r} with its prefix and suffix is not unique in {path.name}"
    )
    if not (prefix or suffix):
        assert text.find(span["quote"], text.find(span["quote"]) + 1) == -1, (
            f"{span['quote']!r} occurs more than once: it needs oa:prefix or oa:suffix"
        )


TASK_TEXTS = rows(
    "SELECT ?task ?text WHERE { ?task a pg:Task ; pg:text ?text ."
    " FILTER EXISTS { ?task pg:evidence ?s } }"
)


@pytest.mark.parametrize("task", TASK_TEXTS, ids=lambda t: short(t["task"]))
def test_task_text_is_quoted_with_page_breaks_removed(task: dict[str, str]) -> None:
    quotes = [
        r["q"]
        for r in rows(
            f"SELECT ?q WHERE {{ <{task['task']}> pg:evidence/oa:hasSelector/oa:exact ?q }}"
        )
    ]
    assert "\n" not in task["text"]
    assert any(task["text"] in re.sub(r"\n+", "", q) for q in quotes), "text is in no quote"


# --- labels: one per language of the sources -------------------------------------------------
# Every label is in the language of a source that gives it: one Chinese and one English label,
# except for what only the English report on the 2021 Xicheng edition describes (English only).

LABELLED = [
    r["node"]
    for r in rows(
        "SELECT DISTINCT ?node WHERE {"
        " VALUES ?class { pg:Task pg:TaskArea pg:Goal pg:Principle pg:Target pg:Zone"
        "   pg:Institution pg:SpatialLayout pg:PlanEdition pg:Plan }"
        " ?node a/rdfs:subClassOf* ?class } ORDER BY ?node"
    )
]


ENGLISH_ONLY = {
    r["node"]
    for r in rows(
        "SELECT DISTINCT ?node WHERE { GRAPH <https://w3id.org/plangraph/edition/xc-jinke-2021>"
        " { ?node rdfs:label ?l } }"
    )
}


@pytest.mark.parametrize("node", LABELLED, ids=short)
def test_one_label_per_language_of_its_source(node: str) -> None:
    langs = Counter(
        r["lang"]
        for r in rows(f"SELECT DISTINCT ?l (LANG(?l) AS ?lang) WHERE {{ <{node}> rdfs:label ?l }}")
    )
    expected = Counter({"en": 1}) if node in ENGLISH_ONLY else Counter({"zh": 1, "en": 1})
    assert langs == expected, f"{short(node)}: labels by language {langs}"


# --- spatial layouts: exactly the zones and places the texts name -----------------------------

# Read off the texts by hand, with the words they rest on; the graph must say no more, no less.
EXPECTED_LAYOUTS: dict[str, dict[str, tuple[str, set[str]]]] = {
    # 001 task 15: 强化北展地区、北下关地区及中关村大街沿线的核心承载力，
    #              辐射德胜、广安、五道口、四季青等区域
    "edition/bj-jinke-2020/layout": {
        "zone/bj-core": (
            "core",
            {"place/beizhan", "place/beixiaguan", "place/zhongguancun-street"},
        ),
        "zone/bj-desheng": ("point", {"place/desheng"}),
        "zone/bj-guangan": ("point", {"place/guangan"}),
        "zone/bj-wudaokou": ("point", {"place/wudaokou"}),
        "zone/bj-sijiqing": ("point", {"place/sijiqing"}),
    },
    # 003: "One core" is the north exhibition area …; " two wings " is …; "more" includes …
    "edition/xc-jinke-2021/layout": {
        "zone/xc-core": ("core", {"place/beizhan"}),
        "zone/xc-wings": ("wing", set()),
        "zone/xc-points": ("point", set()),
    },
}


@pytest.mark.parametrize("layout", sorted(EXPECTED_LAYOUTS))
def test_layout_has_exactly_the_zones_and_places_the_text_names(layout: str) -> None:
    found: dict[str, tuple[str, set[str]]] = {}
    for r in rows(
        f"SELECT ?zone ?role WHERE {{ ?zone pg:inLayout <{BASE}{layout}> ; pg:zoneRole ?role }}"
    ):
        places = {
            short(p["p"]) for p in rows(f"SELECT ?p WHERE {{ <{r['zone']}> pg:hasPlace ?p }}")
        }
        found[short(r["zone"])] = (r["role"].rsplit("/", 1)[1], places)
    assert found == EXPECTED_LAYOUTS[layout]


ZONE_PLACES = rows(
    "SELECT ?zone ?place WHERE { ?zone a/rdfs:subClassOf* pg:Zone ; pg:hasPlace ?place }"
)


@pytest.mark.parametrize(
    "pair", ZONE_PLACES, ids=lambda p: f"{short(p['zone'])}>{short(p['place'])}"
)
def test_zone_place_is_named_in_the_zone_evidence(pair: dict[str, str]) -> None:
    names = {
        r["n"].lower()
        for r in rows(f"SELECT ?n WHERE {{ <{pair['place']}> rdfs:label|skos:altLabel ?n }}")
    }
    quotes = [
        r["q"].lower()
        for r in rows(
            f"SELECT ?q WHERE {{ <{pair['zone']}> pg:evidence/oa:hasSelector/oa:exact ?q }}"
        )
    ]
    assert any(n in q for n in names for q in quotes), f"none of {sorted(names)} in {quotes}"


# --- targets ----------------------------------------------------------------------------------

TARGETS = [r["t"] for r in rows("SELECT ?t WHERE { ?t a pg:Target } ORDER BY ?t")]


@pytest.mark.parametrize("target", TARGETS, ids=short)
def test_target_has_value_unit_comparator_and_deadline_or_basis(target: str) -> None:
    found = rows(
        "SELECT ?value ?unit ?cmp ?deadline ?basis WHERE {"
        f" <{target}> pg:value ?value ; pg:unit ?unit ; pg:comparator ?cmp ."
        f" OPTIONAL {{ <{target}> pg:deadline ?deadline }}"
        f" OPTIONAL {{ <{target}> pg:basis ?basis }} }}"
    )
    assert len(found) == 1, f"{short(target)}: {len(found)} value/unit/comparator combinations"
    assert "deadline" in found[0] or "basis" in found[0], f"{short(target)}: no deadline or basis"


# --- institutions: one IRI each, defined once ---------------------------------------------------

INSTITUTIONS = [
    r["i"]
    for r in rows("SELECT DISTINCT ?i WHERE { ?i a/rdfs:subClassOf+ pg:Institution } ORDER BY ?i")
]


@pytest.mark.parametrize("institution", INSTITUTIONS, ids=short)
def test_institution_is_defined_only_in_the_registry(institution: str) -> None:
    graphs = {
        r["g"] for r in rows(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{institution}> a ?c }} }}")
    }
    assert graphs == {f"{BASE}graph/institutions"}, f"{short(institution)} typed in {graphs}"


def test_no_two_institutions_share_a_chinese_label() -> None:
    by_label: dict[str, set[str]] = defaultdict(set)
    for r in rows(
        "SELECT DISTINCT ?i ?l WHERE { ?i a/rdfs:subClassOf+ pg:Institution ; rdfs:label ?l ."
        ' FILTER(LANG(?l) = "zh") }'
    ):
        by_label[r["l"]].add(short(r["i"]))
    shared = {label: iris for label, iris in by_label.items() if len(iris) > 1}
    assert not shared


REFERENCES = rows(
    "SELECT DISTINCT ?ref WHERE { ?s ?p ?ref . FILTER(isIRI(?ref))"
    f' FILTER(STRSTARTS(STR(?ref), "{BASE}institution/") || STRSTARTS(STR(?ref), "{BASE}place/")'
    f' || STRSTARTS(STR(?ref), "{BASE}source/")) }} ORDER BY ?ref'
)


@pytest.mark.parametrize("ref", [r["ref"] for r in REFERENCES], ids=short)
def test_referenced_institution_place_or_source_is_defined(ref: str) -> None:
    assert rows(f"SELECT ?c WHERE {{ <{ref}> a ?c }}"), f"{short(ref)} is used but never typed"


# --- source files -----------------------------------------------------------------------------


@pytest.mark.parametrize("doc", sorted(SOURCES), ids=short)
def test_sha256_matches_the_file(doc: str) -> None:
    info = SOURCES[doc]
    assert "copy" in info, f"{short(doc)} has no pg:localCopy: its text must be in graph/sources/"
    path = REPO / info["copy"]
    assert path.is_file(), f"{short(doc)}: pg:localCopy {info['copy']} is missing"
    assert sha256(path) == info["sha"], f"{short(doc)}: {info['copy']} does not match"


# --- qualified responsibility -------------------------------------------------------------------

INVOLVEMENTS = rows(
    "SELECT ?i (COUNT(DISTINCT ?inst) AS ?institutions) (COUNT(DISTINCT ?role) AS ?roles)"
    " (COUNT(DISTINCT ?flag) AS ?flags) (SAMPLE(?flag) AS ?inferred)"
    " (COUNT(DISTINCT ?span) AS ?evidence) (COUNT(DISTINCT ?c) AS ?comments) WHERE {"
    " { ?owner pg:qualifiedInvolvement ?i } UNION { ?i a pg:Involvement }"
    " OPTIONAL { ?i pg:institution ?inst }"
    " OPTIONAL { ?i pg:role ?role . ?role a pg:InstitutionRole }"
    " OPTIONAL { ?i pg:inferred ?flag } OPTIONAL { ?i pg:evidence ?span }"
    " OPTIONAL { ?i rdfs:comment ?c } } GROUP BY ?i ORDER BY ?i"
)


@pytest.mark.parametrize("node", INVOLVEMENTS, ids=lambda n: short(n["i"]))
def test_every_role_node_is_complete(node: dict[str, str]) -> None:
    assert (node["institutions"], node["roles"], node["flags"]) == ("1", "1", "1"), node
    if node["inferred"] == "false":
        assert int(node["evidence"]) >= 1, "a stated role quotes its evidence"
    else:
        assert int(node["comments"]) >= 1, "an inferred role says what it was inferred from"


def test_no_inferred_role_entails_a_stated_one_under_rdfs() -> None:
    """An RDFS closure (owlrl) of the ontology and the loaded graph, shortcuts included, gives no
    stated shortcut (pg:issuedBy, pg:responsibleInstitution …) that no stated node supports."""
    import json
    import subprocess
    import sys

    import pyoxigraph as ox

    everything = STORE.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    done = subprocess.run(
        [sys.executable, str(REPO / "tests" / "data" / "rdfs" / "unsupported_stated_roles.py")],
        input=everything.serialize(format=ox.RdfFormat.N_TRIPLES),
        capture_output=True,
        check=True,
        timeout=600,
    )
    found = json.loads(done.stdout)
    assert "https://w3id.org/plangraph/ontology#issuedBy" in found["stated"]
    assert not found["unsupported"], found["unsupported"][:10]


# --- places: every place is concerned by an element, or says why not ----------------------------

PLACES = [r["p"] for r in rows("SELECT ?p WHERE { ?p a/rdfs:subClassOf* pg:Place } ORDER BY ?p")]


@pytest.mark.parametrize("place", PLACES, ids=short)
def test_every_place_is_concerned_or_says_why_not(place: str) -> None:
    concerned = rows(f"SELECT ?e WHERE {{ ?e pg:concernsPlace <{place}> }}")
    why_not = rows(f"SELECT ?n WHERE {{ <{place}> skos:editorialNote ?n }}")
    assert concerned or why_not, f"{short(place)}: no element concerns it and no note says why"


def test_the_jinke_new_district_is_concerned_by_both_beijing_editions() -> None:
    editions = {
        r["e"]
        for r in rows(
            "SELECT ?e WHERE { ?e a pg:PlanEdition ;"
            " pg:concernsPlace <https://w3id.org/plangraph/place/jinke-new-district> }"
        )
    }
    assert editions == {f"{BASE}edition/bj-jinke-2020", f"{BASE}edition/xc-jinke-2021"}
