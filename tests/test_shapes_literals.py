"""shapes/literals.ttl: dates, years and numbers whose value is wrong are violations.

Each file of tests/data/literals/ holds one literal (or, for valid-literals.ttl, many good ones);
the test checks the report itself: focus node, path, component, shape, value. Regression for
issue 9: ingest wrote "2023-13-01"^^xsd:date and "2023-02-30"^^xsd:date and validation said
nothing, and an ill-typed literal anywhere ("abcd"^^xsd:gYear) went unnoticed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from plangraph.namespace import RDFS, SH
from plangraph.validate import load_shapes, validate_files

REPO = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "data" / "literals"
BASE = "https://w3id.org/plangraph/"
XSD = "http://www.w3.org/2001/XMLSchema#"
DATE_TYPES = {URIRef(XSD + t) for t in ("date", "dateTime", "gYear", "gYearMonth")}

# file → (focus, path, component, shape, value) of its one result
EXPECTED = {
    "issue-date-not-in-calendar.ttl": (
        "edition/literals-test",
        "pg:issueDate",
        "sh:DatatypeConstraintComponent",
        "pgsh:IssueDate-datatype",
        '"2023-02-30"^^xsd:date',
    ),
    "issue-date-in-month-13.ttl": (
        "edition/literals-test",
        "pg:issueDate",
        "sh:DatatypeConstraintComponent",
        "pgsh:IssueDate-datatype",
        '"2023-13-01"^^xsd:date',
    ),
    "issue-date-as-string.ttl": (
        "edition/literals-test",
        "pg:issueDate",
        "sh:DatatypeConstraintComponent",
        "pgsh:IssueDate-datatype",
        '"2023-01-01"',
    ),
    "start-year-not-a-year.ttl": (
        "edition/literals-test",
        "pg:startYear",
        "sh:PatternConstraintComponent",
        "pgsh:StartYear-datatype",
        '"abcd"^^xsd:gYear',
    ),
    "construction-start-in-month-13.ttl": (
        "place/literals-test",
        "pg:constructionStart",
        "sh:PatternConstraintComponent",
        "pgsh:ConstructionStart-datatype",
        '"2021-13"^^xsd:gYearMonth',
    ),
    "other-property-year-not-a-year.ttl": (
        "source/literals-test",
        "dcterms:date",
        "sh:SPARQLConstraintComponent",
        "pgsh:IllTypedLiteral",
        '"abcd"^^xsd:gYear',
    ),
    "other-property-date-not-in-calendar.ttl": (
        "source/literals-test",
        "dcterms:date",
        "sh:SPARQLConstraintComponent",
        "pgsh:IllTypedLiteral",
        '"2021-02-29"^^xsd:date',
    ),
    "span-start-not-a-number.ttl": (
        "source/literals-test",
        "oa:start",
        "sh:SPARQLConstraintComponent",
        "pgsh:IllTypedLiteral",
        '"ten"^^xsd:nonNegativeInteger',
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ill_typed_literal_is_one_violation(name: str) -> None:
    report = validate_files([CASES / name])
    found = [(r.severity, r.focus, r.path, r.component, r.shape, r.value) for r in report.results]
    focus, path, component, shape, value = EXPECTED[name]
    assert found == [("Violation", BASE + focus, path, component, shape, value)]
    assert not report.passes()


def test_well_formed_literals_and_leap_days_give_no_result() -> None:
    report = validate_files([CASES / "valid-literals.ttl"])
    assert report.results == []


def test_every_case_file_is_tested() -> None:
    on_disk = {p.name for p in CASES.glob("*.ttl")} - {"valid-literals.ttl"}
    assert on_disk == set(EXPECTED)


def test_every_date_valued_property_has_a_datatype_shape() -> None:
    """Derived from the ontology: a new date-valued property without a shape fails here."""
    ontology = Graph().parse(REPO / "ontology" / "plangraph.ttl")
    date_valued = {
        (prop, rng) for prop, rng in ontology.subject_objects(RDFS.range) if rng in DATE_TYPES
    }
    assert date_valued, "the ontology has date-valued properties"
    shapes = load_shapes()
    literal_shapes = Graph().parse(REPO / "shapes" / "literals.ttl")
    missing = []
    for prop, rng in sorted(date_valued):
        shape = next(
            (s for s in literal_shapes.subjects(SH.path, prop) if (s, SH.datatype, rng) in shapes),
            None,
        )
        targeted = any(True for _ in literal_shapes.subjects(SH.targetSubjectsOf, prop))
        if shape is None or not targeted:
            missing.append(f"{prop} (range {rng})")
    assert missing == []
