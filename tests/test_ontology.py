"""Ontology hygiene, as schema.org's test_graphs.py does it: SPARQL that lists offending terms.

Each check prints one line per offending term, so a failure says exactly what to fix. The
ontology is read straight from ontology/plangraph.ttl (no server), and compared with
docs/MODEL.md, with the graph files, and with plangraph/namespace.py.
"""

from __future__ import annotations

import re
from inspect import get_annotations
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import namespace as ns

from plangraph.namespace import PG, PGU

REPO = Path(__file__).resolve().parent.parent
ONTOLOGY = REPO / "ontology" / "plangraph.ttl"
MODEL = REPO / "docs" / "MODEL.md"
GRAPH_FILES = sorted((REPO / "graph").glob("*.ttl"))
ONTOLOGY_IRI = "https://w3id.org/plangraph/ontology"

PREFIXES = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX pg: <https://w3id.org/plangraph/ontology#>
PREFIX pgu: <https://w3id.org/plangraph/unit/>
"""

# Every term the ontology defines: what owl:Class / owl:*Property / owl:NamedIndividual types.
TERMS = """
  VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:NamedIndividual }
  ?term a ?kind .
  FILTER(STRSTARTS(STR(?term), STR(pg:)) || STRSTARTS(STR(?term), STR(pgu:)))
