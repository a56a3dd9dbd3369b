"""The SHACL shapes, tested as a specification.

Three kinds of test, each reading the standard report (sh:ValidationReport) the validator emits:
- the manifest cases of tests/data/shapes/ (W3C SHACL test-suite vocabulary): one small edition
  per defect, and the exact results it must give: focus node, path, severity, component, shape;
- the shipped graph: every file of graph/ validates without violation, and the partial Xicheng
  2021 edition gets the warnings its source deserves;
- mutations of the shipped files, one defect each, made with rdflib in a temporary copy: each
  must add exactly the expected results to the unmutated copy's report, and nothing else.
Plus hygiene: every shape has a severity and messages in Chinese and English, and the shapes
graph is itself valid SHACL.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from plangraph.namespace import PG, RDF, RDFS, SH
from plangraph.validate import Report, load_shapes, render_path, validate_files

REPO = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "data" / "shapes"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
PGR = Namespace("https://w3id.org/plangraph/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # open: pytest probes closed namespaces

# (focus node or "_:", path, severity, component, shape, value)
Key = tuple[str, str | None, str, str, str, object]


def keys(report_graph: Graph) -> set[Key]:
    """The results of an sh:ValidationReport, as comparable tuples (blank nodes as "_:")."""
    found = set()
    for result in report_graph.objects(None, SH.result):
        found.add(_key(report_graph, result))
    return found


def _key(graph: Graph, result: Node) -> Key:
    focus = graph.value(result, SH.focusNode)
    path = graph.value(result, SH.resultPath)
    value = graph.value(result, SH.value)
    return (
        "_:" if isinstance(focus, BNode) else str(focus),
        render_path(graph, path) if path is not None else None,
        _local(graph.value(result, SH.resultSeverity)),
        _local(graph.value(result, SH.sourceConstraintComponent)),
        _local(graph.value(result, SH.sourceShape)),
        _value(value),
    )


def _local(term: Node | None) -> str:
    return str(term).rpartition("#")[2]


def _value(term: Node | None) -> object:
    """Literals compare by value: a store may keep "3"^^xsd:nonNegativeInteger as xsd:integer."""
    if isinstance(term, Literal):
        return (term.value if term.value is not None else str(term), term.language)
    return None if term is None else str(term)


# --- manifest cases ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    data: Path
    expected: frozenset[Key]


def _cases() -> list[Case]:
    manifest = Graph().parse(CASES / "manifest.ttl", publicID=(CASES / "manifest.ttl").as_uri())
    root = next(manifest.subjects(RDF.type, MF.Manifest))
    cases = []
    for entry in Collection(manifest, manifest.value(root, MF.entries)):
        action = manifest.value(entry, MF.action)
        data = Path(str(manifest.value(action, SHT.dataGraph)).removeprefix("file://"))
        report = manifest.value(entry, MF.result)
        expected = frozenset(_key(manifest, r) for r in manifest.objects(report, SH.result))
        conforms = manifest.value(report, SH.conforms)
        assert conforms is not None and conforms.toPython() == (not expected), entry
        cases.append(Case(str(entry).rpartition("#")[2], data, expected))
    return cases


CASE_LIST = _cases()


@pytest.mark.parametrize("case", CASE_LIST, ids=[c.name for c in CASE_LIST])
def test_case_gives_exactly_the_expected_results(case: Case) -> None:
    report = validate_files([case.data])
    assert keys(report.graph) == case.expected


def test_every_case_file_is_in_the_manifest() -> None:
    listed = {c.data.name for c in CASE_LIST}
    on_disk = {p.name for p in CASES.glob("*.ttl")} - {"manifest.ttl"}
    assert on_disk - listed == set()


def test_every_invalid_case_differs_from_the_valid_base_in_few_lines() -> None:
    """A case shows one defect: it is the valid edition with a small change."""
    base = set((CASES / "valid-edition.ttl").read_text().splitlines())
    for case in CASE_LIST:
        lines = case.data.read_text().splitlines()
        changed = [line for line in lines if line not in base and not line.startswith("#")]
        assert len(changed) <= 16, f"{case.name}: {changed}"


# --- hygiene of the shapes graph -------------------------------------------------------------

UNDOCUMENTED = """
PREFIX sh: <http://www.w3.org/ns/shacl#>
SELECT ?shape ?missing WHERE {
    ?shape a ?kind . VALUES ?kind { sh:NodeShape sh:PropertyShape }
    FILTER (isIRI(?shape))
    {
        FILTER NOT EXISTS { ?shape sh:severity ?severity }
        BIND ("sh:severity" AS ?missing)
    } UNION {
        VALUES ?lang { "zh" "en" }
        FILTER NOT EXISTS { ?shape sh:message ?m . FILTER (LANG(?m) = ?lang) }
        BIND (CONCAT("sh:message@", ?lang) AS ?missing)
    }
}
"""

UNDOCUMENTED_SPARQL = """
PREFIX sh: <http://www.w3.org/ns/shacl#>
SELECT ?shape ?missing WHERE {
    ?shape sh:sparql ?constraint .
    VALUES ?lang { "zh" "en" }
    FILTER NOT EXISTS { ?constraint sh:message ?m . FILTER (LANG(?m) = ?lang) }
    BIND (CONCAT("sh:message@", ?lang, " on its sh:sparql") AS ?missing)
}
"""

NESTED_PROPERTY_SHAPES = """
PREFIX sh: <http://www.w3.org/ns/shacl#>
SELECT ?shape ?missing WHERE {
    ?owner sh:property ?shape .
    FILTER (isBlank(?shape))
    FILTER NOT EXISTS { ?any sh:qualifiedValueShape ?owner }
    BIND ("an IRI (top-level property shapes are named, so reports name them)" AS ?missing)
}
"""


@pytest.mark.parametrize("query", [UNDOCUMENTED, UNDOCUMENTED_SPARQL, NESTED_PROPERTY_SHAPES])
def test_every_shape_has_severity_and_messages_in_both_languages(query: str) -> None:
    rows = [f"{shape} lacks {missing}" for shape, missing in load_shapes().query(query)]
    assert rows == [], "\n".join(rows)


def test_every_severity_is_used_on_purpose() -> None:
    shapes = load_shapes()
    used = set(shapes.objects(None, SH.severity))
    assert used == {SH.Violation, SH.Warning, SH.Info}


def test_shapes_graph_is_valid_shacl() -> None:
    """pySHACL's meta-shapes (SHACL for SHACL) accept our shapes graph."""
    conforms, _, text = pyshacl.validate(
        Graph(), shacl_graph=load_shapes(), meta_shacl=True, advanced=True
    )
    assert conforms, text


