"""Synthetic plan editions in the exact shape of docs/MODEL.md, for benchmarks needing a big graph.

The curated graph has a handful of editions; a benchmark that only loads those measures HTTP
overhead, not query work. This module writes N seeded, deterministic editions (edition i is the
same whatever N is), each to its own Turtle file so the loader puts it in its own named graph,
plus the shared registries they refer to (institutions, places, themes, sources, plans) and a
synthetic source text per edition that every pg:evidence span really quotes.

Use it from another script:

    from bench.synthetic import generate
    corpus = generate(500, Path("bench/out/editions"))

or from the shell: `python bench/synthetic.py --editions 300 --out bench/out/corpus`.
About 300 editions give 390,000 triples (the ontology included).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ONTOLOGY = REPO / "ontology" / "plangraph.ttl"
BASE = "https://w3id.org/plangraph/"
SEED = 20240601

PREFIXES = """\
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix doc: <https://w3id.org/plangraph/document/> .
@prefix event: <https://w3id.org/plangraph/event/> .
@prefix inst: <https://w3id.org/plangraph/institution/> .
@prefix pg: <https://w3id.org/plangraph/ontology#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix pgu: <https://w3id.org/plangraph/unit/> .
@prefix place: <https://w3id.org/plangraph/place/> .
@prefix plan: <https://w3id.org/plangraph/plan/> .
@prefix programme: <https://w3id.org/plangraph/programme/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix src: <https://w3id.org/plangraph/source/> .
@prefix theme: <https://w3id.org/plangraph/theme/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix zone: <https://w3id.org/plangraph/zone/> .
@prefix zonerole: <https://w3id.org/plangraph/zone-role/> .
"""

# --- the raw material of the synthetic texts ------------------------------------------------
# Cities that issue plans (slug, zh, en). Edition i belongs to city i % len(CITIES).
CITIES = [
    ("beijing", "北京", "Beijing"),
    ("shanghai", "上海", "Shanghai"),
    ("shenzhen", "深圳", "Shenzhen"),
    ("guangzhou", "广州", "Guangzhou"),
    ("hangzhou", "杭州", "Hangzhou"),
    ("nanjing", "南京", "Nanjing"),
    ("chengdu", "成都", "Chengdu"),
    ("chongqing", "重庆", "Chongqing"),
    ("wuhan", "武汉", "Wuhan"),
    ("xian", "西安", "Xi'an"),
    ("suzhou", "苏州", "Suzhou"),
    ("tianjin", "天津", "Tianjin"),
    ("qingdao", "青岛", "Qingdao"),
    ("xiamen", "厦门", "Xiamen"),
    ("changsha", "长沙", "Changsha"),
    ("zhengzhou", "郑州", "Zhengzhou"),
    ("hefei", "合肥", "Hefei"),
    ("jinan", "济南", "Jinan"),
    ("fuzhou", "福州", "Fuzhou"),
    ("ningbo", "宁波", "Ningbo"),
    ("dalian", "大连", "Dalian"),
    ("shenyang", "沈阳", "Shenyang"),
    ("kunming", "昆明", "Kunming"),
    ("nanning", "南宁", "Nanning"),
    ("guiyang", "贵阳", "Guiyang"),
    ("harbin", "哈尔滨", "Harbin"),
    ("changchun", "长春", "Changchun"),
    ("shijiazhuang", "石家庄", "Shijiazhuang"),
    ("taiyuan", "太原", "Taiyuan"),
    ("nanchang", "南昌", "Nanchang"),
]
# Kinds of plan (slug, zh title after the city, en title after the city).
KINDS = [
    ("fintech-plan", "金融科技发展规划", "Fintech Development Plan"),
    ("fintech-centre", "金融科技中心建设实施方案", "Plan for Building a Fintech Centre"),
    ("fintech-action", "金融科技创新行动计划", "Fintech Innovation Action Plan"),
]
# Task objects: (zh, en, theme slug of docs/MODEL.md).
# The text-filter queries look for 区块链, 监管沙箱 and 数字人民币.
OBJECTS = [
    ("区块链技术应用", "blockchain applications", "blockchain"),
    ("数字人民币试点", "digital renminbi pilots", "digital-currency"),
    ("大数据风控体系", "big-data risk control", "big-data"),
    ("人工智能金融服务", "AI-based financial services", "ai"),
    ("监管科技平台", "regtech platforms", "regtech"),
    ("普惠金融服务", "inclusive financial services", "inclusive-finance"),
    ("跨境支付结算", "cross-border payment and settlement", "payments-clearing"),
    ("供应链金融", "supply-chain finance", "financing-services"),
    ("金融标准体系", "financial standards", "standards"),
    ("金融科技人才队伍", "the fintech workforce", "talent"),
    ("金融科技产业集聚区", "fintech clusters", "industry-ecosystem"),
    ("金融信息安全防护", "financial information security", "security-technology"),
    ("隐私计算", "privacy computing", "privacy-computing"),
    ("智慧银行", "smart banking", "bank-tech"),
    ("保险科技", "insurtech", "insurtech"),
    ("智能财富管理", "intelligent wealth management", "wealth-management"),
    ("企业征信服务", "credit information services", "credit-information"),
    ("监管沙箱", "the regulatory sandbox", "regtech"),
    ("金融云基础设施", "financial cloud infrastructure", "cloud-computing"),
    ("公共数据共享开放", "public data sharing", "data-sharing"),
    ("知识产权保护", "intellectual property protection", "ip-protection"),
    ("国际交流合作", "international cooperation", "international-cooperation"),
    ("资本市场科技应用", "technology in the capital market", "capital-market-tech"),
    ("金融消费者权益保护", "financial consumer protection", "consumer-protection"),
    ("物联网金融", "IoT-based finance", "iot"),
    ("边缘计算节点", "edge computing nodes", "edge-computing"),
    ("知识图谱", "knowledge graphs", "knowledge-graph"),
    ("智能合约", "smart contracts", "smart-contracts"),
]
VERBS = [
    ("推动", "Promote"),
    ("支持", "Support"),
    ("加快", "Speed up"),
    ("鼓励", "Encourage"),
    ("完善", "Improve"),
    ("深化", "Deepen"),
    ("探索", "Explore"),
    ("建设", "Build"),
    ("培育", "Cultivate"),
    ("强化", "Strengthen"),
    ("优化", "Optimise"),
    ("打造", "Create"),
]
CLAUSES = [
    "提升金融服务实体经济能力",
    "加强金融消费者权益保护",
    "营造良好创新发展环境",
    "形成可复制可推广的经验做法",
    "提高金融资源配置效率",
    "促进科技与金融深度融合",
    "防范化解金融风险",
    "增强金融机构核心竞争力",
    "服务小微企业和民营企业",
    "推动区域协同发展",
    "提升金融监管效能",
    "扩大金融对外开放",
    "健全风险补偿机制",
    "加强跨部门数据共享",
    "完善配套政策体系",
    "支持重点项目落地",
]
PRINCIPLES = [
    ("坚持创新驱动,联动发展", "Innovation-driven, developing together"),
    ("坚持普惠包容,服务实体", "Inclusive finance that serves the real economy"),
    ("坚持市场主导,政府引导", "Market-led, government-guided"),
    ("坚持守正创新,安全可控", "Innovation on sound principles, secure and controllable"),
    ("坚持开放合作,协同共享", "Open cooperation and sharing"),
]
# Goals: (zh heading, en heading, what a target under it counts: measures slug, unit, zh noun).
GOALS = [
    ("技术研发成果不断涌现", "A stream of R&D results", "patents", "xiang", "项核心技术专利"),
    (
        "金融科技应用全国领先",
        "Nationally leading fintech use",
        "leading-institutions",
        "jia",
        "家科技应用领先的金融机构",
    ),
    ("金融科技产业集聚发展", "A clustered fintech industry", "firms", "jia", "家金融科技企业"),
    ("金融科技人才向往汇集", "A magnet for fintech talent", "talents", "ming", "名金融科技人才"),
    ("金融科技标准卓有成效", "Standards with real results", "standards", "xiang", "项金融科技标准"),
    (
        "创新项目示范效应显著",
        "Exemplary innovation projects",
        "innovation-projects",
        "ge",
        "个创新示范项目",
    ),
    ("品牌活动影响力提升", "Influential brand events", "events", "chang", "场金融科技品牌活动"),
    (
        "产业空间载体充分保障",
        "Enough space for the industry",
        "space",
        "square-metre",
        "平方米金融科技产业空间",
    ),
]
COMPARATORS = [("AtLeast", "不少于"), ("MoreThan", "超过"), ("About", "约"), ("AtMost", "不超过")]
BASES = ["Cumulative", "Cumulative", "PerYear", "Cumulative"]
AREAS = [
    ("全力推进关键技术研发", "Drive R&D in key technologies"),
    ("全面提升金融科技应用水平", "Raise fintech application across the board"),
    ("全要素促进产业集聚", "Mobilise every factor to cluster the industry"),
    ("加快完善金融科技监管", "Improve fintech supervision"),
    ("全方位营造一流发展环境", "Build a first-class environment"),
    ("深入推进开放合作", "Open up and cooperate"),
]
CN_NUMBERS = "一二三四五六七八九十"
# Institutions every city has: (slug suffix, zh suffix, en suffix, ontology class).
CITY_INSTITUTIONS = [
    ("government", "市人民政府", "Municipal People's Government", "GovernmentBody"),
    (
        "government-office",
        "市人民政府办公厅",
        "Municipal Government General Office",
        "GovernmentBody",
    ),
    ("finance-bureau", "市地方金融监督管理局", "Local Financial Supervision Bureau", "Regulator"),
    (
        "science-commission",
        "市科学技术委员会",
        "Science and Technology Commission",
        "GovernmentBody",
    ),
    ("fintech-institute", "金融科技研究院", "Fintech Research Institute", "ResearchInstitute"),
    ("fintech-association", "金融科技产业联盟", "Fintech Industry Alliance", "IndustryAssociation"),
    ("asset-exchange", "金融资产交易所", "Financial Asset Exchange", "MarketInfrastructure"),
    ("fintech-fund", "金融科技产业基金", "Fintech Industry Fund", "Fund"),
    ("innovation-centre", "金融科技创新中心", "Fintech Innovation Centre", "Platform"),
    ("financial-court", "金融法庭", "Financial Court", "JudicialBody"),
    ("university", "大学", "University", "University"),
    ("digital-tech", "数字科技有限公司", "Digital Technology Co., Ltd.", "Enterprise"),
    ("pboc-branch", "人民银行营业管理部", "PBOC Operations Office", "CentralBankUnit"),
]
# National institutions shared by many editions: (slug, zh, en, class).
NATIONAL_INSTITUTIONS = [
    ("syn-central-bank", "中央银行（合成）", "Central bank (synthetic)", "CentralBank"),
    (
        "syn-digital-currency-institute",
        "数字货币研究所（合成）",
        "Digital currency institute (synthetic)",
        "CentralBankUnit",
    ),
    (
        "syn-securities-regulator",
        "证券监督管理机构（合成）",
        "Securities regulator (synthetic)",
        "Regulator",
    ),
    (
        "syn-banking-regulator",
        "银行保险监督管理机构（合成）",
        "Banking and insurance regulator (synthetic)",
        "Regulator",
    ),
    (
        "syn-fintech-association",
        "互联网金融协会（合成）",
        "Internet finance association (synthetic)",
        "IndustryAssociation",
    ),
    (
        "syn-standards-committee",
        "金融标准化技术委员会（合成）",
        "Financial standards committee (synthetic)",
        "StandardsBody",
    ),
    (
        "syn-payment-system",
        "跨境支付系统（合成）",
        "Cross-border payment system (synthetic)",
        "MarketInfrastructure",
    ),
    (
        "syn-trade-repository",
        "金融市场交易报告库（合成）",
        "Trade repository (synthetic)",
        "MarketInfrastructure",
    ),
    (
        "syn-risk-monitoring-centre",
        "金融科技风险监控中心（合成）",
        "Fintech risk monitoring centre (synthetic)",
        "Platform",
    ),
    ("syn-national-fund", "国家金融科技基金（合成）", "National fintech fund (synthetic)", "Fund"),
]
# The role concept of each role property the generator writes (the ontology's pg:statedShortcut).
ROLE_CONCEPTS = {
    "pg:leadInstitution": "LeadRole",
    "pg:participatingInstitution": "ParticipatingRole",
    "pg:supportsInstitution": "SupportedRole",
    "pg:partnerInstitution": "PartnerRole",
    "pg:namesInstitution": "NamedRole",
    "pg:createsInstitution": "CreatedRole",
}
# Zone roles (concepts of graph/zone-roles.ttl, by local name) with the words a layout uses.
ZONE_ROLES = [
    ("Core", "核心区"),
    ("Wing", "发展翼"),
    ("Point", "特色点"),
    ("City", "示范城"),
    ("Belt", "集聚带"),
    ("Port", "创新港"),
]
ZONE_FUNCTIONS = [
    ("金融科技应用示范区", "fintech application demonstration area"),
    ("核心技术创新区", "core technology innovation area"),
    ("金融科技产业集聚区", "fintech industry cluster"),
    ("监管科技试验区", "regtech pilot area"),
    ("跨境金融服务区", "cross-border financial services area"),
]
PLACES_PER_CITY = 6
NATIONAL_BASIS = [
    (
        "syn-national-fintech-plan",
        "金融科技发展规划（合成）",
        "Fintech Development Plan (synthetic)",
    ),
    (
        "syn-national-digital-plan",
        "数字经济发展规划（合成）",
        "Digital Economy Development Plan (synthetic)",
    ),
]
THEME_SCHEMES = {
    "technologies": ("技术", "Technologies"),
    "fields": ("领域", "Fields"),
    "measures": ("计量对象", "Measures"),
}
# The themes used above, with their scheme and labels: (slug, scheme, zh, en).
THEMES = [
    ("blockchain", "technologies", "区块链", "blockchain"),
    ("big-data", "technologies", "大数据", "big data"),
    ("ai", "technologies", "人工智能", "artificial intelligence"),
    ("privacy-computing", "technologies", "隐私计算", "privacy computing"),
    ("cloud-computing", "technologies", "云计算", "cloud computing"),
    ("security-technology", "technologies", "安全技术", "security technology"),
    ("iot", "technologies", "物联网", "Internet of Things"),
    ("edge-computing", "technologies", "边缘计算", "edge computing"),
    ("knowledge-graph", "technologies", "知识图谱", "knowledge graph"),
    ("smart-contracts", "technologies", "智能合约", "smart contracts"),
    ("digital-currency", "fields", "数字货币", "digital currency"),
    ("regtech", "fields", "监管科技", "regtech"),
    ("inclusive-finance", "fields", "普惠金融", "inclusive finance"),
    ("payments-clearing", "fields", "支付清算", "payments and clearing"),
    ("financing-services", "fields", "融资服务", "financing services"),
    ("standards", "fields", "标准", "standards"),
    ("talent", "fields", "人才", "talent"),
    ("industry-ecosystem", "fields", "产业生态", "industry ecosystem"),
    ("bank-tech", "fields", "银行科技", "bank technology"),
    ("insurtech", "fields", "保险科技", "insurtech"),
    ("wealth-management", "fields", "财富管理", "wealth management"),
    ("credit-information", "fields", "征信", "credit information"),
    ("data-sharing", "fields", "数据共享", "data sharing"),
    ("ip-protection", "fields", "知识产权保护", "IP protection"),
    ("international-cooperation", "fields", "国际合作", "international cooperation"),
    ("capital-market-tech", "fields", "资本市场科技", "capital-market technology"),
    ("consumer-protection", "fields", "消费者保护", "consumer protection"),
    ("space", "fields", "空间布局", "space"),
    ("business-environment", "fields", "营商环境", "business environment"),
    ("events-and-brands", "fields", "品牌活动", "events and brands"),
    ("patents", "measures", "专利", "patents"),
    ("leading-institutions", "measures", "领先机构", "leading institutions"),
    ("firms", "measures", "企业", "firms"),
    ("talents", "measures", "人才数量", "talents"),
    ("innovation-projects", "measures", "创新项目", "innovation projects"),
    ("events", "measures", "活动", "events"),
]
# Fields that docs/MODEL.md also lists as measures: one IRI, in both schemes.
ALSO_MEASURES = {"standards", "space"}

PROGRAMME_WORDS = [
    ("金融科技创新奖", "Fintech Innovation Award"),
    ("金基工程", "Financial Foundations Project"),
    ("监管沙箱试点计划", "Regulatory Sandbox Pilot Scheme"),
]
EVENT_WORDS = [
    ("金融科技峰会", "Fintech Summit"),
    ("金融科技创新大赛", "Fintech Innovation Contest"),
    ("金融科技论坛", "Fintech Forum"),
]


# --- what a run produces -------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """The files of one generated corpus; `files` is what a loader should read."""

    root: Path
    edition_files: list[Path]
    registry_files: list[Path]
    ontology_file: Path | None
    editions: list[str]  # edition IRIs, in file order

    @property
    def files(self) -> list[Path]:
        head = [self.ontology_file] if self.ontology_file else []
        return [*head, *self.registry_files, *self.edition_files]


def generate(
    editions: int,
    out: Path,
    *,
    seed: int = SEED,
    ontology: Path | None = ONTOLOGY,
) -> Corpus:
    """Write `editions` synthetic editions, the registries and (a copy of) the ontology to `out`.

    `out` is emptied first. Pass ontology=None to leave the ontology out of the corpus."""
    if editions < 1:
        raise ValueError("at least one edition")
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    (out / "editions").mkdir(parents=True)
    (out / "sources").mkdir()
    ontology_file = None
    if ontology is not None:
        ontology_file = out / "ontology.ttl"
        shutil.copyfile(ontology, ontology_file)
    sources: list[SourceRecord] = []
    edition_files, iris = [], []
    for index in range(editions):
        edition = _Edition(index, seed)
        path = out / "editions" / f"{edition.id}.ttl"
        text = edition.render()
        path.write_text(text, encoding="utf-8")
        source_path = out / "sources" / f"{edition.id}.txt"
        source_path.write_text(edition.source.text, encoding="utf-8")
        sources.append(edition.source_record(source_path.relative_to(out)))
        edition_files.append(path)
        iris.append(edition.iri)
    registries = {
        "institutions": _institutions_ttl(),
        "places": _places_ttl(),
        "themes": _themes_ttl(),
        "plans": _plans_ttl(editions),
        "sources": _sources_ttl(sources),
        # the zone-role scheme is shared data, not synthetic: the shipped registry
        "zone-roles": (REPO / "graph" / "zone-roles.ttl").read_text(encoding="utf-8"),
    }
    registry_files = []
    for stem, body in registries.items():
        path = out / f"{stem}.ttl"
        path.write_text(body, encoding="utf-8")
        registry_files.append(path)
    return Corpus(out, edition_files, registry_files, ontology_file, iris)


def edition_iri(index: int) -> str:
    """The IRI of edition `index` (0-based); it depends on the index alone, not on the seed."""
    return _Edition(index, SEED).iri


def count_triples(paths: Iterable[Path]) -> int:
    """Quads in the files as the project's loader reads them (named graphs and all)."""
    from plangraph import store

    return len(store.load(list(paths)))


