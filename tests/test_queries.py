"""The named queries in queries/, run in-process over the shipped ontology and graph.

Every report runs with the example parameters of its header, bound as RDF terms the way the
server binds them; a report with `x.expected.csv` beside it must give exactly that answer; and
each of the ten questions a researcher asks first is checked against what the source texts say.
(Data rules live in shapes/ only: the former `queries/checks/` duplicated them.)

The expected answers are about the three shipped editions (SHIPPED below), stated, not implied:
they are compared over a store holding those editions and the registries only, and rows about any
other edition are left out. A curator who adds an edition as the README says breaks none of them.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pyoxigraph as ox
import pytest

from plangraph import named_queries, store
from plangraph.sparql import parse_term

REPO = Path(__file__).resolve().parent.parent
QUERIES = REPO / "queries"
REPORTS = named_queries.load_all(QUERIES)
EXPECTED = sorted(QUERIES.glob("*.expected.csv"))

BASE = "https://w3id.org/plangraph/"
PG = BASE + "ontology#"
BJ = BASE + "edition/bj-jinke-2020"
SH = BASE + "edition/sh-fintech-2020"
XC = BASE + "edition/xc-jinke-2021"
ROLE = BASE + "zone-role/"


SHIPPED = frozenset({BJ, SH, XC})  # the editions the expected answers are about


@pytest.fixture(scope="module")
def graph() -> store.GraphStore:
    """The shipped dataset, one named graph per file, queried over their union."""
    return store.load([REPO / "ontology", REPO / "graph"])


ADDED_EDITION = Path(__file__).resolve().parent / "data" / "queries" / "added-edition.ttl"


@pytest.fixture(scope="module", params=["as-shipped", "with-an-added-edition"])
def shipped(request: pytest.FixtureRequest) -> store.GraphStore:
    """The ontology, the registries and the SHIPPED editions, taken from graph/ as it is and
    from graph/ with one more edition beside it (what a curator does next): same answers."""
    extra = [ADDED_EDITION] if request.param == "with-an-added-edition" else []
    files = [
        path
        for path in [*store.iter_rdf_files([REPO / "graph"]), *extra]
        if _editions_in(path) <= SHIPPED
    ]
    return store.load([REPO / "ontology", *files])


def _editions_in(path: Path) -> set[str]:
    quads = ox.parse(path=str(path), base_iri=path.as_uri())
    edition = ox.NamedNode(PG + "PlanEdition")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    return {q.subject.value for q in quads if q.predicate == rdf_type and q.object == edition}


def about_shipped(table: list[list[str]]) -> list[list[str]]:
    """The header and the rows that mention no edition outside SHIPPED."""
    prefix = BASE + "edition/"

    def edition(cell: str) -> str | None:
        return prefix + cell[len(prefix) :].split("/")[0] if cell.startswith(prefix) else None

    return table[:1] + [row for row in table[1:] if {edition(c) for c in row} - {None} <= SHIPPED]


def run(
    graph: store.GraphStore, query: named_queries.NamedQuery, values: dict[str, str] | None = None
) -> ox.QuerySolutions:
    terms = named_queries.bind(query, values or {})
    substitutions = {ox.Variable(name): parse_term(term) for name, term in terms.items()}
    return graph.query(query.text, substitutions=substitutions)


def examples(query: named_queries.NamedQuery) -> dict[str, str]:
    return {p.name: p.example for p in query.params if p.example}


def as_csv(solutions: ox.QuerySolutions) -> list[list[str]]:
    """Rows as SPARQL 1.1 CSV gives them (header first), so files and results compare alike."""
    text = solutions.serialize(format=ox.QueryResultsFormat.CSV).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def rows(solutions: ox.QuerySolutions) -> list[dict[str, str]]:
    names = [v.value for v in solutions.variables]
    return [
        {name: (s[name].value if s[name] is not None else "") for name in names} for s in solutions
    ]


# --- every report runs, with and without its parameters ---------------------------------------


def test_the_named_queries_are_all_there() -> None:
    assert set(REPORTS) >= {
        "plan-summary",
        "tasks-by-institution",
        "targets-by-deadline",
        "spatial-layout",
        "tasks-by-theme",
        "shared-institutions",
        "element-provenance",
        "edition-comparison",
        "institution-roles",
        "tasks-by-place",
        "area-institutions",
    }


# The queries use plain triple patterns: no property paths over the ontology, no casts.
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_query_needs_no_inference_and_no_datatype_tricks(name: str) -> None:
    text = REPORTS[name].text
    for trick in ("subPropertyOf", "subClassOf", "xsd:integer(", "STR(?year"):
        assert trick not in text, f"{name} uses {trick}"


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_report_answers_with_its_example_parameters(graph: store.GraphStore, name: str) -> None:
    query = REPORTS[name]
    assert query.summary and query.description and query.tags
    assert all(p.example for p in query.params), f"{name}: every parameter needs an e.g. value"
    assert rows(run(graph, query, examples(query))), f"{name} found nothing for its examples"


@pytest.mark.parametrize("name", sorted(n for n, q in REPORTS.items() if q.params))
def test_bound_parameters_narrow_the_unbound_answer(graph: store.GraphStore, name: str) -> None:
    """A parameter left unbound means "any": the bound answer is a part of the unbound one."""
    query = REPORTS[name]
    bound = rows(run(graph, query, examples(query)))
    unbound = rows(run(graph, query))
    assert len(bound) < len(unbound)
    missing = [r for r in bound if r not in unbound]
    assert not missing, f"{name}: bound rows not in the unbound answer: {missing[:3]}"
    for param in query.params:
        values = {r[param.name] for r in bound}
        example = param.example or ""
        assert values == {example}, f"{name}: ?{param.name} should be {example}, is {values}"


@pytest.mark.parametrize("path", EXPECTED, ids=[p.name for p in EXPECTED])
def test_report_gives_its_expected_answer(shipped: store.GraphStore, path: Path) -> None:
    query = REPORTS[path.name.removesuffix(".expected.csv")]
    expected = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    assert about_shipped(expected) == expected, f"{path.name} names an edition not in SHIPPED"
    assert about_shipped(as_csv(run(shipped, query, examples(query)))) == expected


# --- answers checked against the source texts ----------------------------------------------------


def summary(graph: store.GraphStore) -> dict[str, dict[str, str]]:
    return {r["edition"]: r for r in rows(run(graph, REPORTS["plan-summary"]))}


@pytest.mark.parametrize(
    ("edition", "principles", "goals", "areas", "tasks"),
    [(BJ, "5", "5", "7", "30"), (SH, "4", "6", "5", "25")],
    ids=["bj-jinke-2020", "sh-fintech-2020"],
)
def test_plan_summary_counts_what_the_text_has(
    graph: store.GraphStore, edition: str, principles: str, goals: str, areas: str, tasks: str
) -> None:
    row = summary(graph)[edition]
    assert (row["principles"], row["goals"], row["taskAreas"], row["tasks"]) == (
        principles,
        goals,
        areas,
        tasks,
    )


def test_plan_summary_lists_an_edition_without_principles(graph: store.GraphStore) -> None:
    """The partial Xicheng edition has goals and the report's seven key tasks but no principles."""
    row = summary(graph)[XC]
    assert row["principles"] == "0" and row["goals"] == "4" and row["tasks"] == "7"