def test_shapes_use_only_defined_terms_of_our_ontology() -> None:
    ontology = Graph().parse(REPO / "ontology" / "plangraph.ttl")
    defined = set(
        ontology.subjects(RDFS.isDefinedBy, URIRef("https://w3id.org/plangraph/ontology"))
    )
    used = {
        term
        for triple in load_shapes()
        for term in triple
        if isinstance(term, URIRef)
        and str(term).startswith((str(PG), "https://w3id.org/plangraph/unit/"))
    }
    assert used - defined == set()


# --- the shipped graph -----------------------------------------------------------------------

GRAPH_FILES = sorted((REPO / "graph").glob("*.ttl"))


@pytest.fixture(scope="module")
def shipped() -> Report:
    return validate_files()


@pytest.mark.parametrize("path", GRAPH_FILES, ids=[p.name for p in GRAPH_FILES])
def test_graph_file_has_no_violation(path: Path) -> None:
    report = validate_files([path])
    violations = [r for r in report.results if r.severity == "Violation"]
    assert violations == []


def test_shipped_graph_has_no_violation(shipped: Report) -> None:
    assert shipped.count("Violation") == 0
    assert shipped.passes()


def test_xicheng_2021_gets_the_warnings_of_its_partial_source(shipped: Report) -> None:
    xicheng = str(PGR["edition/xc-jinke-2021"])
    warnings = {(r.focus, r.shape) for r in shipped.results if r.edition == xicheng}
    assert {
        (xicheng, "pgsh:PlanEditionStatedIssuerShape"),  # issuer only inferred
        (xicheng, "pgsh:PlanEdition-titleZh"),  # the Chinese title is unknown
        (f"{xicheng}/task/1", "pgsh:ChineseLabelShape"),  # an English source: English labels
    } <= warnings
    assert all(r.severity != "Violation" for r in shipped.results if r.edition == xicheng)


def test_complete_editions_model_every_declared_task(shipped: Report) -> None:
    shapes = {
        "pgsh:DeclaredCountShape",
        "pgsh:DeclaredCountExceededShape",
        "pgsh:TaskNumberingShape",
        "pgsh:TaskNumberUniqueShape",
    }
    assert [r for r in shipped.results if r.shape in shapes] == []


# --- mutations of the shipped editions -------------------------------------------------------

BJ = PGR["edition/bj-jinke-2020"]
E = "https://w3id.org/plangraph/edition/bj-jinke-2020"


