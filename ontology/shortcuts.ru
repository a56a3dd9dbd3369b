# The shortcuts the load step writes (plangraph/store.py runs this SPARQL Update after loading).
# The statement of record is the qualified node; these triples make the common questions one
# triple pattern away on an endpoint that does no inference:
#   ?element pg:involvesInstitution ?institution      every involvement, stated or inferred
#   ?element pg:leadInstitution ?institution          the role's pg:statedShortcut, stated ones
#   ?element pg:inferredResponsibleInstitution ?i     the role's pg:inferredShortcut, inferred ones
#   ?target pg:deadlineYear 2022                      the year of pg:deadline as an xsd:integer
# Each shortcut is written into the named graph that holds the statement it comes from. Another
# store gets the same triples by running this file after loading ontology/ and graph/ as named
# graphs (docs/MODEL.md, "Files and named graphs").

PREFIX pg:  <https://w3id.org/plangraph/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>

INSERT { GRAPH ?g { ?subject pg:involvesInstitution ?institution } }
WHERE {
  GRAPH ?g { ?subject pg:qualifiedInvolvement ?involvement .
             ?involvement pg:institution ?institution . }
} ;

INSERT { GRAPH ?g { ?subject ?shortcut ?institution } }
WHERE {
  GRAPH ?g { ?subject pg:qualifiedInvolvement ?involvement .
             ?involvement pg:institution ?institution ; pg:role ?role ; pg:inferred false . }
  GRAPH ?ontology { ?role pg:statedShortcut ?shortcut }
} ;

INSERT { GRAPH ?g { ?subject ?shortcut ?institution } }
WHERE {
  GRAPH ?g { ?subject pg:qualifiedInvolvement ?involvement .
             ?involvement pg:institution ?institution ; pg:role ?role ; pg:inferred true . }
  GRAPH ?ontology { ?role pg:inferredShortcut ?shortcut }
} ;

INSERT { GRAPH ?g { ?target pg:deadlineYear ?year } }
WHERE {
  GRAPH ?g { ?target pg:deadline ?deadline }
  BIND (xsd:integer(SUBSTR(STR(?deadline), 1, 4)) AS ?year)
  FILTER (BOUND(?year))
}
