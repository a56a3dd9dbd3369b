"""Find the bodies and places a text names that the registry lacks, by the form of their names.

A plan nobody has seen names bodies nobody has registered. Their names have a shape: a run of
name characters ending the way names of a kind end (…研究院, …交易所; from the lexicon), starting
after a verb, a function word or punctuation. An ending that only bodies have is enough; one that
things share (…中心, …平台, …基金) counts where the text treats the name as a body (after a body
cue such as 支持, 依托, 与…合作, in 发挥…作用) or where the name starts with a jurisdiction or
中国/全国/国家/国际. Names that start with 市/区/本市 are relative to the plan's own jurisdiction
and are resolved per plan (市金融局 in a Beijing plan is 北京市金融局), never by a registry alias.

Why not jieba's part-of-speech tags (nt organisation, ns place)? Tried as the first idea: its
dictionary splits new compound names (北京微芯边缘计算研究院) and tags generic phrases as
organisations, tagging costs more than the whole draft of a 1 MB text, and the rules here are
needed anyway to decide where a name starts. pypinyin gives the readable part of draft IRIs and
the machine-made English labels.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from plangraph.ingest.gazetteer import NOT_RELATIVE, Gazetteer, relative_name, trie_pattern
from plangraph.namespace import PG

Span = tuple[int, int]

# Parsing rules (how Chinese names are delimited), not words of any plan.
NAME_STOP_CHARS = set("的和与及或在对为把被向从由以将等了是并其之各该到于给让使")
NAME_STOP_VERBS = re.compile(
    r"支持|推动|推进|建设|设立|成立|组建|筹建|依托|发挥好|发挥|鼓励|引导|加强|联合|协同|配合|会同|"
    r"协助|打造|争取|积极|加快|参与|深化|落实|通过|围绕|吸引|引进|培育|搭建|构建|完善|发展|"
    r"探索|提升|面向|指导|开展|举办|申报|对接|加入|建立|强化|优化|做好|实施|充分|大力|全力|着力"
)
NAME_MAX = 24
WEAK_STEM_MIN = 4  # 产业联盟, 技术平台: a shared ending after two characters is a category
NATIONAL = ("中国", "中华", "全国", "国家", "国际")
QUOTED = re.compile(r"“[^”\n]{1,20}”$")
ACRONYM_AFTER = re.compile(r"[ \t]*\([ \t]*[A-Z][A-Za-z0-9/ ]{1,15}\)")
# Words that open a description, not a name: 国内外金融科技中心 is a kind, not a body.
NON_NAME_START = (
    "国内外",
    "国内",
    "海内外",
    "海外",
    "境内外",
    "全球",
    "相关",
    "有关",
    "各类",
    "一批",
    "若干",
    "重点",
    "知名",
    "优秀",
    "一流",
    "新型",
    "大型",
    "中小",
)


@dataclass(frozen=True)
class Jurisdiction:
    """The plan's own city and district, which 市…, 区… and 本市 stand for."""

    city: str | None = None  # 北京市
    district: str | None = None  # 西城区, when the plan has one district
    from_title: bool = False  # read from the title, not from an issuer

    def expand(self, level: str) -> str | None:
        return self.city if level == "city" else self.district


def split_jurisdiction(stem: str) -> Jurisdiction:
    """北京市西城区 → (北京市, 西城区); 上海市 → (上海市, None); 西城区 → (None, 西城区)."""
    m = re.match(
        r"(?:[\u4e00-\u9fff]{1,6}?省)?([\u4e00-\u9fff]{1,6}?市)?([\u4e00-\u9fff]{1,6}?[区县])?",
        stem,
    )
    if m is None:
        return Jurisdiction()
    return Jurisdiction(m.group(1), m.group(2))


