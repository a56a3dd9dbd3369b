"""The ingestion lexicon (plangraph/ingest/lexicon.ttl): every entry says what it means, every
word it maps points at a term the ontology defines, and the cue words of the texts map as a
reader of Chinese plans expects. The ontology holds no cue words any more."""

from __future__ import annotations

from importlib import resources

import pyoxigraph as ox
import pytest

from plangraph.config import data_dir
from plangraph.ingest.gazetteer import Gazetteer, read_lexicon

PREFIXES = """
PREFIX lime: <http://www.w3.org/ns/lemon/lime#>
PREFIX ontolex: <http://www.w3.org/ns/lemon/ontolex#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX pg: <https://w3id.org/plangraph/ontology#>
"""
PG = "https://w3id.org/plangraph/ontology#"
PGU = "https://w3id.org/plangraph/unit/"


@pytest.fixture(scope="module")
def lexicon() -> ox.Store:
    store = ox.Store()
    text = (resources.files("plangraph.ingest") / "lexicon.ttl").read_bytes()
    store.load(text, format=ox.RdfFormat.TURTLE)
    return store


@pytest.fixture(scope="module")
def words() -> Gazetteer:
    gaz = Gazetteer()
    read_lexicon(gaz)
    return gaz


def test_every_entry_has_a_form_a_meaning_and_a_definition(lexicon: ox.Store) -> None:
    rows = list(
        lexicon.query(
            PREFIXES
            + """SELECT ?e WHERE { ?l lime:entry ?e .
            FILTER NOT EXISTS { ?e ontolex:canonicalForm/ontolex:writtenRep ?w ;
                                   ontolex:denotes ?d ; skos:definition ?def } }"""
        )
    )
    assert rows == []
    count = next(iter(lexicon.query(PREFIXES + "SELECT (COUNT(*) AS ?n) { ?l lime:entry ?e }")))
    assert int(count["n"].value) > 150


def test_every_lexicon_says_what_its_words_are_in_both_languages(lexicon: ox.Store) -> None:
    rows = list(
        lexicon.query(
            PREFIXES
            + """SELECT ?l WHERE { ?l a lime:Lexicon .
            FILTER NOT EXISTS { ?l skos:definition ?zh FILTER(LANG(?zh) = "zh")
                                ?l skos:definition ?en FILTER(LANG(?en) = "en") } }"""
        )
    )
    assert rows == []


def test_every_denoted_term_of_ours_is_defined_by_the_ontology(lexicon: ox.Store) -> None:
    ontology = ox.Store()
    ontology.load((data_dir("ontology") / "plangraph.ttl").read_bytes(), format=ox.RdfFormat.TURTLE)
    defined = {q.subject.value for q in ontology}
    denoted = {
        r["d"].value
        for r in lexicon.query(PREFIXES + "SELECT DISTINCT ?d { ?e ontolex:denotes ?d }")
    }
    ours = {d for d in denoted if d.startswith((PG, PGU))}
    assert ours and ours <= defined, ours - defined


def test_the_ontology_holds_no_cue_words() -> None:
    ontology = ox.Store()
    ontology.load((data_dir("ontology") / "plangraph.ttl").read_bytes(), format=ox.RdfFormat.TURTLE)
    rows = ontology.query(
        PREFIXES
        + """SELECT ?t WHERE { ?t skos:altLabel ?w .
        { ?t a pg:Comparator } UNION { ?t a pg:CountingBasis } UNION { ?t a pg:Unit }
        UNION { ?t <http://www.w3.org/2000/01/rdf-schema#subClassOf>* pg:Institution } }"""
    )
    assert [r["t"].value for r in rows] == []


# Cue words as they occur in the source texts and in plans generally.
CUES = [
    ("comparators", "不少于", PG + "AtLeast"),
    ("comparators", "以上", PG + "AtLeast"),
    ("comparators", "左右", PG + "About"),
    ("comparators", "超过", PG + "MoreThan"),
    ("comparators", "不超过", PG + "AtMost"),
    ("comparators", "最高", PG + "AtMost"),
    ("bases", "年均", PG + "PerYear"),
    ("bases", "每年", PG + "PerYear"),
    ("bases", "累计", PG + "Cumulative"),
    ("bases", "总量", PG + "Cumulative"),
    ("bases", "占比", PG + "Share"),
    ("bases", "增长率", PG + "GrowthRate"),
    ("units", "家", PGU + "jia"),
    ("units", "场", PGU + "chang"),
    ("units", "名", PGU + "ming"),
    ("units", "平方米", PGU + "square-metre"),
    ("units", "%", PGU + "percent"),
    ("type_endings", "研究院", PG + "ResearchInstitute"),
    ("type_endings", "交易所", PG + "MarketInfrastructure"),
    ("type_endings", "管委会", PG + "GovernmentBody"),
    ("weak_endings", "中心", PG + "Platform"),
    ("role_words", "牵头单位", PG + "LeadRole"),
    ("role_words", "配合单位", PG + "ParticipatingRole"),
    ("body_cues", "依托", PG + "ParticipatingRole"),
    ("body_cues", "支持", PG + "SupportedRole"),
]


@pytest.mark.parametrize(("table", "word", "term"), CUES, ids=[c[1] for c in CUES])
def test_cue_word_maps_to(words: Gazetteer, table: str, word: str, term: str) -> None:
    assert getattr(words, table)[word] == term


@pytest.mark.parametrize("word", ["新增", "增量", "年内"])
def test_words_that_say_what_or_when_are_no_counting_basis(words: Gazetteer, word: str) -> None:
    """Regression: 新增 and 年内 were cue words of pg:Cumulative in the ontology."""
    assert word not in words.bases


def test_jurisdiction_relative_words_are_levels_not_names(words: Gazetteer) -> None:
    assert words.relative["市"] == "city" and words.relative["本市"] == "city"
    assert words.relative["区"] == "district"
    assert "各区政府" in words.collectives and "市有关部门" in words.collectives
