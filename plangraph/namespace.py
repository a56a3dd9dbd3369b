"""Our RDF terms as closed namespaces, so a misspelt term fails on import instead of in the data.

`PG` and `PGU` mirror ontology/plangraph.ttl term for term (tests/test_ontology.py regenerates the
list from the ontology and fails on drift); the other vocabularies we use are plain namespaces.
"""

from __future__ import annotations

from rdflib import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef

__all__ = [
    "DCAT",
    "DCTERMS",
    "ELI",
    "FOAF",
    "GEO",
    "OA",
    "ORG",
    "OWL",
    "PG",
    "PGR",
    "PGU",
    "PREFIXES",
    "PROV",
    "QUDT",
    "RDF",
    "RDFS",
    "SD",
    "SH",
    "SKOS",
    "TIME",
    "UNIT",
    "VANN",
    "VOID",
    "XSD",
]


class PG(DefinedNamespace):
    """The plangraph ontology (https://w3id.org/plangraph/ontology): every term it defines."""

    _fail = True
    _NS = Namespace("https://w3id.org/plangraph/ontology#")

    # Classes
    BasisDocument: URIRef  # basis document
    Belt: URIRef  # belt (zone role 带)
    CentralBank: URIRef  # central bank
    CentralBankUnit: URIRef  # central bank unit
    City: URIRef  # city (zone role 城)
    Comparator: URIRef  # comparator
    Core: URIRef  # core (zone role 核)
    CountingBasis: URIRef  # counting basis
    DemonstrationZone: URIRef  # demonstration zone
    District: URIRef  # district
    Enterprise: URIRef  # enterprise
    Event: URIRef  # event
    Fund: URIRef  # fund
    Goal: URIRef  # goal
    GovernmentBody: URIRef  # government body
    GuidingIdeology: URIRef  # guiding ideology
    IndustryAssociation: URIRef  # industry association
    InferredProperty: URIRef  # inferred property
    IngestionActivity: URIRef  # ingestion activity
    Institution: URIRef  # institution
    JudicialBody: URIRef  # judicial body
    MarketInfrastructure: URIRef  # market infrastructure
    Place: URIRef  # place
    Plan: URIRef  # plan
    PlanEdition: URIRef  # plan edition
    PlanElement: URIRef  # plan element
    Platform: URIRef  # platform
    Point: URIRef  # point (zone role 点)
    Port: URIRef  # port (zone role 港)
    Preamble: URIRef  # preamble
    Principle: URIRef  # principle
    Programme: URIRef  # programme
    Regulator: URIRef  # regulator
    ResearchInstitute: URIRef  # research institute
    SafeguardMeasure: URIRef  # safeguard measure
    SourceDocument: URIRef  # source document
    SourceSpan: URIRef  # source span
    SpatialLayout: URIRef  # spatial layout
    StandardsBody: URIRef  # standards body
    Target: URIRef  # target
    Task: URIRef  # task
    TaskArea: URIRef  # task area
    Theme: URIRef  # theme
    Unit: URIRef  # unit
    University: URIRef  # university
    Wing: URIRef  # wing (zone role 翼)
    Zone: URIRef  # zone

    # Object properties
    approvedBy: URIRef  # approved by
    basedOn: URIRef  # based on
    basis: URIRef  # counting basis of a target
    comparator: URIRef  # comparator of a target
    createsInstitution: URIRef  # creates institution
    draftedBy: URIRef  # drafted by
    editionOf: URIRef  # edition of
    event: URIRef  # event
    evidence: URIRef  # evidence
    hasPlace: URIRef  # has place
    inDistrict: URIRef  # in district
    inEdition: URIRef  # in edition
    inLayout: URIRef  # in layout
    inTaskArea: URIRef  # in task area
    inferredInDistrict: URIRef  # inferred in district (pg:InferredProperty)
    inferredIssuedBy: URIRef  # inferred issuer of an edition (pg:InferredProperty)
    inferredResponsibleInstitution: URIRef  # inferred responsible institution (pg:InferredProperty)
    involvesInstitution: URIRef  # involves institution (super-property of every role)
    issuedBy: URIRef  # issued by
    leadInstitution: URIRef  # lead institution
    measures: URIRef  # what a target counts
    namesInstitution: URIRef  # names institution
    ofGoal: URIRef  # of goal
    organisedBy: URIRef  # organised by
    partOfEvent: URIRef  # part of event
    participatingInstitution: URIRef  # participating institution
    partnerInstitution: URIRef  # partner institution
    programme: URIRef  # programme
    releasedAt: URIRef  # released at
    responsibleInstitution: URIRef  # responsible institution
    sourceDocument: URIRef  # source document of a span
    subOrganizationOf: URIRef  # sub-organization of
    supportsInstitution: URIRef  # supports institution
    theme: URIRef  # theme
    unit: URIRef  # unit of a target

    # Datatype properties
    approximate: URIRef  # approximate (geometry)
    areaSquareKilometres: URIRef  # area in square kilometres
    completeness: URIRef  # "complete" or "partial"
    constructionStart: URIRef  # construction start
    deadline: URIRef  # deadline
    declaredGoalCount: URIRef  # declared goal count
    declaredPrincipleCount: URIRef  # declared principle count
    declaredTaskAreaCount: URIRef  # declared task-area count
    declaredTaskCount: URIRef  # declared task count
    documentNumber: URIRef  # document number
    end: URIRef  # end offset (exclusive)
    endYear: URIRef  # end year
    eventDate: URIRef  # event date
    function: URIRef  # function of a zone
    heading: URIRef  # heading
    inForceDate: URIRef  # in-force date
    inputSha256: URIRef  # input SHA-256
    issueDate: URIRef  # issue date
    localCopy: URIRef  # local copy
    number: URIRef  # number as counted
    printedNumber: URIRef  # number as printed
    publicationDate: URIRef  # publication date
    quote: URIRef  # quote
    sha256: URIRef  # SHA-256 digest
    shortTitle: URIRef  # short title
    start: URIRef  # start offset
    startYear: URIRef  # start year
    text: URIRef  # text
    toolVersion: URIRef  # tool version
    value: URIRef  # value of a target

    # Individuals: comparators and counting bases
    About: URIRef  # 左右
    AtLeast: URIRef  # 不少于, 以上
    AtMost: URIRef  # 不超过, 以下
    Exactly: URIRef  # 等于
    MoreThan: URIRef  # 超过
    Cumulative: URIRef  # 累计
    GrowthRate: URIRef  # 增长率
    PerYear: URIRef  # 年均, 每年
    Share: URIRef  # 占比