def jurisdiction_of(names: list[str], gaz: Gazetteer) -> Jurisdiction:
    """The jurisdiction of issuing bodies given by their names: the stems before their
    government endings (北京市西城区人民政府 → 北京市, 西城区), merged across issuers."""
    cities, districts = [], []
    endings = sorted(
        (w for w, c in gaz.type_endings.items() if c == str(PG.GovernmentBody)),
        key=len,
        reverse=True,
    )
    for name in names:
        stem = name
        for ending in endings:
            if name.endswith(ending) and len(name) > len(ending):
                stem = name[: -len(ending)]
                break
        found = split_jurisdiction(stem)
        if found.city and found.city not in cities:
            cities.append(found.city)
        if found.district and found.district not in districts:
            districts.append(found.district)
    return Jurisdiction(
        cities[0] if len(cities) == 1 else None,
        districts[0] if len(districts) == 1 else None,
    )


@dataclass
class Body:
    """A body named in a text: a registry IRI, or a new one to mint."""

    start: int
    end: int
    name: str  # as written, folded
    full: str  # resolved against the jurisdiction (市金融局 → 北京市金融局)
    cls: str | None  # class IRI from the ending, None for a registry body
    iri: str | None  # registry IRI when the registry knows the full name
    role: str | None  # property IRI of a body cue right before the name
    collective: bool = False
    why: str = ""  # how it was recognised, for the review report
    parent: str | None = None  # the registry body whose unit this is (人民银行数字货币研究所)


def draft_slug(kind: str, name: str) -> str:
    """A stable, readable slug for a resource the registry lacks: the pinyin of its name and a
    short digest, so the same name gives the same IRI on every run."""
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{kind}/draft-{pinyin_slug(name)}-{digest}"


@lru_cache(maxsize=4096)
def pinyin_slug(name: str) -> str:
    from pypinyin import lazy_pinyin

    words = [re.sub(r"[^a-z0-9]", "", w.lower()) for w in lazy_pinyin(name)]
    return "-".join(w for w in words if w)[:60].strip("-") or "x"


def pinyin_label(name: str) -> str:
    """A readable transliteration: 北京金融科技 → Beijing Jinrong Keji (syllables joined per
    two characters, a common reading of Chinese compounds; machine-made, for a curator to fix)."""
    from pypinyin import lazy_pinyin

    syllables = lazy_pinyin(name)
    words = ["".join(syllables[i : i + 2]) for i in range(0, len(syllables), 2)]
    return " ".join(w.capitalize() for w in words if w)


def _variants(name: str) -> list[str]:
    """A name as written and its usual long forms: 市政府 is short for 市人民政府."""
    out = [name]
    if name.endswith("政府") and not name.endswith("人民政府"):
        out.append(name[:-2] + "人民政府")
    return out


def _name_char(ch: str) -> bool:
    if ch.isascii():
        return ch.isalnum()
    return "\u4e00" <= ch <= "\u9fff" and ch not in NAME_STOP_CHARS