@pytest.mark.parametrize("institution", ["neeq", "cbex"])
def test_beijing_task_7_names_neeq_and_cbex(graph: store.GraphStore, institution: str) -> None:
    # 7. 深化金融市场科技应用: 鼓励全国中小企业股份转让系统…支持北京产权交易所、金融资产交易所…
    found = rows(
        run(
            graph,
            REPORTS["tasks-by-institution"],
            {"institution": f"{BASE}institution/{institution}"},
        )
    )
    task7 = [r for r in found if r["task"] == f"{BJ}/task/7"]
    assert task7, f"{institution} not found among the institutions of Beijing task 7"
    assert all(r["inferred"] == "false" for r in task7)


def test_inferred_responsibility_is_flagged(graph: store.GraphStore) -> None:
    found = rows(run(graph, REPORTS["institution-roles"]))
    inferred = {(r["institution"], r["role"]) for r in found if r["inferred"] == "true"}
    # No text names a responsible unit: Beijing's two districts (联合制定), Shanghai's government
    # (经市政府同意 … 请认真按照执行) and Xicheng's government are inferred, and only they.
    assert inferred == {
        (f"{BASE}institution/{slug}", PG + "ResponsibleRole")
        for slug in ("xicheng-government", "haidian-government", "shanghai-government")
    }