"""


@pytest.fixture(scope="module")
def onto() -> ox.Store:
    store = ox.Store()
    store.load(path=str(ONTOLOGY), format=ox.RdfFormat.TURTLE)
    return store


def offenders(store: ox.Store, where: str) -> list[str]:
    """Run a SELECT ?term ?why query; one line per offending term, sorted."""
    rows = store.query(PREFIXES + "SELECT DISTINCT ?term ?why WHERE {" + where + "}")
    return sorted(f"{row['term'].value}: {row['why'].value}" for row in rows)


def defined_terms(store: ox.Store) -> set[str]:
    return {row["term"].value for row in store.query(PREFIXES + f"SELECT ?term WHERE {{{TERMS}}}")}


def test_ontology_parses_with_rdflib_and_pyoxigraph(onto: ox.Store) -> None:
    graph = rdflib.Graph().parse(ONTOLOGY, format="turtle")
    assert len(graph) == len(onto) > 1000


def test_header_names_version_license_and_prefix(onto: ox.Store) -> None:
    rows = list(
        onto.query(
            PREFIXES
            + """PREFIX dcterms: <http://purl.org/dc/terms/>
            PREFIX vann: <http://purl.org/vocab/vann/>
            SELECT ?o ?vi ?info ?license ?pfx WHERE {
              ?o a owl:Ontology ; owl:versionIRI ?vi ; owl:versionInfo ?info ;
                 dcterms:license ?license ; vann:preferredNamespacePrefix ?pfx ;
                 dcterms:title ?tzh , ?ten ; dcterms:description ?dzh , ?den ; dcterms:creator ?c .
              FILTER(LANG(?tzh) = "zh" && LANG(?ten) = "en")
              FILTER(LANG(?dzh) = "zh" && LANG(?den) = "en")
            }"""
        )
    )
    assert len({r["o"].value for r in rows}) == 1, "exactly one owl:Ontology with the full header"
    row = rows[0]
    assert row["o"].value == ONTOLOGY_IRI
    # One version, one place: the versionIRI is the ontology IRI plus versionInfo.
    assert row["vi"].value == f"{ONTOLOGY_IRI}/{row['info'].value}"
    assert row["license"].value == "https://creativecommons.org/licenses/by/4.0/"
    assert row["pfx"].value == "pg"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_class_and_property_has_a_label_in(onto: ox.Store, lang: str) -> None:
    bad = offenders(
        onto,
        TERMS
        + f"""FILTER NOT EXISTS {{ ?term rdfs:label ?l FILTER(LANG(?l) = "{lang}") }}
        BIND("no rdfs:label @{lang}" AS ?why)""",
    )
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_class_and_property_has_a_definition_in(onto: ox.Store, lang: str) -> None:
    bad = offenders(
        onto,
        TERMS
        + f"""FILTER NOT EXISTS {{ ?term skos:definition ?d FILTER(LANG(?d) = "{lang}") }}
        BIND("no skos:definition @{lang}" AS ?why)""",
    )
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("predicate", ["rdfs:label", "skos:definition"])
def test_no_term_has_two_of_the_same_language(onto: ox.Store, predicate: str) -> None:
    bad = offenders(
        onto,
        f"""?term {predicate} ?a , ?b .
        FILTER(?a != ?b && LANG(?a) = LANG(?b))
        BIND(CONCAT("two {predicate} @", LANG(?a)) AS ?why)""",
    )
    assert not bad, "\n".join(bad)


def test_labels_and_definitions_carry_a_language_tag(onto: ox.Store) -> None:
    bad = offenders(
        onto,
        """?term rdfs:label|skos:definition|skos:altLabel ?l .
        FILTER(LANG(?l) = "") BIND(CONCAT("untagged: ", STR(?l)) AS ?why)""",
    )
    assert not bad, "\n".join(bad)


def test_definitions_are_one_sentence(onto: ox.Store) -> None:
    bad = []
    for row in onto.query(PREFIXES + "SELECT ?term ?d WHERE { ?term skos:definition ?d }"):
        text = row["d"].value.rstrip("。.")
        # Sentence ends inside the text: "。" anywhere, or ". " followed by a capital letter.
        if "。" in text or re.search(r"\.\s+[A-Z]", text):
            bad.append(f"{row['term'].value}: more than one sentence: {row['d'].value}")
    assert not bad, "\n".join(sorted(bad))


def test_every_term_is_defined_by_the_ontology(onto: ox.Store) -> None:
    bad = offenders(
        onto,
        TERMS
        + f"""FILTER NOT EXISTS {{ ?term rdfs:isDefinedBy <{ONTOLOGY_IRI}> }}
        BIND("no rdfs:isDefinedBy" AS ?why)""",
    )
    assert not bad, "\n".join(bad)


def test_every_property_is_either_object_or_datatype(onto: ox.Store) -> None:
    bad = offenders(
        onto,
        # UNION branches do not see outer bindings, so each branch binds ?term itself.
        """{ ?term a owl:ObjectProperty , owl:DatatypeProperty BIND("typed both" AS ?why) }
        UNION
        { ?term a ?t . VALUES ?t { rdf:Property pg:InferredProperty }
          FILTER NOT EXISTS { ?term a owl:ObjectProperty }
          FILTER NOT EXISTS { ?term a owl:DatatypeProperty }
          BIND("neither object nor datatype property" AS ?why) }
        UNION
        { ?term rdfs:domain|rdfs:range|rdfs:subPropertyOf ?x .
          FILTER(STRSTARTS(STR(?term), STR(pg:)))
          FILTER NOT EXISTS { ?term a owl:ObjectProperty }
          FILTER NOT EXISTS { ?term a owl:DatatypeProperty }
          BIND("neither object nor datatype property" AS ?why) }""",
    )
    assert not bad, "\n".join(bad)


def test_object_properties_have_class_ranges_and_datatype_properties_literal_ranges(
    onto: ox.Store,
) -> None:
    bad = offenders(
        onto,
        """{ ?term a owl:ObjectProperty ; rdfs:range ?r .
             FILTER(STRSTARTS(STR(?r), "http://www.w3.org/2001/XMLSchema#") || ?r = rdf:langString)
             BIND("object property with a literal range" AS ?why) }
        UNION
        { ?term a owl:DatatypeProperty ; rdfs:range ?r .
          FILTER(!STRSTARTS(STR(?r), "http://www.w3.org/2001/XMLSchema#") && ?r != rdf:langString)
          BIND("datatype property with a class range" AS ?why) }
        UNION
        { ?term a ?k . VALUES ?k { owl:ObjectProperty owl:DatatypeProperty }
          FILTER(STRSTARTS(STR(?term), STR(pg:)) && ?term != pg:evidence)
          FILTER NOT EXISTS { ?term rdfs:range ?any }
          BIND("no rdfs:range" AS ?why) }""",
    )
    assert not bad, "\n".join(bad)


def test_domains_and_ranges_are_defined_classes(onto: ox.Store) -> None:
    bad = offenders(
        onto,
        """?term rdfs:domain|rdfs:range ?c .
        FILTER(STRSTARTS(STR(?c), STR(pg:)))
        FILTER NOT EXISTS { ?c a owl:Class }
        BIND(CONCAT("domain/range not a defined class: ", STR(?c)) AS ?why)""",
    )
    assert not bad, "\n".join(bad)


def test_inferred_properties_are_object_properties_never_under_a_stated_one(
    onto: ox.Store,
) -> None:
    """An inferred property may refine pg:involvesInstitution (any role, stated or inferred) or
    another inferred property, never a property whose statements are the text's words: an RDFS
    reasoner would otherwise turn every inference into a statement."""
    bad = offenders(
        onto,
        """{ ?term a pg:InferredProperty .
          FILTER NOT EXISTS { ?term a owl:ObjectProperty }
          BIND("not an owl:ObjectProperty" AS ?why) }
        UNION
        { ?term a pg:InferredProperty ; rdfs:subPropertyOf+ ?super .
          FILTER(?super != pg:involvesInstitution && STRSTARTS(STR(?super), STR(pg:)))
          FILTER NOT EXISTS { ?super a pg:InferredProperty }
          BIND(CONCAT("a sub-property of the stated ", STR(?super)) AS ?why) }""",
    )
    assert not bad, "\n".join(bad)
    inferred = {
        r["p"].value for r in onto.query(PREFIXES + "SELECT ?p WHERE { ?p a pg:InferredProperty }")
    }
    assert {PG.inferredResponsibleInstitution, PG.inferredInDistrict, PG.inferredIssuedBy} <= {
        rdflib.URIRef(p) for p in inferred
    }


def test_every_role_concept_has_a_stated_shortcut_under_involves_institution(
    onto: ox.Store,
) -> None:
    bad = offenders(
        onto,
        """{ ?term a pg:InstitutionRole .
          FILTER NOT EXISTS { ?term pg:statedShortcut ?s }
          BIND("no pg:statedShortcut" AS ?why) }
        UNION
        { ?term a pg:InstitutionRole .
          FILTER NOT EXISTS { ?term skos:inScheme pg:InstitutionRoles }
          BIND("not in pg:InstitutionRoles" AS ?why) }
        UNION
        { ?role pg:statedShortcut|pg:inferredShortcut ?term .
          FILTER NOT EXISTS { ?term rdfs:subPropertyOf pg:involvesInstitution }
          BIND("shortcut not under pg:involvesInstitution" AS ?why) }
        UNION
        { ?role pg:statedShortcut ?term . ?term a pg:InferredProperty .
          BIND("a stated shortcut that is a pg:InferredProperty" AS ?why) }
        UNION
        { ?role pg:inferredShortcut ?term .
          FILTER NOT EXISTS { ?term a pg:InferredProperty }
          BIND("an inferred shortcut that is not a pg:InferredProperty" AS ?why) }""",
    )
    assert not bad, "\n".join(bad)


def test_no_owl_term_is_aligned_with_skos_close_match(onto: ox.Store) -> None:
    bad = offenders(
        onto,
        """?term skos:closeMatch|skos:exactMatch ?x .
        FILTER NOT EXISTS { ?term a skos:Concept }
        BIND(CONCAT("skos:closeMatch on a non-concept: ", STR(?x)) AS ?why)""",
    )
    assert not bad, "\n".join(bad)


def test_every_class_but_the_roots_has_a_superclass(onto: ox.Store) -> None:
    bad = offenders(
        onto,
        """?term a owl:Class . FILTER(STRSTARTS(STR(?term), STR(pg:)))
        FILTER NOT EXISTS { ?term rdfs:subClassOf ?super }
        FILTER(?term NOT IN (pg:PlanElement, pg:Zone, pg:Comparator, pg:CountingBasis, pg:Unit))
        BIND("no rdfs:subClassOf (no alignment, no parent)" AS ?why)""",
    )
    assert not bad, "\n".join(bad)


# --- the fixed individuals (their cue words are in the ingestion lexicon, tests/test_lexicon.py)


def test_units_match_qudt_where_qudt_has_the_unit(onto: ox.Store) -> None:
    rows = {
        (r["u"].value, r["q"].value)
        for r in onto.query(PREFIXES + "SELECT ?u ?q WHERE { ?u a pg:Unit ; rdfs:seeAlso ?q }")
    }
    assert rows == {
        (str(PGU["square-metre"]), "http://qudt.org/vocab/unit/M2"),
        (str(PGU.percent), "http://qudt.org/vocab/unit/PERCENT"),
    }


# --- alignments --------------------------------------------------------------------------------


def test_alignment_targets_exist_in_their_vocabularies() -> None:
    # rdflib ships closed term lists for these; a misspelt alignment target fails here.
    vocabularies = (ns.PROV, ns.SKOS, ns.DCTERMS, ns.ORG, ns.TIME, ns.GEO, ns.FOAF, ns.VANN)
    known = {str(v): v for v in vocabularies}
    graph = rdflib.Graph().parse(ONTOLOGY, format="turtle")
    bad = []
    for _s, p, o in graph:
        for iri in (p, o):
            if not isinstance(iri, rdflib.URIRef):
                continue
            for base, vocabulary in known.items():
                local = str(iri)[len(base) :]
                if str(iri).startswith(base) and local and local not in vocabulary:
                    bad.append(f"{iri}: not a term of {base}")
    assert not bad, "\n".join(sorted(set(bad)))


@pytest.mark.parametrize(
    ("term", "relation", "target"),
    [
        ("PlanEdition", "subClassOf", "http://data.europa.eu/eli/ontology#LegalResource"),
        ("Plan", "subClassOf", "http://data.europa.eu/eli/ontology#LegalResource"),
        ("Institution", "subClassOf", "http://www.w3.org/ns/org#Organization"),
        ("Place", "subClassOf", "http://www.opengis.net/ont/geosparql#Feature"),
        ("SourceSpan", "subClassOf", "http://www.w3.org/ns/oa#SpecificResource"),
        ("Theme", "subClassOf", "http://www.w3.org/2004/02/skos/core#Concept"),
        ("Involvement", "subClassOf", "http://www.w3.org/ns/prov#AgentInfluence"),
        ("InstitutionRole", "subClassOf", "http://www.w3.org/ns/prov#Role"),
        ("institution", "subPropertyOf", "http://www.w3.org/ns/prov#agent"),
        ("inDistrict", "subPropertyOf", "http://www.opengis.net/ont/geosparql#sfWithin"),
        ("concernsPlace", "subPropertyOf", "http://purl.org/dc/terms/spatial"),
        ("subOrganizationOf", "subPropertyOf", "http://www.w3.org/ns/org#subOrganizationOf"),
        ("theme", "subPropertyOf", "http://purl.org/dc/terms/subject"),
        ("issueDate", "subPropertyOf", "http://data.europa.eu/eli/ontology#date_document"),
        ("basedOn", "seeAlso", "http://data.europa.eu/eli/ontology#based_on"),
        ("startYear", "seeAlso", "http://www.w3.org/2006/time#hasBeginning"),
        ("endYear", "seeAlso", "http://www.w3.org/2006/time#hasEnd"),
        (
            "CentralBank",
            "seeAlso",
            "https://spec.edmcouncil.org/fibo/ontology/FBC/FunctionalEntities/"
            "FinancialServicesEntities/CentralBank",
        ),
    ],
)
def test_alignment_is_stated(onto: ox.Store, term: str, relation: str, target: str) -> None:
    predicate = {
        "subClassOf": "rdfs:subClassOf",
        "subPropertyOf": "rdfs:subPropertyOf",
        "seeAlso": "rdfs:seeAlso",
    }[relation]
    assert onto.query(PREFIXES + f"ASK {{ pg:{term} {predicate} <{target}> }}")


# --- the contract: MODEL.md, the graph files and namespace.py ------------------------------------


def model_terms() -> set[str]:
    text = MODEL.read_text(encoding="utf-8")
    return {str(PG) + t for t in re.findall(r"\bpg:([A-Za-z][A-Za-z0-9]*)", text)} | {
        str(PGU) + t for t in re.findall(r"\bpgu:([A-Za-z][A-Za-z0-9-]*)", text)
    }


def test_ontology_defines_exactly_the_terms_of_model_md(onto: ox.Store) -> None:
    defined, model = defined_terms(onto), model_terms()
    lines = [f"in MODEL.md, not in the ontology: {t}" for t in sorted(model - defined)]
    lines += [f"in the ontology, not in MODEL.md: {t}" for t in sorted(defined - model)]
    assert not lines, "\n".join(lines)


@pytest.mark.parametrize("path", GRAPH_FILES, ids=[p.name for p in GRAPH_FILES])
def test_graph_file_uses_only_defined_terms(onto: ox.Store, path: Path) -> None:
    defined = defined_terms(onto)
    used: set[str] = set()
    for triple in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith((str(PG), str(PGU))):
                used.add(term.value)
    undefined = sorted(used - defined)
    assert not undefined, f"{path.name} uses undefined terms:\n" + "\n".join(undefined)


def test_namespace_py_matches_the_ontology(onto: ox.Store) -> None:
    """Regenerate the term list from the ontology and compare it with PG and PGU."""
    defined = defined_terms(onto)
    in_python = {str(PG) + name for name in get_annotations(PG) if not name.startswith("_")}
    in_python |= {str(PGU) + name for name in get_annotations(PGU) if not name.startswith("_")}
    in_python |= {str(PGU) + name for name in PGU._extras}
    lines = [f"defined, missing from namespace.py: {t}" for t in sorted(defined - in_python)]
    lines += [f"in namespace.py, not defined: {t}" for t in sorted(in_python - defined)]
    assert not lines, "\n".join(lines)


def test_closed_namespace_rejects_a_misspelt_term() -> None:
    with pytest.raises(AttributeError):
        _ = PG.Taks


# --- the themes registry (graph/themes.ttl) -------------------------------------------------------

THEMES = REPO / "graph" / "themes.ttl"
THEME = "https://w3id.org/plangraph/theme/"


@pytest.fixture(scope="module")
def themes() -> ox.Store:
    store = ox.Store()
    store.load(path=str(THEMES), format=ox.RdfFormat.TURTLE)
    return store


def model_theme_slugs() -> dict[str, set[str]]:
    """The slugs MODEL.md lists under "Theme slugs", by scheme."""
    text = MODEL.read_text(encoding="utf-8")
    section = text.split("## Theme slugs", 1)[1].split("\n## ", 1)[0]
    schemes: dict[str, set[str]] = {}
    for item in re.split(r"\n- ", section)[1:]:
        head, _, rest = item.partition(":")
        scheme = re.search(r"theme/([a-z]+)", head)
        if scheme:
            schemes[scheme.group(1)] = set(re.findall(r"`([a-z0-9-]+)`", rest))
    return schemes


def test_themes_are_exactly_the_slugs_of_model_md(themes: ox.Store) -> None:
    expected = model_theme_slugs()
    assert set(expected) == {"technologies", "fields", "measures"}
    lines = []
    for scheme, slugs in expected.items():
        rows = themes.query(
            PREFIXES + f"SELECT ?c WHERE {{ ?c skos:inScheme <{THEME}{scheme}> ; "
            f"skos:topConceptOf <{THEME}{scheme}> . <{THEME}{scheme}> skos:hasTopConcept ?c }}"
        )
        found = {r["c"].value.removeprefix(THEME) for r in rows}
        lines += [f"{scheme}: missing {s}" for s in sorted(slugs - found)]
        lines += [f"{scheme}: not in MODEL.md {s}" for s in sorted(found - slugs)]
    assert not lines, "\n".join(lines)


def test_every_theme_has_labels_synonyms_and_definitions(themes: ox.Store) -> None:
    checks = []
    for lang in ("zh", "en"):
        for predicate in ("skos:prefLabel", "rdfs:label", "skos:altLabel", "skos:definition"):
            checks.append(
                f"""{{ FILTER NOT EXISTS {{ ?term {predicate} ?x FILTER(LANG(?x) = "{lang}") }}
                BIND("no {predicate} @{lang}" AS ?why) }}"""
            )
    checks.append(
        """{ ?term skos:prefLabel ?a , ?b FILTER(?a != ?b && LANG(?a) = LANG(?b))
             BIND("two skos:prefLabel in one language" AS ?why) }"""
    )
    checks.append(
        """{ ?term skos:prefLabel ?p . FILTER NOT EXISTS { ?term rdfs:label ?p }
             BIND("rdfs:label differs from skos:prefLabel" AS ?why) }"""
    )
    checks.append("""{ FILTER NOT EXISTS { ?term a pg:Theme } BIND("not a pg:Theme" AS ?why) }""")
    # UNION branches do not see outer bindings, so each branch binds ?term itself.
    bad = offenders(
        themes, " UNION ".join(c.replace("{", "{ ?term a skos:Concept .", 1) for c in checks)
    )
    assert not bad, "\n".join(bad)


def test_theme_synonyms_are_unambiguous(themes: ox.Store) -> None:
    """The ingestion tool tags by these labels: one label, one concept, within a scheme."""
    bad = offenders(
        themes,
        """{ ?term skos:altLabel ?l ; skos:prefLabel ?l
             BIND(CONCAT("altLabel = prefLabel: ", ?l) AS ?why) }
        UNION
        { ?term skos:inScheme ?s ; skos:prefLabel|skos:altLabel ?l .
          ?other skos:inScheme ?s ; skos:prefLabel|skos:altLabel ?l .
          FILTER(?term != ?other)
          BIND(CONCAT("label ", STR(?l), " also on ", STR(?other)) AS ?why) }""",
    )
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("path", GRAPH_FILES, ids=[p.name for p in GRAPH_FILES])
def test_graph_file_tags_with_themes_of_the_right_scheme(themes: ox.Store, path: Path) -> None:
    schemes: dict[str, set[str]] = {}
    for r in themes.query(PREFIXES + "SELECT ?c ?s WHERE { ?c skos:inScheme ?s }"):
        schemes.setdefault(r["c"].value, set()).add(r["s"].value.removeprefix(THEME))
    allowed = {
        str(PG.theme): {"technologies", "fields"},
        str(PG.measures): {"measures"},
    }
    bad = []
    for triple in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        if triple.predicate.value in allowed:
            theme = triple.object.value
            found = schemes.get(theme, {"(undefined)"})
            if not found & allowed[triple.predicate.value]:
                bad.append(f"{triple.subject} {triple.predicate} <{theme}>: scheme {sorted(found)}")
    assert not bad, "\n".join(sorted(bad))