class PGU(DefinedNamespace):
    """plangraph units: https://w3id.org/plangraph/unit/ (individuals defined in the ontology)."""

    _fail = True
    _NS = Namespace("https://w3id.org/plangraph/unit/")
    _extras = ("square-metre",)  # not a Python name: use PGU["square-metre"]

    chang: URIRef  # 场
    ge: URIRef  # 个
    jia: URIRef  # 家
    ming: URIRef  # 名
    percent: URIRef  # %
    xiang: URIRef  # 项


PGR = Namespace("https://w3id.org/plangraph/")  # data: editions, institutions, places, themes …

ELI = Namespace("http://data.europa.eu/eli/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
ORG = Namespace("http://www.w3.org/ns/org#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
TIME = Namespace("http://www.w3.org/2006/time#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SH = Namespace("http://www.w3.org/ns/shacl#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VANN = Namespace("http://purl.org/vocab/vann/")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")

# The prefixes our files declare, for binding when serialising for people.
PREFIXES: dict[str, str] = {
    "pg": str(PG),
    "pgu": str(PGU),
    "pgr": str(PGR),
    "dcterms": str(DCTERMS),
    "dcat": str(DCAT),
    "eli": str(ELI),
    "foaf": str(FOAF),
    "geo": str(GEO),
    "oa": str(OA),
    "org": str(ORG),
    "owl": str(OWL),
    "prov": str(PROV),
    "qudt": str(QUDT),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "sd": str(SD),
    "sh": str(SH),
    "skos": str(SKOS),
    "time": str(TIME),
    "unit": str(UNIT),
    "vann": str(VANN),
    "void": str(VOID),
    "xsd": str(XSD),
}
