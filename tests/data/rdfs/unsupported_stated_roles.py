"""Print, as JSON, every stated role triple an RDFS closure (owlrl) entails that no stated
involvement node supports; read N-Triples on stdin.

Run in its own process by tests/test_graph.py: owlrl binds XSD datatypes in rdflib globally on
import, which would change how later tests in the same process parse xsd:gYear literals.
"""

import json
import sys

import owlrl
from rdflib import Graph, URIRef

PG = "https://w3id.org/plangraph/ontology#"

graph = Graph().parse(data=sys.stdin.read(), format="nt")
owlrl.DeductiveClosure(owlrl.RDFS_Semantics).expand(graph)
stated = sorted({str(o) for o in graph.objects(None, URIRef(PG + "statedShortcut"))})
supported = set()
for owner, node in graph.subject_objects(URIRef(PG + "qualifiedInvolvement")):
    if str(graph.value(node, URIRef(PG + "inferred"))).lower() == "false":
        role = graph.value(node, URIRef(PG + "role"))
        prop = graph.value(role, URIRef(PG + "statedShortcut"))
        supported.add((owner, prop, graph.value(node, URIRef(PG + "institution"))))
unsupported = [
    [str(s), p, str(o)]
    for p in stated
    for s, o in graph.subject_objects(URIRef(p))
    if (s, URIRef(p), o) not in supported
]
json.dump({"stated": stated, "unsupported": unsupported}, sys.stdout)