class Finder:
    """Bodies by form in one text, for one plan's jurisdiction."""

    def __init__(self, gaz: Gazetteer, jurisdiction: Jurisdiction) -> None:
        self.gaz = gaz
        self.jur = jurisdiction
        own = {n for n in (jurisdiction.city, jurisdiction.district) if n}
        own |= {n[:-1] for n in own if len(n) > 2}
        self.jurisdictions = gaz.jurisdictions | own
        self.endings = {**gaz.weak_endings, **gaz.type_endings}
        self.ending_re = re.compile(trie_pattern(self.endings) or r"(?!)")
        self.collective_re = re.compile(trie_pattern(gaz.collectives) or r"(?!)")
        cues = sorted(gaz.body_cues, key=len, reverse=True)
        self.cue_before = re.compile(
            "(?:" + "|".join(re.escape(c) for c in cues) + r")[ \t]*$" if cues else r"(?!)"
        )

    def resolve(self, name: str) -> tuple[str, str | None]:
        """The full name of a possibly relative name, and its registry IRI if any."""
        full = name
        for prefix in sorted(self.gaz.relative, key=len, reverse=True):
            if name.startswith(prefix) and not name.startswith(NOT_RELATIVE, 0):
                place = self.jur.expand(self.gaz.relative[prefix])
                rest = name[len(prefix) :]
                if place and rest:
                    full = place + rest
                break
        for candidate in _variants(full):
            if candidate in self.gaz.institutions:
                return full, self.gaz.institutions[candidate]
        return full, None

    def relative(self, name: str) -> bool:
        return relative_name(name, self.gaz)

    def tagged(self, name: str) -> Body:
        """A unit listed in a responsibility tag: whatever its form, it is a body."""
        full, iri = self.resolve(name)
        cls = None if iri else self._class(full)
        collective = name in self.gaz.collectives
        parent = None
        if iri is None:  # 中国人民银行测试分行: a unit of a registry body, by its name
            known = self.gaz.matcher("institutions").find(full)
            if known and known[0].start == 0 and known[0].end < len(full):
                parent = known[0].value
        body = Body(0, len(name), name, full, cls, iri, None, collective, "responsibility tag")
        body.parent = parent
        return body

    def _class(self, name: str) -> str | None:
        for ending in sorted(self.endings, key=len, reverse=True):
            if name.endswith(ending):
                return self.endings[ending]
        return None

    def find(self, norm: str, taken: list[Span], known: dict[Span, str]) -> list[Body]:
        """Bodies by form outside `taken`; `known` are the registry's matches (span → IRI),
        which a unit's name may start with (人民银行 + 数字货币研究所)."""
        found: list[Body] = []
        spans = list(taken)
        for m in self.collective_re.finditer(norm):
            if not _overlaps(m.span(), spans):
                body = Body(m.start(), m.end(), m.group(), m.group(), None, None, None, True)
                body.why = "collective actor"
                found.append(body)
                spans.append(m.span())
        for m in self.ending_re.finditer(norm):
            if _overlaps(m.span(), spans):
                continue
            body = self._candidate(norm, m, spans, known)
            if body is not None:
                found.append(body)
                spans.append((body.start, body.end))
        return sorted(found, key=lambda b: b.start)

    def _candidate(
        self, norm: str, m: re.Match[str], spans: list[Span], known: dict[Span, str]
    ) -> Body | None:
        end = m.end()
        start = m.start()
        ends = {hi: (lo, iri) for (lo, hi), iri in known.items()}
        while start > 0 and end - start < NAME_MAX and _name_char(norm[start - 1]):
            if start in ends or any(hi == start for _, hi in spans):
                break
            start -= 1
        quoted = QUOTED.search(norm[max(0, start - 22) : start])
        if quoted:
            start -= len(quoted.group())
        else:
            start = self._after_verbs(norm, start, m.start())
        parent = None
        if start in ends and not quoted:  # a unit of a registry body: 人民银行数字货币研究所
            parent_start, parent = ends[start]
            if norm[start:end] and start < m.start():
                start = parent_start
        name = norm[start:end]
        if name.startswith(NON_NAME_START):
            return None
        longest = self._longest_ending(name)
        stem = len(name) - len(longest) - (len(quoted.group()) if quoted else 0)
        strong = longest in self.gaz.type_endings
        if stem < (2 if strong else WEAK_STEM_MIN) and parent is None:
            return None
        cue = self.cue_before.search(norm[max(0, start - 6) : start])
        cue_word = cue.group().strip() if cue else ""
        role = self.gaz.body_cues.get(cue_word)
        if parent is not None:
            why = "a unit of a registry body"
        elif strong:
            why = f"name ending {longest}"
        elif self._proper(name) or ACRONYM_AFTER.match(norm, end):
            why = "a weak ending after a jurisdiction or national name"
        elif role is not None and role != str(PG.CreatedRole):
            why = f"a weak ending after the body cue {cue_word}"
        elif role == str(PG.CreatedRole) and start - len(cue.group()) in ends:  # type: ignore[union-attr]
            why = "set up by a named body"
        else:
            return None
        full, iri = self.resolve(name)
        cls = None if iri else self._class(full)
        if parent is not None and cls is None:
            cls = self._class(full)
        return Body(start, end, name, full, cls, iri, role, False, why, parent)

    def _after_verbs(self, norm: str, start: int, stop: int) -> int:
        """Drop the verbs a run of name characters starts with (积极打造…, 发挥好…): the first
        verb in the run and any right after it; a verb later in the run is part of the name."""
        run = norm[start:stop]
        first = NAME_STOP_VERBS.search(run)
        if first is None:
            return start
        pos = first.end()
        while (more := NAME_STOP_VERBS.match(run, pos)) is not None:
            pos = more.end()
        return start + pos

    def _longest_ending(self, name: str) -> str:
        return next(
            (e for e in sorted(self.endings, key=len, reverse=True) if name.endswith(e)), ""
        )

    def _proper(self, name: str) -> bool:
        if self.relative(name):
            return True
        if name.startswith(NATIONAL) and not name.startswith(("国家级", "全国性", "国际化")):
            return len(name) - 2 - len(self._longest_ending(name)) >= 2
        return any(name[:i] in self.jurisdictions for i in range(2, min(len(name) - 1, 8)))