# 三、发展目标 of the Beijing text: every quantitative target, all due by 2022.
BEIJING_2022 = sorted(
    [
        ("20", "jia", "AtLeast", "PerYear"),  # 年均引进 20 家以上…金融科技企业和专业服务机构
        ("20", "jia", "AtLeast", "Cumulative"),  # 头部机构总量不少于 20 家
        ("20", "chang", "AtLeast", "PerYear"),  # 每年开展各类对接交流活动不少于 20 场
        ("10", "ming", "Exactly", "Cumulative"),  # 培养 10 名…企业家
        ("100", "ming", "Exactly", "Cumulative"),  # 100 名行业创新创业领军人才
        ("1000", "ming", "Exactly", "Cumulative"),  # 1000 名“金融科技创新工匠”
        ("50", "percent", "AtLeast", "Share"),  # 占比达到 50% 以上
        ("10", "chang", "AtLeast", "Cumulative"),  # 不少于 10 场…品牌活动
        ("10", "jia", "AtLeast", "Cumulative"),  # 不少于 10 家…领军企业
        ("10", "ge", "AtLeast", "Cumulative"),  # 不少于 10 个国际标准和监管规则
        ("500000", "square-metre", "AtLeast", "Cumulative"),  # 50 万平方米以上的增量空间
    ]
)


def test_targets_due_in_2022_are_the_beijing_targets(graph: store.GraphStore) -> None:
    found = rows(run(graph, REPORTS["targets-by-deadline"], {"year": "2022"}))
    assert {r["edition"] for r in found} == {BJ}
    got = sorted(
        (
            str(int(float(r["value"]))) if float(r["value"]).is_integer() else r["value"],
            r["unit"].removeprefix(BASE + "unit/"),
            r["comparator"].removeprefix(PG),
            r["basis"].removeprefix(PG),
        )
        for r in found
    )
    assert got == BEIJING_2022


def test_spatial_layouts_have_the_roles_the_texts_give(graph: store.GraphStore) -> None:
    found = rows(run(graph, REPORTS["spatial-layout"]))
    roles: dict[str, list[str]] = {}
    for r in found:
        roles.setdefault(r["edition"], []).append(r["role"].removeprefix(ROLE))
    assert sorted(roles[BJ]) == ["core", "point", "point", "point", "point"]  # 一核多点
    assert sorted(roles[SH]) == ["belt", "city", "city", "port"]  # 两城、一带、一港
    assert sorted(set(roles[XC])) == ["core", "point", "wing"]  # 一核两翼多点


def test_beijing_core_rests_on_three_places_in_two_districts(graph: store.GraphStore) -> None:
    # 强化北展地区、北下关地区及中关村大街沿线的核心承载力
    found = rows(run(graph, REPORTS["spatial-layout"], {"edition": BJ}))
    (core,) = [r for r in found if r["role"] == ROLE + "core"]
    places = core["places"].split("、")
    assert len(places) == 3
    assert any("北展" in p for p in places) and any("北下关" in p for p in places)
    assert any("中关村大街" in p for p in places)
    assert {d.rstrip("*") for d in core["districts"].split("、")} == {"西城区", "海淀区"}


def test_shanghai_belt_rests_on_four_places(graph: store.GraphStore) -> None:
    # “一带”,是指以杨浦滨江、北外滩、外滩金融集聚带、徐汇滨江为依托
    found = rows(run(graph, REPORTS["spatial-layout"], {"edition": SH}))
    (belt,) = [r for r in found if r["role"] == ROLE + "belt"]
    assert len(belt["places"].split("、")) == 4
    assert belt["function"] == "金融科技应用示范带"


@pytest.fixture(scope="module")
def with_added_edition() -> store.GraphStore:
    return store.load([REPO / "ontology", REPO / "graph", ADDED_EDITION])


@pytest.mark.parametrize("dataset", ["graph", "with_added_edition"])
def test_blockchain_tasks_span_both_plans(request: pytest.FixtureRequest, dataset: str) -> None:
    graph = request.getfixturevalue(dataset)
    found = rows(run(graph, REPORTS["tasks-by-theme"], {"theme": f"{BASE}theme/blockchain"}))
    tasks = {r["task"] for r in found}
    # Beijing 7: 支持北京产权交易所…运用区块链等技术; Shanghai 5: 运用区块链技术，加快票据交易
    assert {f"{BJ}/task/7", f"{SH}/task/5"} <= tasks
    # Of the shipped editions, the two 2020 plans mention blockchain (Xicheng 2021 has no tasks
    # yet); editions added later may add plans.
    plans = {r["plan"] for r in found if r["edition"] in SHIPPED}
    assert plans == {_plan_of(graph, BJ), _plan_of(graph, SH)}