# --- one edition ---------------------------------------------------------------------------


@dataclass
class _Source:
    """The synthetic plan text, built piece by piece so every span knows its offsets."""

    text: str = ""

    def add(self, piece: str, end: str = "\n") -> tuple[int, int]:
        start = len(self.text)
        self.text += piece + end
        return start, start + len(piece)


@dataclass(frozen=True)
class SourceRecord:
    slug: str
    edition_zh: str
    edition_en: str
    path: Path
    sha256: str
    date: str
    publisher: str


@dataclass
class _Block:
    """The Turtle of one subject: predicate-object lines plus evidence spans."""

    subject: str
    comment: str
    lines: list[str] = field(default_factory=list)
    spans: list[tuple[str, int, int]] = field(default_factory=list)
    # (institution, role concept local name, evidence span or None when inferred)
    involvements: list[tuple[str, str, tuple[str, int, int] | None]] = field(default_factory=list)

    def add(self, predicate: str, *objects: str) -> None:
        if objects:
            self.lines.append(f"{predicate} {' , '.join(objects)}")

    def render(self, source: str) -> str:
        parts = list(self.lines)
        if self.spans:
            spans = [_span(source, *span) for span in self.spans]
            parts.append("pg:evidence " + ", ".join(spans))
        for institution, role, span in self.involvements:
            if span is None:
                inferred = (
                    "pg:inferred true ;\n        rdfs:comment "
                    + _lit("推断：来源未写明。", "zh")
                    + " , "
                    + _lit("Inferred: the source does not say.", "en")
                )
            else:
                inferred = f"pg:inferred false ;\n        pg:evidence {_span(source, *span)}"
            parts.append(
                f"pg:qualifiedInvolvement [ a pg:Involvement ; pg:institution {institution} ;"
                f" pg:role pg:{role} ;\n        {inferred} ]"
            )
        body = " ;\n    ".join(parts)
        return f"# {self.comment}\n{self.subject}\n    {body} .\n"