def _drop(graph: Graph, subject: Node, predicate: Node, lang: str | None = None) -> None:
    for obj in list(graph.objects(subject, predicate)):
        if lang is None or (isinstance(obj, Literal) and obj.language == lang):
            graph.remove((subject, predicate, obj))


def _set(graph: Graph, subject: Node, predicate: Node, value: Node) -> None:
    graph.set((subject, predicate, value))


def _remove_resource(graph: Graph, subject: Node) -> None:
    """The subject's description and its blank-node evidence, as if it had never been modelled."""
    for _, _, obj in list(graph.triples((subject, None, None))):
        if isinstance(obj, BNode):
            graph.remove((obj, None, None))
    graph.remove((subject, None, None))
    graph.remove((None, None, subject))


def _task(n: int) -> URIRef:
    return URIRef(f"{E}/task/{n}")


TARGET = URIRef(f"{E}/goal/2/target/1")
DESHENG = PGR["zone/bj-desheng"]
XICHENG_GOVERNMENT = PGR["institution/xicheng-government"]
# Beijing task 1: the Haidian government, responsible by inference (the text names no unit)
INFERRED_RESPONSIBLE = URIRef(f"{E}/task/1/involvement/5")

MUTATIONS: dict[str, tuple[str, Callable[[Graph], None], set[Key]]] = {
    "drop-a-task-text": (
        "bj-jinke-2020.ttl",
        lambda g: _drop(g, _task(5), PG.text),
        {(f"{E}/task/5", "pg:text", "Violation", "MinCountConstraintComponent", "Task-text", None)},
    ),
    "duplicate-a-task-number": (
        "bj-jinke-2020.ttl",
        lambda g: _set(g, _task(13), PG.number, Literal(12, datatype=XSD.positiveInteger)),
        {
            (
                f"{E}/task/12",
                "pg:number",
                "Violation",
                "SPARQLConstraintComponent",
                "TaskNumberUniqueShape",
                (12, None),
            ),
            (
                f"{E}/task/13",
                "pg:number",
                "Violation",
                "SPARQLConstraintComponent",
                "TaskNumberUniqueShape",
                (12, None),
            ),
            # 12, 12, 14: number 13 is now missing
            (
                E,
                "pg:number",
                "Warning",
                "SPARQLConstraintComponent",
                "TaskNumberingShape",
                (13, None),
            ),
        },
    ),
    "remove-task-12": (
        "bj-jinke-2020.ttl",
        lambda g: _remove_resource(g, _task(12)),
        {
            (
                E,
                "pg:number",
                "Warning",
                "SPARQLConstraintComponent",
                "TaskNumberingShape",
                (12, None),
            ),
            # the report declares 三十项具体任务; 29 are left
            (
                E,
                "pg:declaredTaskCount",
                "Warning",
                "SPARQLConstraintComponent",
                "DeclaredCountShape",
                (30, None),
            ),
        },
    ),
    "give-a-target-a-string-value": (
        "bj-jinke-2020.ttl",
        lambda g: _set(g, TARGET, PG.value, Literal("二十")),
        {
            (
                str(TARGET),
                "pg:value",
                "Violation",
                "DatatypeConstraintComponent",
                "Target-value",
                ("二十", None),
            )
        },
    ),
    "set-a-deadline-outside-the-period": (
        "bj-jinke-2020.ttl",
        lambda g: _set(g, TARGET, PG.deadline, Literal("2030", datatype=XSD.gYear)),
        {
            (
                str(TARGET),
                "pg:deadline",
                "Violation",
                "SPARQLConstraintComponent",
                "TargetDeadlineInPeriodShape",
                _value(Literal("2030", datatype=XSD.gYear)),
            )
        },
    ),
    "remove-a-zone-layout": (
        "bj-jinke-2020.ttl",
        lambda g: _drop(g, DESHENG, PG.inLayout),
        {
            (
                str(DESHENG),
                "pg:inLayout",
                "Violation",
                "MinCountConstraintComponent",
                "Zone-inLayout",
                None,
            )
        },
    ),
    "remove-an-institution-type": (
        "institutions.ttl",
        lambda g: _drop(g, XICHENG_GOVERNMENT, RDF.type),
        {
            (
                str(XICHENG_GOVERNMENT),
                "rdf:type",
                "Violation",
                "QualifiedMinCountConstraintComponent",
                "Institution-type",
                None,
            )
        },
    ),
    "drop-an-english-label": (
        "bj-jinke-2020.ttl",
        lambda g: _drop(g, _task(7), RDFS.label, lang="en"),
        {
            (
                f"{E}/task/7",
                None,
                "Warning",
                "OrConstraintComponent",
                "EnglishLabelShape",
                f"{E}/task/7",
            )
        },
    ),
    "state-an-inferred-responsibility-without-evidence": (
        "bj-jinke-2020.ttl",
        lambda g: _set(g, INFERRED_RESPONSIBLE, PG.inferred, Literal(False)),
        {
            (
                str(INFERRED_RESPONSIBLE),
                None,
                "Violation",
                "OrConstraintComponent",
                "StatedInvolvementShape",
                str(INFERRED_RESPONSIBLE),
            )
        },
    ),
    "drop-the-comment-of-an-inference": (
        "bj-jinke-2020.ttl",
        lambda g: _drop(g, INFERRED_RESPONSIBLE, RDFS.comment),
        {
            (
                str(INFERRED_RESPONSIBLE),
                None,
                "Violation",
                "OrConstraintComponent",
                "InferredInvolvementShape",
                str(INFERRED_RESPONSIBLE),
            )
        },
    ),
    "drop-an-involvement-role": (
        "bj-jinke-2020.ttl",
        lambda g: _drop(g, INFERRED_RESPONSIBLE, PG.role),
        {
            (
                str(INFERRED_RESPONSIBLE),
                "pg:role",
                "Violation",
                "MinCountConstraintComponent",
                "Involvement-role",
                None,
            )
        },
    ),
    "drop-a-zone-role": (
        "bj-jinke-2020.ttl",
        lambda g: _drop(g, DESHENG, PG.zoneRole),
        {
            (
                str(DESHENG),
                "pg:zoneRole",
                "Violation",
                "MinCountConstraintComponent",
                "Zone-role",
                None,
            )
        },
    ),
    "concern-a-place-that-is-not-one": (
        "bj-jinke-2020.ttl",
        lambda g: g.add((_task(15), PG.concernsPlace, PGR["place/jinke-new-distrct"])),
        {
            (
                f"{E}/task/15",
                "pg:concernsPlace",
                "Violation",
                "ClassConstraintComponent",
                "PlanElement-concernsPlace",
                f"{PGR}place/jinke-new-distrct",
            )
        },
    ),
}