def _plan_of(graph: store.GraphStore, edition: str) -> str:
    (plan,) = graph.store.quads_for_pattern(
        ox.NamedNode(edition), ox.NamedNode(PG + "editionOf"), None, None
    )
    return plan.object.value


def test_pboc_is_named_by_both_2020_editions(graph: store.GraphStore) -> None:
    found = rows(run(graph, REPORTS["shared-institutions"]))
    pboc = {r["edition"] for r in found if r["institution"] == f"{BASE}institution/pboc"}
    assert {BJ, SH} <= pboc


def test_comparison_pairs_the_space_targets_of_2020_and_2021(graph: store.GraphStore) -> None:
    found = rows(run(graph, REPORTS["edition-comparison"], {"left": BJ, "right": XC}))
    (space,) = [r for r in found if r["measures"] == f"{BASE}theme/space"]
    # 50 万平方米以上 (2022) and 500,000 square meters by 2025
    assert float(space["leftValue"]) == float(space["rightValue"]) == 500000
    assert (space["leftDeadline"], space["rightDeadline"]) == ("2022", "2025")
    only_right = {r["measures"] for r in found if not r["leftTarget"]}
    assert f"{BASE}theme/patents" in only_right  # the 2021 edition alone counts patents


def test_provenance_quotes_are_exact_slices_of_the_local_copy(graph: store.GraphStore) -> None:
    found = rows(run(graph, REPORTS["element-provenance"], {"element": f"{BJ}/task/7"}))
    assert found
    for r in found:
        data = (REPO / r["localCopy"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == r["sha256"]
        text = data.decode("utf-8")
        assert text[int(r["start"]) : int(r["end"])] == r["quote"]


def test_targets_due_by_an_integer_year(graph: store.GraphStore) -> None:
    """pg:deadlineYear compares with a plain integer: the 2021 edition's five targets fall due
    in 2025 (by 2025 / 十四五), the Beijing ones by 2022, the Shanghai ones by 2024 (5 years)."""
    query = (
        "PREFIX pg: <https://w3id.org/plangraph/ontology#> "
        "SELECT ?target WHERE { ?target pg:deadlineYear ?y FILTER(?y > 2024) }"
    )
    late = {r["target"] for r in rows(graph.query(query))}
    assert late == {
        f"{XC}/goal/1/target/1",
        f"{XC}/goal/2/target/1",
        f"{XC}/goal/2/target/2",
        f"{XC}/goal/3/target/1",
        f"{XC}/goal/4/target/1",
    }
    assert len(rows(graph.query(query.replace("FILTER(?y > 2024)", "FILTER(?y = 2022)")))) == 11


def test_tasks_in_zhangjiang_are_the_shanghai_layout_task(graph: store.GraphStore) -> None:
    # 14. “两城”,是指分别依托陆家嘴金融城和张江科学城
    found = rows(run(graph, REPORTS["tasks-by-place"], {"place": f"{BASE}place/zhangjiang"}))
    assert {r["task"] for r in found} == {f"{SH}/task/14"}


def test_tasks_on_financial_street_span_both_beijing_editions(graph: store.GraphStore) -> None:
    # Beijing 15 (一核多点), 20, 21, 30; Xicheng: linkage of Financial Street and Zhongguancun
    found = rows(run(graph, REPORTS["tasks-by-place"], {"place": f"{BASE}place/financial-street"}))
    assert {r["edition"] for r in found} == {BJ, XC}
    assert f"{XC}/task/7" in {r["task"] for r in found}


def test_area_1_of_beijing_is_the_two_districts_by_inference(graph: store.GraphStore) -> None:
    # The text names no responsible unit; the report: 西城区、海淀区联合制定
    found = rows(run(graph, REPORTS["area-institutions"], {"area": f"{BJ}/area/1"}))
    assert {(r["institution"], r["inferred"]) for r in found} == {
        (f"{BASE}institution/xicheng-government", "true"),
        (f"{BASE}institution/haidian-government", "true"),
    }
    assert {r["tasks"] for r in found} == {"4"}  # tasks 1–4 of （一）全力推动核心关键技术研发


def test_every_task_answers_the_shortcut_pattern(graph: store.GraphStore) -> None:
    """`?task pg:involvesInstitution ?i` answers without inference: every task has a row."""
    query = (
        "PREFIX pg: <https://w3id.org/plangraph/ontology#> "
        "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a pg:Task ; pg:involvesInstitution ?i }"
    )
    assert rows(graph.query(query))[0]["n"] == str(30 + 25 + 7)
