"""Regression tests for the errors a reading of the graph against its texts found (issue 11).

Each test is named for what was wrong and checks the fact against the words of the source.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from plangraph.store import load

REPO = Path(__file__).resolve().parent.parent
BASE = "https://w3id.org/plangraph/"
BJ = BASE + "edition/bj-jinke-2020"
XC = BASE + "edition/xc-jinke-2021"
SH = BASE + "edition/sh-fintech-2020"
PREFIXES = """
PREFIX pg: <https://w3id.org/plangraph/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""
STORE = load([REPO / "ontology", REPO / "graph"])


def rows(sparql: str) -> list[dict[str, str]]:
    result = STORE.query(PREFIXES + sparql)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


def ask(sparql: str) -> bool:
    return bool(STORE.query(PREFIXES + "ASK {" + sparql + "}"))


# 1. The report says only 联合制定 and 经北京市政府批复…正式发布: no issuer is named.
def test_beijing_2020_issuers_are_inferred_not_stated() -> None:
    issuing = rows(
        f"SELECT ?i ?inferred WHERE {{ <{BJ}> pg:qualifiedInvolvement ?n ."
        " ?n pg:role pg:IssuingRole ; pg:institution ?i ; pg:inferred ?inferred }"
    )
    assert {r["inferred"] for r in issuing} == {"true"}
    assert not ask(f"<{BJ}> pg:issuedBy ?anyone")
    assert ask(f"<{BJ}> pg:inferredIssuedBy <{BASE}institution/xicheng-government>")
    # drafting (联合制定) and approval (经北京市政府批复) are what the report states
    assert ask(f"<{BJ}> pg:draftedBy <{BASE}institution/haidian-government>")
    assert ask(f"<{BJ}> pg:approvedBy <{BASE}institution/beijing-government>")


def test_beijing_text_source_names_no_publisher() -> None:
    assert not ask(f"<{BASE}source/bj-jinke-2020-text> dcterms:publisher ?p")


# 2. Nothing in the Xicheng report says the 2021 plan revises the 2020 one.
def test_xicheng_2021_follows_rather_than_revises_the_2020_edition() -> None:
    assert not ask(f"<{XC}> prov:wasRevisionOf ?earlier")
    assert ask(f"<{XC}> pg:followsEdition <{BJ}>")


# 3. The report lists key tasks (lines 13–15) and a headline goal; its only source is English.
def test_xicheng_2021_models_the_report_tasks_and_headline_goal_in_english_only() -> None:
    tasks = rows(f"SELECT ?t WHERE {{ ?t a pg:Task ; pg:inEdition <{XC}> }}")
    assert len(tasks) == 7
    quotes = " ".join(
        r["q"]
        for r in rows(
            f"SELECT ?q WHERE {{ ?t a pg:Task ; pg:inEdition <{XC}> ;"
            " pg:evidence/oa:hasSelector/oa:exact ?q }"
        )
    )
    for words in (
        "international professional service agencies",
        "talents",
        '"Beijing Brands"',
        "regional collaboration",
        "key enterprises and project pilots",
    ):
        assert words in quotes
    assert ask(
        f"<{XC}/goal/overall> a pg:Goal ; pg:evidence/oa:hasSelector/oa:exact ?q"
        ' FILTER(CONTAINS(?q, "Leading Enterprises"))'
    )
    chinese = rows(
        f"SELECT ?s ?l WHERE {{ GRAPH <{XC}> {{ ?s rdfs:label|pg:function|dcterms:title ?l }}"
        ' FILTER(LANG(?l) = "zh") }'
    )
    assert chinese == [], "a Chinese label with no Chinese source"


# 4. Both official editions state an overall goal before their numbered goals.
@pytest.mark.parametrize(
    ("edition", "words"),
    [(BJ, "金融科技监管体系引领者"), (SH, "具有全球竞争力的金融科技中心")],
    ids=["bj-jinke-2020", "sh-fintech-2020"],
)
def test_complete_editions_model_their_overall_goal(edition: str, words: str) -> None:
    found = rows(f"SELECT ?text WHERE {{ <{edition}/goal/overall> a pg:Goal ; pg:text ?text }}")
    assert found and words in found[0]["text"]


# 5. A Party committee is not a government body.
def test_xicheng_party_committee_is_no_government_body() -> None:
    committee = f"<{BASE}institution/xicheng-party-committee>"
    assert ask(f"{committee} a pg:PartyOrganisation")
    assert not ask(f"{committee} a pg:GovernmentBody")


# 6. English labels that lost meaning, and one title translated two ways.
@pytest.mark.parametrize(
    ("node", "words"),
    [
        (f"{SH}/task/19", "brand of Shanghai's fintech"),  # 打响上海金融科技国际化品牌
        (f"{BJ}/principle/5", "long run"),  # 行稳致远
        (f"{BJ}/goal/1", "capabilities"),  # 能力
        (f"{BJ}/area/5", "Raise the level"),  # 提升…水平
    ],
    ids=["sh-task-19", "bj-principle-5", "bj-goal-1", "bj-area-5"],
)
def test_english_label_keeps_the_meaning(node: str, words: str) -> None:
    (label,) = rows(f'SELECT ?l WHERE {{ <{node}> rdfs:label ?l FILTER(LANG(?l) = "en") }}')
    assert words in label["l"]


def test_shanghai_title_is_translated_one_way() -> None:
    titles = {
        r["t"]
        for r in rows(
            "SELECT ?t WHERE { ?s dcterms:title|rdfs:label ?t FILTER(LANG(?t) = 'en')"
            " FILTER(CONTAINS(?t, 'Shanghai Fintech Centre') && STRSTARTS(?t, 'Implementation')) }"
        )
    }
    assert titles == {
        "Implementation Plan for Accelerating the Building of the Shanghai Fintech Centre"
    }


# The doubtful cases, decided: each decision is written down where the fact is.
@pytest.mark.parametrize(
    "node",
    [
        SH,
        f"{BJ}/task/7/involvement/1",
        f"{BASE}institution/star-market",
        f"{BASE}institution/chinanews",
    ],
    ids=["shanghai-end-year", "neeq-supported", "star-market", "chinanews"],
)
def test_doubtful_case_carries_its_decision(node: str) -> None:
    assert ask(f'<{node}> rdfs:comment ?c FILTER(CONTAINS(?c, "Decided doubtful case"))')


def test_star_market_is_tied_to_shanghai_task_5() -> None:
    # 5. …发挥监管科技作用,提升科创板上市审核、市场监察、上市公司监管效能
    assert ask(f"<{SH}/task/5> pg:namesInstitution <{BASE}institution/star-market>")