def _overlaps(span: Span, spans: list[Span]) -> bool:
    return any(lo < span[1] and span[0] < hi for lo, hi in spans)


# How a clause lists places: the verbs and frames around the list (parsing rules).
PLACE_LEAD = re.compile(r"^(?:是指|分别|依托|以|强化|辐射|带动|包括|涵盖|围绕|聚焦|沿|在|覆盖)+")
# A clause that builds something names the zone's function (建设…示范城), not its places.
FUNCTION_LEAD = re.compile(r"^(?:建设|打造|建成|形成|培育)")
PLACE_TAIL = re.compile(r"(?:为依托|为核心|为重点|为主体|等区域|等地区|等片区|等|的.*|沿线区域)$")
PLACE_SPLIT = re.compile(r"[、/]|和|及|与")
PLACE_MAX = 12
PLACE_LIST_ITEM_MAX = 6  # a bare list item longer than this is a phrase, not a place name


def list_places(
    clause: str, known: list[Span], gaz: Gazetteer, in_layout: bool = False
) -> list[Span]:
    """Places the registry lacks in a clause that lists places (辐射德胜、广安、五道口、四季青等
    区域; 依托陆家嘴金融城和张江科学城): each list item that ends as place names end, or that
    stands in a list with a place the registry knows, in a list closed by 等区域/等地区, or in
    a list the layout's own words introduce (`in_layout`: “多点”，是指…)."""
    if FUNCTION_LEAD.match(clause):
        return []
    ending = re.compile(f"(?:{trie_pattern(gaz.place_endings)})$" if gaz.place_endings else "(?!)")
    lead = PLACE_LEAD.match(clause)
    lo = lead.end() if lead else 0
    body = clause[lo:]
    tail = PLACE_TAIL.search(body)
    areas = bool(tail and tail.group().startswith("等"))
    hi = lo + (tail.start() if tail else len(body))
    items: list[Span] = []
    pos = lo
    for sep in [*PLACE_SPLIT.finditer(clause, lo, hi), None]:
        stop = sep.start() if sep else hi
        a, b = pos, stop
        inner = PLACE_LEAD.match(clause, a)
        if inner and inner.end() < b:
            a = inner.end()
        if b > a:
            items.append((a, b))
        pos = sep.end() if sep else hi
    listed_known = sum(1 for a, b in items if any(a <= k0 and k1 <= b for k0, k1 in known))
    new = []
    for a, b in items:
        item = clause[a:b]
        if any(k0 < b and a < k1 for k0, k1 in known):
            continue
        if not re.fullmatch(rf"[\u4e00-\u9fff]{{2,{PLACE_MAX}}}", item):
            continue
        listed = len(items) > 1 and (listed_known or areas or in_layout)
        if ending.search(item) or (listed and len(item) <= PLACE_LIST_ITEM_MAX):
            new.append((a, b))
    return new
