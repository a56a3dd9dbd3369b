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
    BasisDocument: URIRef  # basis document / 依据文件
    Belt: URIRef  # belt / 带, deprecated
    CentralBank: URIRef  # central bank / 中央银行
    CentralBankUnit: URIRef  # central bank unit / 中央银行下属单位
    City: URIRef  # city / 城, deprecated
    Comparator: URIRef  # comparator / 比较关系
    Core: URIRef  # core / 核, deprecated
    CountingBasis: URIRef  # counting basis / 计数口径
    DemonstrationZone: URIRef  # demonstration zone / 示范区
    District: URIRef  # district / 行政区
    Enterprise: URIRef  # enterprise / 企业
    Event: URIRef  # event / 活动
    Fund: URIRef  # fund / 基金
    Goal: URIRef  # goal / 发展目标
    GovernmentBody: URIRef  # government body / 政府机构
    GuidingIdeology: URIRef  # guiding ideology / 指导思想
    IndustryAssociation: URIRef  # industry association / 行业组织
    InferredProperty: URIRef  # inferred property / 推定属性
    IngestionActivity: URIRef  # ingestion activity / 导入运行
    Institution: URIRef  # institution / 机构
    InstitutionRole: URIRef  # institution role / 机构角色
    Involvement: URIRef  # involvement / 机构参与
    JudicialBody: URIRef  # judicial body / 司法及纠纷解决机构
    MarketInfrastructure: URIRef  # market infrastructure / 金融市场基础设施
    MediaOutlet: URIRef  # media outlet / 新闻媒体
    PartyOrganisation: URIRef  # party organisation / 党的组织
    Place: URIRef  # place / 地点
    Plan: URIRef  # plan / 规划
    PlanEdition: URIRef  # plan edition / 规划版本
    PlanElement: URIRef  # plan element / 规划要素
    Platform: URIRef  # platform / 平台机构
    Point: URIRef  # point / 点, deprecated
    Port: URIRef  # port / 港, deprecated
    Preamble: URIRef  # preamble / 序言
    Principle: URIRef  # principle / 基本原则
    Programme: URIRef  # programme / 工程计划
    Regulator: URIRef  # regulator / 监管机构
    ResearchInstitute: URIRef  # research institute / 研究机构
    SafeguardMeasure: URIRef  # safeguard measure / 保障措施
    SourceDocument: URIRef  # source document / 来源文件
    SourceSpan: URIRef  # source span / 来源片段
    SpatialLayout: URIRef  # spatial layout / 空间布局
    StandardsBody: URIRef  # standards body / 标准化机构
    Target: URIRef  # target / 量化指标
    Task: URIRef  # task / 重点任务
    TaskArea: URIRef  # task area / 任务领域
    Theme: URIRef  # theme / 主题
    Unit: URIRef  # unit / 计量单位
    University: URIRef  # university / 高等院校
    Wing: URIRef  # wing / 翼, deprecated
    Zone: URIRef  # zone / 布局分区
    ZoneRole: URIRef  # zone role / 分区角色

    # Object properties
    approvedBy: URIRef  # approved by / 批准机构
    basedOn: URIRef  # based on / 依据
    basis: URIRef  # basis / 计数口径
    comparator: URIRef  # comparator / 比较关系
    concernsPlace: URIRef  # concerns place / 涉及地点
    createsInstitution: URIRef  # creates institution / 拟设立机构
    draftedBy: URIRef  # drafted by / 起草机构
    editionOf: URIRef  # edition of / 所属规划
    event: URIRef  # event / 所涉活动
    evidence: URIRef  # evidence / 证据
    followsEdition: URIRef  # follows edition / 承接版本
    hasPlace: URIRef  # has place / 包含地点
    inDistrict: URIRef  # in district / 所在行政区
    inEdition: URIRef  # in edition / 所属版本
    inferredInDistrict: URIRef  # inferred in district / 推定所在行政区, pg:InferredProperty
    inferredIssuedBy: URIRef  # inferred issued by / 推定印发机构, pg:InferredProperty
    inferredResponsibleInstitution: (
        URIRef  # inferred responsible institution / 推定责任单位, pg:InferredProperty
    )
    inferredShortcut: URIRef  # inferred shortcut / 推定角色快捷属性
    inLayout: URIRef  # in layout / 所属布局
    institution: URIRef  # institution / 参与机构
    inTaskArea: URIRef  # in task area / 所属任务领域
    involvesInstitution: URIRef  # involves institution / 涉及机构
    issuedBy: URIRef  # issued by / 印发机构
    leadInstitution: URIRef  # lead institution / 牵头单位
    measures: URIRef  # measures / 计量对象
    namesInstitution: URIRef  # names institution / 提及机构
    ofGoal: URIRef  # of goal / 所属目标
    organisedBy: URIRef  # organised by / 主办机构
    participatingInstitution: URIRef  # participating institution / 参与单位
    partnerInstitution: URIRef  # partner institution / 合作机构
    partOfEvent: URIRef  # part of event / 所属活动
    programme: URIRef  # programme / 所涉工程计划
    qualifiedInvolvement: URIRef  # qualified involvement / 机构参与记录
    releasedAt: URIRef  # released at / 发布活动
    responsibleInstitution: URIRef  # responsible institution / 责任单位
    role: URIRef  # role / 角色
    statedShortcut: URIRef  # stated shortcut / 所述角色快捷属性
    subOrganizationOf: URIRef  # sub-organization of / 上级机构
    supportsInstitution: URIRef  # supports institution / 支持对象机构
    theme: URIRef  # theme / 主题
    unit: URIRef  # unit / 单位
    zoneRole: URIRef  # zone role / 分区角色

    # Datatype properties
    approximate: URIRef  # approximate / 近似
    areaSquareKilometres: URIRef  # area in square kilometres / 面积（平方公里）
    completeness: URIRef  # completeness / 完整性
    constructionStart: URIRef  # construction start / 启动建设时间
    deadline: URIRef  # deadline / 期限
    deadlineYear: URIRef  # deadline year / 期限年份（整数）
    declaredGoalCount: URIRef  # declared goal count / 所称目标数
    declaredPrincipleCount: URIRef  # declared principle count / 所称原则数
    declaredTaskAreaCount: URIRef  # declared task-area count / 所称任务领域数
    declaredTaskCount: URIRef  # declared task count / 所称任务数
    documentNumber: URIRef  # document number / 发文字号
    endYear: URIRef  # end year / 规划期截止年
    eventDate: URIRef  # event date / 活动日期
    function: URIRef  # function / 功能定位
    heading: URIRef  # heading / 标题
    inferred: URIRef  # inferred / 是否推定
    inForceDate: URIRef  # in-force date / 施行日期
    inputSha256: URIRef  # input SHA-256 / 输入文件 SHA-256
    issueDate: URIRef  # issue date / 印发日期
    localCopy: URIRef  # local copy / 本地副本
    number: URIRef  # number / 序号
    printedNumber: URIRef  # printed number / 原文编号
    publicationDate: URIRef  # publication date / 发布日期
    sha256: URIRef  # SHA-256 digest / SHA-256 摘要
    shortTitle: URIRef  # short title / 简称
    startYear: URIRef  # start year / 规划期起始年
    text: URIRef  # text / 正文
    toolVersion: URIRef  # tool version / 工具版本
    value: URIRef  # value / 数值

    # Individuals
    About: URIRef  # about / 左右
    ApprovingRole: URIRef  # approving / 批准
    AtLeast: URIRef  # at least / 不少于
    AtMost: URIRef  # at most / 不超过
    CreatedRole: URIRef  # created / 拟设立
    Cumulative: URIRef  # cumulative / 累计
    DraftingRole: URIRef  # drafting / 制定
    Exactly: URIRef  # exactly / 等于
    GrowthRate: URIRef  # growth rate / 增长率
    InstitutionRoles: URIRef  # institution roles / 机构角色方案
    IssuingRole: URIRef  # issuing / 印发
    LeadRole: URIRef  # lead / 牵头
    MoreThan: URIRef  # more than / 超过
    NamedRole: URIRef  # named / 提及
    ParticipatingRole: URIRef  # participating / 参与
    PartnerRole: URIRef  # partner / 合作
    PerYear: URIRef  # per year / 每年
    ResponsibleRole: URIRef  # responsible / 负责
    Share: URIRef  # share / 占比
    SupportedRole: URIRef  # supported / 受支持

    # Edition comparison (diff): classes, properties and individuals (issue 13)
    Change: URIRef  # one change a comparison found
    ChangeKind: URIRef  # kind of change
    EditionComparison: URIRef  # the result of comparing two editions
    MatchMethod: URIRef  # how a pair was matched
    changeKind: URIRef  # change -> kind
    changedProperty: URIRef  # change -> property whose value changed
    concerns: URIRef  # change -> institution, place, zone, document
    difference: URIRef  # new - old
    inComparison: URIRef  # change -> comparison
    matchMethod: URIRef  # change -> method
    newEdition: URIRef  # comparison -> newer edition
    newElement: URIRef  # change -> newer element
    newTerm: URIRef  # IRI value in the newer edition
    newValue: URIRef  # literal value in the newer edition
    oldEdition: URIRef  # comparison -> older edition
    oldElement: URIRef  # change -> older element
    oldTerm: URIRef  # IRI value in the older edition
    oldValue: URIRef  # literal value in the older edition
    ratio: URIRef  # new / old
    revises: URIRef  # curator link: newer element -> older element (⊑ prov:wasRevisionOf)
    similarity: URIRef  # text similarity of a matched pair
    Added: URIRef
    Merged: URIRef
    MetadataChanged: URIRef
    Moved: URIRef
    PlaceAdded: URIRef
    PlaceReassigned: URIRef
    PlaceRemoved: URIRef
    Removed: URIRef
    Renumbered: URIRef
    Reworded: URIRef
    RoleChanged: URIRef
    RoleGained: URIRef
    RoleLost: URIRef
    Split: URIRef
    TargetChanged: URIRef
    Unchanged: URIRef
    ContainedText: URIRef
    CuratorLink: URIRef
    SameKey: URIRef
    SameNumberAndText: URIRef
    SimilarTextAcrossAreas: URIRef
    SimilarTextInArea: URIRef


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