def _span(source: str, quote: str, start: int, end: int) -> str:
    """A W3C Web Annotation evidence span (docs/MODEL.md, Provenance)."""
    return (
        "[\n        a pg:SourceSpan ;\n"
        f"        oa:hasSource {source} ;\n"
        f"        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact {_lit(quote)} ] ,\n"
        f'            [ a oa:TextPositionSelector ; oa:start "{start}"^^xsd:nonNegativeInteger ;'
        f' oa:end "{end}"^^xsd:nonNegativeInteger ]\n    ]'
    )


class _Edition:
    """Edition `index` of the corpus: the same for a given seed, whatever the corpus size."""

    def __init__(self, index: int, seed: int) -> None:
        self.rng = random.Random(f"{seed}:{index}")
        self.seed = seed
        self.index = index
        self.city_slug, self.city_zh, self.city_en = CITIES[index % len(CITIES)]
        kind = (index // len(CITIES)) % len(KINDS)
        self.kind_slug, self.kind_zh, self.kind_en = KINDS[kind]
        self.generation = index // (len(CITIES) * len(KINDS))
        # The id depends on the index alone, so queries can name an edition before it exists.
        self.start_year = 2014 + 3 * self.generation + index % 2
        self.end_year = self.start_year + self.rng.choice([2, 3, 4])
        self.id = f"syn-{self.city_slug}-{self.kind_slug}-{self.start_year}-{index:04d}"
        self.iri = f"{BASE}edition/{self.id}"
        self.plan_slug = f"syn-{self.city_slug}-{self.kind_slug}"
        self.source = _Source()
        self.source_slug = f"{self.id}-text"
        self.blocks: list[_Block] = []

    # -- helpers
    def _e(self, path: str = "") -> str:
        return f"<{self.iri}{path}>"

    def _inst(self, suffix: str) -> str:
        return f"inst:syn-{self.city_slug}-{suffix}"

    def _sentence(self, objects: Sequence[tuple[str, str, str]]) -> str:
        rng = self.rng
        parts = []
        for zh, _, _ in objects:
            verb = rng.choice(VERBS)[0]
            parts.append(f"{verb}{zh},{rng.choice(CLAUSES)}")
        if rng.random() < 0.5:
            parts.append(rng.choice(CLAUSES))
        return "。".join(parts) + "。"

    def _block(self, subject: str, comment: str, klass: str, *, element: bool = True) -> _Block:
        block = _Block(subject, comment)
        block.add("a", klass)
        if element:
            block.add("pg:inEdition", self._e())
        self.blocks.append(block)
        return block

    # -- the text, in the order of a plan
    def render(self) -> str:
        rng = self.rng
        title_zh = f"{self.city_zh}{self.kind_zh}（{self.start_year}-{self.end_year}年）"
        title_en = f"{self.city_en} {self.kind_en} ({self.start_year}–{self.end_year})"
        self.title_zh, self.title_en = title_zh, title_en
        number = f"{self.city_zh[0]}政发〔{self.start_year}〕{rng.randrange(1, 40)}号"
        month, day = rng.randrange(1, 13), rng.randrange(1, 29)
        self.issue_date = f"{self.start_year}-{month:02d}-{day:02d}"

        ed = self._block(self._e(), f"{title_zh} — the edition", "pg:PlanEdition", element=False)
        ed.add("pg:editionOf", f"plan:{self.plan_slug}")
        ed.add("dcterms:title", _lit(title_zh, "zh"), _lit(title_en, "en"))
        ed.add("rdfs:label", _lit(title_zh, "zh"), _lit(title_en, "en"))
        ed.add("pg:shortTitle", _lit(f"{self.city_zh}{self.kind_zh[:4]}", "zh"))
        ed.add("pg:documentNumber", _lit(number))
        ed.spans.append((number, *self.source.add(number)))
        ed.spans.append((title_zh, *self.source.add(title_zh)))
        inferred_issuer = rng.random() < 0.1
        number_span = ed.spans[0]
        if inferred_issuer:
            ed.involvements.append((self._inst("government"), "IssuingRole", None))
        else:
            ed.involvements.append((self._inst("government-office"), "IssuingRole", number_span))
            ed.involvements.append((self._inst("government"), "ApprovingRole", number_span))
        ed.involvements.append((self._inst("finance-bureau"), "DraftingRole", number_span))
        ed.add("pg:issueDate", _typed(self.issue_date, "date"))
        ed.add("pg:inForceDate", _typed(f"{self.start_year}-{month:02d}-{day:02d}", "date"))
        ed.add("pg:startYear", _typed(str(self.start_year), "gYear"))
        ed.add("pg:endYear", _typed(str(self.end_year), "gYear"))
        national_slug, national_zh, national_en = rng.choice(NATIONAL_BASIS)
        basis = [f"doc:{national_slug}", f"doc:syn-{self.city_slug}-basis"]
        ed.add("pg:basedOn", *basis)
        if self.index >= len(CITIES) * len(KINDS):
            previous = _Edition(self.index - len(CITIES) * len(KINDS), self.seed)
            ed.add("prov:wasRevisionOf", f"<{previous.iri}>")
        ed.add("pg:completeness", _lit("complete"))
        why = "合成数据：为基准测试生成，不是真实规划。"
        if inferred_issuer:
            why += "发布机关为推断：来源未写明发布机关，按文件名称推定为市人民政府。"
        ed.add(
            "rdfs:comment",
            _lit(why, "zh"),
            _lit(
                "Synthetic data made for benchmarks, not a real plan."
                + (
                    " Issuer inferred: the source names none; the city government is assumed."
                    if inferred_issuer
                    else ""
                ),
                "en",
            ),
        )
        edition_block = ed

        # 序言 and its basis documents
        pre = self._block(self._e("/preamble"), "序言", "pg:Preamble")
        objects = rng.sample(OBJECTS, 2)
        basis_zh = [f"《{national_zh}》", f"《{self.city_zh}数字经济发展纲要》"]
        text = (
            f"为加快{self.city_zh}金融科技发展,根据{basis_zh[0]}{basis_zh[1]}等精神,"
            + self._sentence(objects)
            + "制定本方案。"
        )
        pre.add("rdfs:label", _lit("序言", "zh"), _lit("Preamble", "en"))
        pre.add("pg:text", _lit(text, "zh"))
        pre.spans.append((text, *self.source.add(text)))
        doc = self._block(
            f"doc:{national_slug}", "序言 — 依据文件", "pg:BasisDocument", element=False
        )
        doc.add("rdfs:label", _lit(national_zh, "zh"), _lit(national_en, "en"))
        offset = pre.spans[0][1] + text.index(basis_zh[0])
        doc.spans.append((basis_zh[0], offset, offset + len(basis_zh[0])))
        doc = self._block(
            f"doc:syn-{self.city_slug}-basis", "序言 — 依据文件", "pg:BasisDocument", element=False
        )
        doc.add(
            "rdfs:label",
            _lit(f"{self.city_zh}数字经济发展纲要", "zh"),
            _lit(f"{self.city_en} Digital Economy Outline", "en"),
        )
        quote = basis_zh[1]
        offset = pre.spans[0][1] + text.index(quote)
        doc.spans.append((quote, offset, offset + len(quote)))

        # 一、指导思想
        self.source.add("一、指导思想")
        ideo = self._block(self._e("/ideology"), "一、指导思想", "pg:GuidingIdeology")
        text = (
            "以新发展理念为指导,牢牢把握新一轮科技革命契机,"
            + self._sentence(rng.sample(OBJECTS, 2))
            + f"为{self.city_zh}建设现代化经济体系提供有力支撑。"
        )
        ideo.add("pg:printedNumber", _lit("一、"))
        ideo.add("pg:heading", _lit("指导思想", "zh"))
        ideo.add("rdfs:label", _lit("指导思想", "zh"), _lit("Guiding ideology", "en"))
        ideo.add("pg:text", _lit(text, "zh"))
        ideo.spans.append((text, *self.source.add(text)))

        # 二、基本原则
        self.source.add("二、基本原则")
        for n, (zh, en) in enumerate(rng.sample(PRINCIPLES, rng.randrange(3, 6)), start=1):
            printed = f"（{CN_NUMBERS[n - 1]}）"
            objects = rng.sample(OBJECTS, 2)
            text = self._sentence(objects)
            block = self._block(
                self._e(f"/principle/{n}"), f"二、基本原则 {printed}", "pg:Principle"
            )
            self._numbered(block, n, printed, zh, en, text)
            block.add("pg:theme", *sorted({f"theme:{o[2]}" for o in objects}))

        # 三、发展目标, with their targets
        self.source.add("三、发展目标")
        period = f"到{self.end_year}年"
        for n, goal in enumerate(rng.sample(GOALS, rng.randrange(4, 8)), start=1):
            zh, en, measure, unit, noun = goal
            objects = rng.sample(OBJECTS, 2)
            targets = rng.random() < 0.6
            value = rng.choice([5, 10, 20, 30, 50, 100, 200, 500]) * (
                1000 if unit == "square-metre" else 1
            )
            comparator, cue = rng.choice(COMPARATORS)
            target_text = f"{period}{cue}{value}{noun}"
            text = self._sentence(objects)
            if targets:
                text = text[:-1] + f",{target_text}。"
            block = self._block(self._e(f"/goal/{n}"), f"三、发展目标 —— {n}. {zh}", "pg:Goal")
            start, _ = self.source.add(f"——{zh}。{text}")
            block.add("pg:number", _typed(str(n), "positiveInteger"))
            block.add("pg:heading", _lit(zh, "zh"))
            block.add("rdfs:label", _lit(zh, "zh"), _lit(en, "en"))
            block.add("pg:text", _lit(text, "zh"))
            block.add("pg:theme", *sorted({f"theme:{o[2]}" for o in objects}))
            quote = f"——{zh}。{text}"
            block.spans.append((quote, start, start + len(quote)))
            if targets:
                t = self._block(
                    self._e(f"/goal/{n}/target/1"), f"三、发展目标 —— {n}. 量化指标 1", "pg:Target"
                )
                t.add("pg:ofGoal", self._e(f"/goal/{n}"))
                t.add("pg:number", _typed("1", "positiveInteger"))
                t.add(
                    "rdfs:label",
                    _lit(f"{cue}{value}{noun}", "zh"),
                    _lit(f"{comparator} {value} ({measure})", "en"),
                )
                t.add("pg:text", _lit(target_text, "zh"))
                t.add("pg:value", f"{value}.0")
                t.add("pg:unit", f"pgu:{unit}")
                t.add("pg:comparator", f"pg:{comparator}")
                t.add("pg:basis", f"pg:{rng.choice(BASES)}")
                t.add("pg:deadline", _typed(str(self.end_year), "gYear"))
                t.add("pg:measures", f"theme:{measure}")
                offset = start + quote.index(target_text)
                t.spans.append((target_text, offset, offset + len(target_text)))

        # 四、重点任务: areas and tasks, one layout inside one task
        self.source.add("四、重点任务")
        task_no = 0
        areas = rng.sample(AREAS, rng.randrange(4, 7))
        layout_task = rng.randrange(1, 10)
        for a, (zh, en) in enumerate(areas, start=1):
            printed = f"（{CN_NUMBERS[a - 1]}）"
            area = self._block(self._e(f"/area/{a}"), f"四、重点任务 {printed}", "pg:TaskArea")
            area.add("pg:number", _typed(str(a), "positiveInteger"))
            area.add("pg:printedNumber", _lit(printed))
            area.add("pg:heading", _lit(zh, "zh"))
            area.add("rdfs:label", _lit(zh, "zh"), _lit(en, "en"))
            area.spans.append((printed + zh, *self.source.add(printed + zh)))
            for _ in range(rng.randrange(6, 11)):
                task_no += 1
                self._task(task_no, a, printed, with_layout=task_no == layout_task)
        edition_block.add("pg:declaredTaskCount", _typed(str(task_no), "nonNegativeInteger"))
        closing = f"本方案自{self.start_year}年{month}月{day}日起施行"
        edition_block.spans.append((closing, *self.source.add(closing)))

        source = f"src:{self.source_slug}"
        head = (
            f"# {title_zh} — synthetic edition {self.index} (bench/synthetic.py; not a real "
            f"plan).\n# Source: sources/{self.id}.txt. Loaded into the named graph "
            f"<{self.iri}>.\n\n"
        )
        return head + PREFIXES + "\n" + "\n".join(b.render(source) for b in self.blocks)

    def _numbered(self, block: _Block, n: int, printed: str, zh: str, en: str, text: str) -> int:
        """Number, heading, labels, text and the span quoting them; where the quote starts."""
        block.add("pg:number", _typed(str(n), "positiveInteger"))
        block.add("pg:printedNumber", _lit(printed))
        block.add("pg:heading", _lit(zh, "zh"))
        block.add("rdfs:label", _lit(zh, "zh"), _lit(en, "en"))
        block.add("pg:text", _lit(text, "zh"))
        quote = f"{printed}{zh}。{text}"
        start, end = self.source.add(quote)
        block.spans.append((quote, start, end))
        return start

    def _task(self, n: int, area: int, area_printed: str, *, with_layout: bool) -> None:
        rng = self.rng
        objects = rng.sample(OBJECTS, rng.randrange(2, 4))
        verb_zh, verb_en = rng.choice(VERBS)
        heading = f"{verb_zh}{objects[0][0]}"
        label_en = f"{verb_en} {objects[0][1]}"
        text = self._sentence(objects)
        roles: list[tuple[str, str]] = []
        named_zh: list[str] = []
        if rng.random() < 0.45:
            suffix, zh, _, _ = rng.choice(CITY_INSTITUTIONS[2:])
            roles.append(("pg:leadInstitution", self._inst(suffix)))
            named_zh.append(f"由{self.city_zh}{zh}牵头")
        if rng.random() < 0.3:
            suffix, zh, _, _ = rng.choice(CITY_INSTITUTIONS[3:])
            roles.append(("pg:participatingInstitution", self._inst(suffix)))
            named_zh.append(f"{self.city_zh}{zh}参与")
        for role, p in (
            ("pg:supportsInstitution", 0.25),
            ("pg:partnerInstitution", 0.2),
            ("pg:namesInstitution", 0.2),
        ):
            if rng.random() < p:
                slug, zh, _, _ = NATIONAL_INSTITUTIONS[
                    min(int(rng.expovariate(0.35)), len(NATIONAL_INSTITUTIONS) - 1)
                ]
                roles.append((role, f"inst:{slug}"))
                named_zh.append(f"与{zh}合作" if role == "pg:partnerInstitution" else f"支持{zh}")
        if rng.random() < 0.08:
            suffix, zh, _, _ = rng.choice(CITY_INSTITUTIONS[7:10])
            roles.append(("pg:createsInstitution", self._inst(suffix)))
            named_zh.append(f"设立{self.city_zh}{zh}")
        if named_zh:
            text += ",".join(named_zh) + "。"
        things: list[tuple[str, str, str, str]] = []  # (kind, slug, zh name, en name)
        for kind, words, p in (("programme", PROGRAMME_WORDS, 0.06), ("event", EVENT_WORDS, 0.06)):
            if rng.random() < p:
                count = len([b for b in self.blocks if b.subject.startswith(f"{kind}:")]) + 1
                zh, en = rng.choice(words)
                things.append(
                    (
                        kind,
                        f"{self.id}-{count}",
                        f"第{count}{'期' if kind == 'programme' else '届'}{self.city_zh}{zh}",
                        f"{self.city_en} {en} ({count})",
                    )
                )
        if things:
            text += "".join(
                f"{'实施' if k == 'programme' else '举办'}{zh}。" for k, _, zh, _ in things
            )
        printed = f"{n}."
        block = self._block(
            self._e(f"/task/{n}"), f"四、重点任务 {area_printed} {printed}", "pg:Task"
        )
        block.add("pg:inTaskArea", self._e(f"/area/{area}"))
        start = self._numbered(block, n, printed, heading, label_en, text)
        block.add("pg:theme", *sorted({f"theme:{o[2]}" for o in objects}))
        by_role: dict[str, list[str]] = {}
        for role, inst in roles:
            by_role.setdefault(role, [])
            if inst not in by_role[role]:
                by_role[role].append(inst)
        task_span = block.spans[-1]
        for role, insts in by_role.items():
            for inst in insts:
                block.involvements.append((inst, ROLE_CONCEPTS[role], task_span))
        if "pg:leadInstitution" not in by_role:
            block.involvements.append((self._inst("government"), "ResponsibleRole", None))
        quote = f"{printed}{heading}。{text}"
        for kind, slug, zh, en in things:
            block.add(f"pg:{kind}", f"{kind}:{slug}")
            klass = "pg:Programme" if kind == "programme" else "pg:Event"
            thing = self._block(f"{kind}:{slug}", f"{printed} — {zh}", klass, element=False)
            thing.add("rdfs:label", _lit(zh, "zh"), _lit(en, "en"))
            if kind == "event":
                day = rng.randrange(1, 29)
                thing.add("pg:eventDate", _typed(f"{self.start_year + 1}-09-{day:02d}", "date"))
                thing.add("pg:organisedBy", self._inst("government"))
            offset = start + quote.index(zh)
            thing.spans.append((zh, offset, offset + len(zh)))
        if with_layout:
            self._layout(n)

    def _layout(self, task: int) -> None:
        rng = self.rng
        roles = rng.sample(ZONE_ROLES, rng.randrange(2, 5))
        name_zh = "、".join(f"一{word[-1]}" for _, word in roles)
        layout = self._block(
            self._e("/layout"), f"{task}. — 空间布局 {name_zh}", "pg:SpatialLayout"
        )
        layout.add("rdfs:label", _lit(name_zh, "zh"), _lit(f"Layout of {len(roles)} zones", "en"))
        layout.spans.append((name_zh, *self.source.add(name_zh)))
        places = rng.sample(range(1, PLACES_PER_CITY + 1), len(roles))
        for z, ((klass, word), place) in enumerate(zip(roles, places, strict=True), start=1):
            fn_zh, fn_en = rng.choice(ZONE_FUNCTIONS)
            zone = self._block(
                f"zone:{self.id}-{z}", f"{task}. — {fn_zh}", "pg:Zone", element=False
            )
            zone.add("pg:zoneRole", f"zonerole:{klass.lower()}")
            zone.add("pg:inLayout", self._e("/layout"))
            zone.add(
                "rdfs:label",
                _lit(f"{fn_zh}（{word}）", "zh"),
                _lit(f"{fn_en} ({klass.lower()})", "en"),
            )
            zone.add("pg:hasPlace", f"place:syn-{self.city_slug}-{place}")
            zone.add("pg:function", _lit(fn_zh, "zh"), _lit(fn_en, "en"))
            quote = f"依托{self.city_zh}第{place}片区建设{fn_zh}"
            zone.spans.append((quote, *self.source.add(quote)))

    def source_record(self, path: Path) -> SourceRecord:
        data = self.source.text.encode("utf-8")
        return SourceRecord(
            self.source_slug,
            self.title_zh,
            self.title_en,
            path,
            hashlib.sha256(data).hexdigest(),
            self.issue_date,
            f"{self.city_zh}市人民政府",
        )


# --- registries ----------------------------------------------------------------------------


def _registry(comment: str, blocks: list[_Block]) -> str:
    return f"# {comment}\n\n" + PREFIXES + "\n" + "\n".join(b.render("") for b in blocks)


def _institutions_ttl() -> str:
    blocks = []
    for slug, zh, en, klass in NATIONAL_INSTITUTIONS:
        b = _Block(f"inst:{slug}", f"{zh} — national")
        b.add("a", f"pg:{klass}")
        b.add("rdfs:label", _lit(zh, "zh"), _lit(en, "en"))
        blocks.append(b)
    for city_slug, city_zh, city_en in CITIES:
        for suffix, zh, en, klass in CITY_INSTITUTIONS:
            b = _Block(f"inst:syn-{city_slug}-{suffix}", f"{city_zh}{zh}")
            b.add("a", f"pg:{klass}")
            b.add("rdfs:label", _lit(f"{city_zh}{zh}", "zh"), _lit(f"{city_en} {en}", "en"))
            if suffix == "government-office":
                b.add("pg:subOrganizationOf", f"inst:syn-{city_slug}-government")
            elif suffix == "pboc-branch":
                b.add("pg:subOrganizationOf", "inst:syn-central-bank")
            blocks.append(b)
    return _registry("Institutions of the synthetic corpus (bench/synthetic.py).", blocks)


def _places_ttl() -> str:
    blocks = []
    for city_slug, city_zh, city_en in CITIES:
        district = f"place:syn-{city_slug}-district"
        b = _Block(district, f"{city_zh}中心城区")
        b.add("a", "pg:District")
        b.add(
            "rdfs:label",
            _lit(f"{city_zh}中心城区", "zh"),
            _lit(f"{city_en} central district", "en"),
        )
        blocks.append(b)
        for n in range(1, PLACES_PER_CITY + 1):
            b = _Block(f"place:syn-{city_slug}-{n}", f"{city_zh}第{n}片区")
            b.add("a", "pg:Place")
            b.add(
                "rdfs:label", _lit(f"{city_zh}第{n}片区", "zh"), _lit(f"{city_en} area {n}", "en")
            )
            b.add("pg:inDistrict", district)
            b.add("pg:areaSquareKilometres", f"{n * 1.5:.1f}")
            blocks.append(b)
    return _registry("Places of the synthetic corpus (bench/synthetic.py).", blocks)


def _themes_ttl() -> str:
    blocks = []
    for scheme, (zh, en) in THEME_SCHEMES.items():
        b = _Block(f"theme:{scheme}", f"scheme {scheme}")
        b.add("a", "skos:ConceptScheme")
        b.add("rdfs:label", _lit(zh, "zh"), _lit(en, "en"))
        blocks.append(b)
    for slug, scheme, zh, en in THEMES:
        schemes = [scheme, "measures"] if slug in ALSO_MEASURES else [scheme]
        b = _Block(f"theme:{slug}", zh)
        b.add("a", "pg:Theme")
        b.add("skos:prefLabel", _lit(zh, "zh"), _lit(en, "en"))
        b.add("rdfs:label", _lit(zh, "zh"), _lit(en, "en"))
        b.add("skos:altLabel", _lit(f"{zh}技术" if scheme == "technologies" else f"{zh}领域", "zh"))
        b.add("skos:inScheme", *(f"theme:{s}" for s in schemes))
        b.add("skos:topConceptOf", *(f"theme:{s}" for s in schemes))
        b.add(
            "skos:definition",
            _lit(f"Synthetic theme: {en}.", "en"),
            _lit(f"合成主题：{zh}。", "zh"),
        )
        blocks.append(b)
    return _registry("Themes of the synthetic corpus (bench/synthetic.py).", blocks)


def _plans_ttl(editions: int) -> str:
    blocks = []
    seen = set()
    for index in range(min(editions, len(CITIES) * len(KINDS))):
        city_slug, city_zh, city_en = CITIES[index % len(CITIES)]
        kind_slug, kind_zh, kind_en = KINDS[(index // len(CITIES)) % len(KINDS)]
        slug = f"syn-{city_slug}-{kind_slug}"
        if slug in seen:
            continue
        seen.add(slug)
        b = _Block(f"plan:{slug}", f"{city_zh}{kind_zh}")
        b.add("a", "pg:Plan")
        b.add("rdfs:label", _lit(f"{city_zh}{kind_zh}", "zh"), _lit(f"{city_en} {kind_en}", "en"))
        blocks.append(b)
    return _registry("Plans (series) of the synthetic corpus (bench/synthetic.py).", blocks)


def _sources_ttl(sources: list[SourceRecord]) -> str:
    blocks = []
    for s in sources:
        b = _Block(f"src:{s.slug}", f"source of {s.edition_zh}")
        b.add("a", "pg:SourceDocument")
        b.add(
            "rdfs:label",
            _lit(f"{s.edition_zh}（合成文本）", "zh"),
            _lit(f"{s.edition_en} (synthetic text)", "en"),
        )
        b.add("pg:sha256", _lit(s.sha256))
        b.add("pg:localCopy", _lit(str(s.path)))
        b.add("dcterms:publisher", _lit(s.publisher, "zh"))
        b.add("dcterms:date", _typed(s.date, "date"))
        b.add("dcterms:language", _lit("zh"))
        blocks.append(b)
    return _registry("Source documents of the synthetic corpus (bench/synthetic.py).", blocks)


# --- Turtle terms --------------------------------------------------------------------------


def _lit(text: str, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"' + (f"@{lang}" if lang else "")


def _typed(text: str, datatype: str) -> str:
    return f'"{text}"^^xsd:{datatype}'


# --- the command ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="synthetic.py",
        description="Write N synthetic plan editions (one Turtle file each) with their "
        "registries; print the triple count. Exit status: 0 written, 2 bad arguments.",
    )
    parser.add_argument("--editions", type=int, default=300, metavar="N")
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="output folder (emptied first)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--no-ontology",
        action="store_true",
        help="do not copy ontology/plangraph.ttl into the corpus",
    )
    args = parser.parse_args(argv)
    if args.editions < 1:
        parser.error("--editions must be at least 1")
    corpus = generate(
        args.editions, args.out, seed=args.seed, ontology=None if args.no_ontology else ONTOLOGY
    )
    triples = count_triples(corpus.files)
    print(
        f"{len(corpus.edition_files)} editions, {len(corpus.files)} RDF files, "
        f"{triples} triples in {corpus.root}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
