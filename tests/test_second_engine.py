"""A second SHACL engine, rudof (pyrudof), agrees with pySHACL on the SHACL Core shapes.

The Core shapes are shapes/ without the SHACL-SPARQL shapes (those with sh:sparql: declared counts,
task numbering, deadlines in the period, unknown terms), which Core engines need not run. Both
engines validate the same data graph: the ontology and graph/ as shipped, and each mutation of
tests/test_shapes.py. Each result is compared by focus node, source shape, constraint component,
severity and (where it is one IRI) path.
"""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

from plangraph.namespace import SH
from plangraph.validate import load_shapes

pyrudof = pytest.importorskip("pyrudof")

from test_shapes import MUTATIONS, _copy_graph  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

Result = tuple[str, str, str, str, str]


def core_shapes() -> Graph:
    """shapes/ minus every shape that has an sh:sparql constraint, with its blank-node closure."""
    shapes = load_shapes()
    drop: set[tuple[Node, Node, Node]] = set()

    def closure(node: Node) -> None:
        for p, o in shapes.predicate_objects(node):
            drop.add((node, p, o))
            if isinstance(o, BNode):
                closure(o)

    for shape in set(shapes.subjects(SH.sparql, None)):
        closure(shape)
    core = Graph()
    for triple in shapes:
        if triple not in drop:
            core.add(triple)
    return core


CORE = core_shapes()
CORE_TURTLE = CORE.serialize(format="turtle")


def data_graph(graph_dir: Path) -> Graph:
    data = Graph()
    for path in [*sorted((REPO / "ontology").glob("*.ttl")), *sorted(graph_dir.glob("*.ttl"))]:
        data.parse(path, format="turtle")
    return data


def _local(text: str) -> str:
    return text.strip("<>").rpartition("#")[2]


def by_pyshacl(data: Graph) -> set[Result]:
    _, report, _ = pyshacl.validate(data, shacl_graph=CORE)
    found = set()
    for r in report.objects(None, SH.result):
        focus, path, shape = (
            report.value(r, p) for p in (SH.focusNode, SH.resultPath, SH.sourceShape)
        )
        found.add(
            (
                "_:" if isinstance(focus, BNode) else str(focus),
                str(path) if isinstance(path, URIRef) else "",
                _local(str(shape)) if isinstance(shape, URIRef) else "_:",
                _local(str(report.value(r, SH.sourceConstraintComponent))),
                _local(str(report.value(r, SH.resultSeverity))),
            )
        )
    return found


def by_rudof(data: Graph) -> set[Result]:
    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(data.serialize(format="nt"), format=pyrudof.RDFFormat.NTriples)
    rudof.read_shacl(CORE_TURTLE)
    found = set()
    for v in rudof.validate_shacl().violations:
        focus, shape, path = str(v.focus_node), str(v.source_shape), str(v.path or "")
        simple = (
            path.strip("<>") if path and " " not in path and not path.startswith(("^", "[")) else ""
        )
        found.add(
            (
                "_:" if focus.startswith("_:") else focus.strip("<>"),
                simple,
                "_:" if shape.startswith("_:") else _local(shape),
                _local(str(v.constraint_component)),
                _local(str(v.severity)),
            )
        )
    return found


def test_core_shapes_leave_out_exactly_the_sparql_shapes() -> None:
    sparql = set(load_shapes().subjects(SH.sparql, None))
    assert sparql and not sparql & set(CORE.subjects())
    assert not set(CORE.subjects(URIRef(str(SH) + "target"), None))  # no SHACL-AF targets


@pytest.fixture(scope="module")
def shipped() -> set[Result]:
    return by_pyshacl(data_graph(REPO / "graph"))


def test_engines_agree_on_the_shipped_graph(shipped: set[Result]) -> None:
    assert shipped, "the shipped graph has warnings (the partial Xicheng edition)"
    assert by_rudof(data_graph(REPO / "graph")) == shipped


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_engines_agree_on_the_mutation(name: str, shipped: set[Result], tmp_path: Path) -> None:
    file_name, mutate, _ = MUTATIONS[name]
    data = data_graph(_copy_graph(tmp_path / "graph", (file_name, mutate)))
    ours = by_pyshacl(data)
    assert ours != shipped or name in SPARQL_ONLY, f"{name}: the Core shapes should see it"
    theirs = by_rudof(data)
    lines = [f"pySHACL only: {r}" for r in sorted(ours - theirs)]
    lines += [f"rudof only: {r}" for r in sorted(theirs - ours)]
    assert not lines, "\n".join(lines)


# Mutations only a SHACL-SPARQL shape reports (the Core engines see no difference).
SPARQL_ONLY = {"duplicate-a-task-number", "remove-task-12", "set-a-deadline-outside-the-period"}