def _copy_graph(target: Path, mutate: tuple[str, Callable[[Graph], None]] | None = None) -> Path:
    """graph/*.ttl copied into `target`, every file passed through rdflib, one file mutated."""
    target.mkdir()
    for path in GRAPH_FILES:
        graph = Graph().parse(path, format="turtle")
        if mutate is not None and path.name == mutate[0]:
            before = set(graph)
            mutate[1](graph)
            assert set(graph) != before, "the mutation changed nothing"
        graph.serialize(target / path.name, format="turtle")
    return target


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> set[Key]:
    copy = _copy_graph(tmp_path_factory.mktemp("baseline") / "graph")
    report = validate_files([copy])
    assert report.count("Violation") == 0
    return keys(report.graph)


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutation_adds_exactly_the_expected_results(
    name: str, baseline: set[Key], tmp_path: Path
) -> None:
    file_name, mutate, expected = MUTATIONS[name]
    copy = _copy_graph(tmp_path / "graph", (file_name, mutate))
    report = validate_files([copy])
    new = keys(report.graph) - baseline
    assert new == expected


def test_copies_of_the_graph_validate_like_the_originals(
    baseline: set[Key], shipped: Report
) -> None:
    """The rdflib round trip the mutations rely on changes no result by itself."""
    assert baseline == keys(shipped.graph)


def test_mutated_registry_replaces_the_shipped_one(tmp_path: Path) -> None:
    """Validating a changed copy of a registry validates the copy, not graph/institutions.ttl."""
    copy = _copy_graph(
        tmp_path / "graph", ("institutions.ttl", MUTATIONS["remove-an-institution-type"][1])
    )
    report = validate_files([copy / "institutions.ttl", copy / "bj-jinke-2020.ttl"])
    assert (str(XICHENG_GOVERNMENT), "pgsh:Institution-type") in {
        (r.focus, r.shape) for r in report.results
    }
    shutil.rmtree(copy)


def test_shapes_graph_is_versioned_with_the_ontology() -> None:
    """One release: the shapes graph carries the ontology's owl:versionInfo and a versionIRI."""
    from rdflib import OWL

    ontology = Graph().parse(REPO / "ontology" / "plangraph.ttl")
    onto_iri = URIRef("https://w3id.org/plangraph/ontology")
    shapes_iri = URIRef("https://w3id.org/plangraph/shapes")
    version = ontology.value(onto_iri, OWL.versionInfo)
    shapes = load_shapes()
    assert shapes.value(shapes_iri, OWL.versionInfo) == version
    assert shapes.value(shapes_iri, OWL.versionIRI) == URIRef(f"{shapes_iri}/{version}")
