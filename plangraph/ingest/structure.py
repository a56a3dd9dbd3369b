"""Find a plan's structure: paragraphs, numbered items and their nesting, and the named parts.

Chinese plans number their levels with a small set of styles (第X章, 一、, （一）, 1., （1）, ①),
and mark unnumbered items with a leading dash (——) or a bold run-in heading. The levels are
not fixed: a style's depth is where the text first uses it, so the outline is built with a
stack of styles, as a reader does. The named parts (指导思想, 基本原则, 发展目标, 重点任务, …)
are found by their headings and mapped to the ontology's classes in `PART_CLASSES`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plangraph.ingest.reading import TERMINAL, Para, Source, join, line_para, lines
from plangraph.namespace import PG

CN_DIGITS = "零〇一二两三四五六七八九十百"
# (style, pattern on the folded text at the start of a paragraph); group 1 is the number.
NUMBER_STYLES: list[tuple[str, re.Pattern[str]]] = [
    ("chapter", re.compile(rf"第([{CN_DIGITS}\d]+)章[ \t]*")),
    ("section", re.compile(rf"第([{CN_DIGITS}\d]+)节[ \t]*")),
    ("cn", re.compile(rf"([{CN_DIGITS}]+)[ \t]*[、.][ \t]*")),
    ("paren_cn", re.compile(rf"\([ \t]*([{CN_DIGITS}]+)[ \t]*\)[ \t]*")),
    ("arabic", re.compile(r"(\d{1,3})[ \t]*[、.](?!\d)[ \t]*")),
    ("paren_arabic", re.compile(r"\([ \t]*(\d{1,3})[ \t]*\)[ \t]*")),
    ("circled", re.compile(r"([\u2460-\u2473])[ \t]*")),
]
DASH = re.compile(r"(?:——|—|--|－－)[ \t]*")
HEADING_MAX = 50
# 一是…，二是…: members of an enumeration inside a paragraph (after a clause break or at its start)
ENUMERATION = re.compile(
    r"(?:^|[。;,:\n])[ \t]*(([一二三四五六七八九十]+)是)"
)  # a run-in heading longer than this is a sentence, not a heading

# The named parts of a plan: heading words (parsing rules, matched on short headings) and the
# ontology class of the elements they hold. Order matters: the first that matches wins.
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("preamble", ("前言", "序言", "引言")),
    ("context", ("发展环境", "发展基础", "面临形势", "重要意义", "发展现状", "现状与形势")),
    ("ideology", ("指导思想",)),
    ("principles", ("基本原则", "原则")),
    ("goals", ("发展目标", "主要目标", "总体目标", "具体目标", "工作目标", "目标")),
    ("layout", ("空间布局", "总体布局", "空间格局")),
    ("tasks", ("重点任务", "主要任务", "工作任务", "重点工作")),
    ("safeguards", ("保障措施", "保障机制", "组织实施", "组织保障")),
]
NAMED_HEADING_MAX = 10
PART_CLASSES = {
    "preamble": PG.Preamble,
    "ideology": PG.GuidingIdeology,
    "principle": PG.Principle,
    "goal": PG.Goal,
    "area": PG.TaskArea,
    "task": PG.Task,
    "layout": PG.SpatialLayout,
    "safeguard": PG.SafeguardMeasure,
}
CLOSING = re.compile(
    r"本(?:实施)?(?:方案|计划|规划|意见|办法|通知|细则|措施|纲要)[^。]{0,40}(?:施行|实施|负责解释)"
)
DATE_LINE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［(（]\d{4}[〕\]］)）]\d{1,4}号")


def cn_number(text: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 12 → 12; None when it is not a number.

    cn2an reads these too, and much more (万, 亿, decimals); plan numbering never goes past
    百, so a dozen lines here spare a dependency."""
    if text.isdigit():
        return int(text)
    if text and "\u2460" <= text <= "\u2473":
        return ord(text) - 0x2460 + 1
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
    total, current = 0, 0
    for ch in text:
        if ch in digits:
            current = digits[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current or None


@dataclass
class Stretch:
    """A run of view text over one or more paragraphs, joined by newlines, mapped to the source."""

    parts: list[tuple[Para, int, int]]
    raw: str = ""
    norm: str = ""
    _offsets: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.parts = [(p, lo, hi) for p, lo, hi in self.parts if hi > lo]
        self.raw = "\n".join(p.raw[lo:hi] for p, lo, hi in self.parts)
        self.norm = "\n".join(p.norm[lo:hi] for p, lo, hi in self.parts)
        pos = 0
        for _, lo, hi in self.parts:
            self._offsets.append(pos)
            pos += hi - lo + 1

    def _locate(self, i: int) -> tuple[Para, int]:
        k = len(self._offsets) - 1
        while k > 0 and self._offsets[k] > i:
            k -= 1
        para, lo, hi = self.parts[k]
        return para, min(lo + i - self._offsets[k], hi)

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Source offsets (start, end) of view text [i, j)."""
        para, vi = self._locate(i)
        start = para.orig(vi)
        para, vj = self._locate(max(i, j - 1))
        return start, para.orig(vj) + 1 if j > i else start

    @property
    def whole(self) -> tuple[int, int]:
        return self.span(0, len(self.raw))

    def slice(self, i: int, j: int) -> Stretch:
        """The view text [i, j) as a stretch of its own."""
        parts = []
        for (para, lo, hi), offset in zip(self.parts, self._offsets, strict=True):
            a, b = max(i - offset, 0), min(j - offset, hi - lo)
            if a < b:
                parts.append((para, lo + a, lo + b))
        return Stretch(parts)


@dataclass
class Item:
    """A numbered or otherwise marked paragraph that opens a part of the outline."""

    style: str
    value: int | None
    para: int
    number: tuple[int, int] | None  # view offsets of the printed number in its paragraph
    heading: tuple[int, int] | None
    body: int  # view offset where the text after the heading starts
    depth: int = 0
    parent: Item | None = None
    end: int = 0  # paragraph index after the last one of this item's subtree
    children: list[Item] = field(default_factory=list)


@dataclass
class Element:
    """One plan element found in the text, ready for extraction and the draft."""

    kind: str  # a key of PART_CLASSES
    number: int | None
    printed: str | None
    heading: str | None
    text: Stretch | None
    evidence: tuple[int, int]
    path: str  # the source section, for a comment line in the draft
    area: Element | None = None
    full: Stretch | None = None  # heading and text, what extraction searches
    implicit: bool = False  # made by the tool, not printed: one area holding ungrouped tasks


@dataclass
class Structure:
    paras: list[Para]
    title: Stretch | None
    head: list[int]  # paragraph indexes before the first item (covering notice, title)
    tail: list[int]  # paragraph indexes after the closing clause
    elements: list[Element]
    warnings: list[str]
    contents: list[int] = field(default_factory=list)  # source offsets of table-of-contents lines

    def of(self, kind: str) -> list[Element]:
        return [e for e in self.elements if e.kind == kind]


TOC_HEAD = re.compile(r"目[ \t]*录")
# A table-of-contents line: a heading, a leader (dots, ellipses, rules or a wide gap), a page.
TOC_LINE = re.compile(
    r".{1,80}?(?:…+|\.{3,}|·{3,}|－{2,}|-{3,}|_{3,}|—{3,}|[ \t]{4,})[ \t]*\d{1,3}"
)
PAGE_END = re.compile(r"[ \t]\d{1,3}|\D\d{1,3}")


def paragraphs(source: Source, skipped: list[int] | None = None) -> list[Para]:
    """Lines as paragraphs, a line continued after a page break joined to the one before. A
    table of contents (目录, then lines ending in page numbers; or any line with a dotted leader
    and a page number) is skipped, its source offsets added to `skipped`."""
    paras: list[Para] = []
    in_toc = False
    for start, content in lines(source.text):
        para = line_para(start, content)
        if para is None:
            continue
        norm = para.norm.strip()
        if TOC_HEAD.fullmatch(norm):
            in_toc = True
            if skipped is not None:
                skipped.append(para.start)
            continue
        ends_in_page = norm[-1:].isdigit() and PAGE_END.search(norm[-4:]) is not None
        if TOC_LINE.fullmatch(norm) or (in_toc and ends_in_page):
            if skipped is not None:
                skipped.append(para.start)
            continue
        in_toc = False
        if paras and _continues(paras[-1], para):
            paras[-1] = join(paras[-1], para)
        else:
            paras.append(para)
    return paras


def _continues(prev: Para, para: Para) -> bool:
    """A page break splits a sentence: the previous body line stops short of any punctuation."""
    if prev.md_level or para.md_level or len(prev.norm) < 20 or prev.norm[-1] in TERMINAL:
        return False
    if not any(mark in prev.norm for mark in "。,、;"):
        return False  # a title or a heading: body text has clause punctuation
    if _number(para) is not None or DASH.match(para.norm) or para.bold_end is not None:
        return False
    number = _number(prev)
    if number is not None and "。" not in prev.norm[number[2] :]:
        return False  # a heading alone on its line
    return _named(para.norm.rstrip(":：")) is None


def _number(para: Para) -> tuple[str, int | None, int] | None:
    for style, pattern in NUMBER_STYLES:
        m = pattern.match(para.norm)
        if m and m.end() < len(para.norm):
            return style, cn_number(m.group(1)), m.end()
    return None


def _named(heading: str) -> str | None:
    heading = heading.strip().rstrip("。:：")
    if not heading or len(heading) > NAMED_HEADING_MAX:
        return None
    for part, words in PARTS:
        if any(word in heading for word in words):
            return part
    return None


def _item(index: int, para: Para) -> Item | None:
    found = _number(para)
    if found is not None:
        style, value, rest = found
        number_end = len(para.norm[:rest].rstrip(" \t"))
        return _with_heading(Item(style, value, index, (0, number_end), None, rest), para)
    dash = DASH.match(para.norm)
    if dash and dash.end() < len(para.norm):
        return _with_heading(Item("dash", None, index, None, None, dash.end()), para)
    if para.md_level:
        return Item(f"md{para.md_level}", None, index, None, (0, len(para.raw)), len(para.raw))
    if _named(para.norm) is not None and "。" not in para.norm:
        return Item("named", None, index, None, (0, len(para.raw.rstrip(":："))), len(para.raw))
    if para.bold_end is not None:
        return _with_heading(Item("bold", None, index, None, None, 0), para)
    return None


def _with_heading(item: Item, para: Para) -> Item:
    """Split what follows the number into a heading and the text after it."""
    rest = item.body
    norm = para.norm
    if para.bold_end is not None and para.bold_end > rest:
        end = para.bold_end
        head = norm[rest:end].rstrip(" \t。:：;")
        if head:
            item.heading = (rest, rest + len(head))
            item.body = end
            return item
    stop = norm.find("。", rest)
    if stop == -1:
        if len(norm) - rest <= HEADING_MAX:
            item.heading = (rest, len(norm.rstrip(" \t:：")))
            item.body = len(norm)
    elif 0 < stop - rest <= HEADING_MAX:
        item.heading = (rest, stop)
        item.body = stop + 1
    return item


def parse(source: Source) -> Structure:
    """The outline of a plan text and its elements; raises nothing, reports by `warnings`."""
    skipped: list[int] = []
    paras = paragraphs(source, skipped)
    items: list[Item] = []
    title_index = None
    for index, para in enumerate(paras):
        item = _item(index, para)
        if item is None:
            continue
        first_heading = not items and title_index is None and item.style.startswith("md")
        if first_heading and _named(para.norm) is None:
            title_index = index  # the document's own heading
            continue
        items.append(item)
    closing = _closing(paras, items)
    items = [i for i in items if i.para < closing]
    roots = _tree(items, closing)
    first = items[0].para if items else closing
    head = list(range(first))
    if title_index is None:
        title_index = _title_index(paras, head)
    title = None
    if title_index is not None:
        title = Stretch([(paras[title_index], 0, len(paras[title_index].raw))])
    builder = _Builder(paras, closing)
    preamble_start = title_index + 1 if title_index is not None else 0
    body = [i for i in head if i >= preamble_start and _is_body(paras[i])]
    if body:
        builder.preamble(body)
    builder.walk(roots)
    builder.finish()
    return Structure(
        paras,
        title,
        head,
        list(range(closing, len(paras))),
        builder.elements,
        builder.warnings,
        skipped,
    )


def _closing(paras: list[Para], items: list[Item]) -> int:
    """The paragraph where the closing clause (本方案自…起施行) starts, or the end."""
    last = items[-1].para if items else 0
    for index in range(last, len(paras)):
        if CLOSING.match(paras[index].norm) and (index > last or not items):
            return index
    return len(paras)


def _title_index(paras: list[Para], head: list[int]) -> int | None:
    """The last short unpunctuated line before the first item that is not a date or a number."""
    found = None
    for index in head:
        norm = paras[index].norm.strip()
        if (
            len(norm) <= 80
            and norm[-1] not in TERMINAL
            and not DATE_LINE.fullmatch(norm)
            and not DOC_NUMBER.fullmatch(norm)
            and _named(norm) is None
        ):
            found = index
    return found


def _is_body(para: Para) -> bool:
    norm = para.norm.strip()
    return len(norm) > 30 or (bool(norm) and norm[-1] in "。")


def _tree(items: list[Item], closing: int) -> list[Item]:
    roots: list[Item] = []
    stack: list[Item] = []
    for item in items:
        styles = [s.style for s in stack]
        if item.style in styles:
            del stack[len(styles) - 1 - styles[::-1].index(item.style) :]
        item.depth = len(stack)
        item.parent = stack[-1] if stack else None
        (stack[-1].children if stack else roots).append(item)
        stack.append(item)
    for k, item in enumerate(items):
        item.end = next((j.para for j in items[k + 1 :] if j.depth <= item.depth), closing)
    return roots


class _Builder:
    """Turns the outline into elements of the named parts, numbering them as the ontology asks."""

    def __init__(self, paras: list[Para], closing: int) -> None:
        self.paras = paras
        self.closing = closing
        self.elements: list[Element] = []
        self.warnings: list[str] = []
        self.counts: dict[str, int] = {}
        self.unnamed: list[Item] = []
        self.has_tasks = False

    # -- helpers --------------------------------------------------------------------------

    def _next(self, kind: str) -> int:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return self.counts[kind]

    def _heading(self, item: Item) -> str | None:
        if item.heading is None:
            return None
        lo, hi = item.heading
        return self.paras[item.para].raw[lo:hi].strip() or None

    def _printed(self, item: Item) -> str | None:
        if item.number is None:
            return None
        lo, hi = item.number
        return self.paras[item.para].raw[lo:hi]

    def _text(self, item: Item, own: bool = False) -> Stretch | None:
        """The item's text after its heading: its whole subtree, or (own) up to its first child."""
        end = item.children[0].para if own and item.children else item.end
        para = self.paras[item.para]
        parts = [(para, item.body, len(para.raw))]
        parts += [(self.paras[i], 0, len(self.paras[i].raw)) for i in range(item.para + 1, end)]
        stretch = Stretch(parts)
        return stretch if stretch.raw.strip() else None

    def _full(self, item: Item, own: bool = False) -> Stretch:
        end = item.children[0].para if own and item.children else item.end
        start = item.heading[0] if item.heading else item.body
        parts = [(self.paras[item.para], start, len(self.paras[item.para].raw))]
        parts += [(self.paras[i], 0, len(self.paras[i].raw)) for i in range(item.para + 1, end)]
        return Stretch(parts)

    def _evidence(self, item: Item, own: bool = False) -> tuple[int, int]:
        end = item.children[0].para if own and item.children else item.end
        para = self.paras[item.para]
        start = para.orig(item.number[0] if item.number else 0)
        last = self.paras[max(item.para, end - 1)]
        return start, last.end

    def _path(self, item: Item) -> str:
        """The item's place in the outline as printed, e.g. 四、重点任务 （一） 1."""
        chain: list[Item] = []
        node: Item | None = item
        while node is not None:
            chain.append(node)
            node = node.parent
        bits = []
        for node in reversed(chain):
            printed = self._printed(node)
            heading = self._heading(node) or ""
            if printed is None:
                bits.append(heading[:20])
            elif node.depth == 0:
                bits.append(printed + heading[:20])
            else:
                bits.append(printed)
        return " ".join(b for b in bits if b)

    def _add(self, kind: str, item: Item, own: bool = False, **kw: object) -> Element:
        element = Element(
            kind,
            self._next(kind),
            self._printed(item),
            self._heading(item),
            self._text(item, own),
            self._evidence(item, own),
            self._path(item),
            full=self._full(item, own),
            **kw,  # type: ignore[arg-type]
        )
        self.elements.append(element)
        return element

    # -- parts ----------------------------------------------------------------------------

    def preamble(self, indexes: list[int]) -> None:
        stretch = Stretch([(self.paras[i], 0, len(self.paras[i].raw)) for i in indexes])
        first, last = self.paras[indexes[0]], self.paras[indexes[-1]]
        self.elements.append(
            Element(
                "preamble", None, None, None, stretch, (first.start, last.end), "序言", full=stretch
            )
        )

    def walk(self, items: list[Item]) -> None:
        for item in items:
            part = self._part_of(item)
            if part is None:
                if self._has_named(item):
                    self.walk(item.children)
                else:
                    self.unnamed.append(item)
                continue
            getattr(self, f"_part_{part}")(item)

    def _part_of(self, item: Item) -> str | None:
        if item.heading is None:
            return None
        return _named(self.paras[item.para].norm[item.heading[0] : item.heading[1]])

    def _has_named(self, item: Item) -> bool:
        return any(self._part_of(c) or self._has_named(c) for c in item.children)

    def _part_preamble(self, item: Item) -> None:
        if any(e.kind == "preamble" for e in self.elements):
            self.warnings.append("a second preamble section was ignored / 忽略了第二个前言")
            return
        text = self._text(item)
        if text is not None:
            self.elements.append(
                Element("preamble", None, None, None, text, self._evidence(item), "序言", full=text)
            )

    def _part_context(self, item: Item) -> None:
        """发展环境, 发展基础 …: what the plan starts from; the preamble, when there is none."""
        if not any(e.kind == "preamble" for e in self.elements):
            self._part_preamble(item)

    def _part_ideology(self, item: Item) -> None:
        if self.counts.get("ideology"):
            self.warnings.append("a second 指导思想 section was ignored / 忽略了第二个指导思想部分")
            return
        self._add("ideology", item)

    def _items_of(self, item: Item, word: str) -> list[Item]:
        """The items of a list part, a sub-list under a heading such as 具体目标 flattened."""
        out: list[Item] = []
        for child in item.children:
            heading = self.paras[child.para].norm[slice(*child.heading)] if child.heading else ""
            if child.children and word in heading and len(heading) <= NAMED_HEADING_MAX:
                out.extend(child.children)
            else:
                out.append(child)
        return out

    def _list_part(self, item: Item, kind: str, word: str) -> None:
        children = self._items_of(item, word)
        if not children:
            self._add(kind, item)
            return
        for child in children:
            self._add(kind, child)

    def _part_principles(self, item: Item) -> None:
        self._list_part(item, "principle", "原则")

    def _part_goals(self, item: Item) -> None:
        self._list_part(item, "goal", "目标")

    def _part_safeguards(self, item: Item) -> None:
        self._list_part(item, "safeguard", "保障")

    def _part_layout(self, item: Item) -> None:
        if self.counts.get("layout"):
            self.warnings.append("a second 空间布局 section was ignored / 忽略了第二个空间布局部分")
            return
        self._add("layout", item)

    def _part_tasks(self, item: Item) -> None:
        self.has_tasks = True
        if not item.children and self._enumerated(item):
            return
        self._tasks(item.children, item)

    def _enumerated(self, item: Item) -> bool:
        """一是…；二是…；三是…: a tasks section written as one enumerating paragraph gives one
        task per member (in one task area made by the tool, as for any ungrouped tasks)."""
        text = self._text(item)
        if text is None:
            return False
        marks = list(ENUMERATION.finditer(text.norm))
        numbers = [cn_number(m.group(2)) for m in marks]
        if len(marks) < 2 or numbers != list(range(1, len(marks) + 1)):
            return False
        area = Element(
            "area",
            self._next("area"),
            None,
            None,
            None,
            text.whole,
            self._path(item),
            implicit=True,
        )
        self.elements.append(area)
        for k, m in enumerate(marks):
            end = marks[k + 1].start(1) if k + 1 < len(marks) else len(text.norm)
            body = text.norm[m.end(1) : end].rstrip("；;，, \t")
            stop = m.end(1) + len(body)
            member = text.slice(m.end(1), stop)
            # the member's first clause is its gist, as a run-in heading is
            comma = re.search(r"[,;。]", member.norm)
            cut = comma.start() if comma and comma.start() <= HEADING_MAX else len(member.norm)
            heading = member.raw[:cut].strip() or None
            rest = member.slice(cut + 1, len(member.norm)) if cut < len(member.norm) else None
            self.elements.append(
                Element(
                    "task",
                    self._next("task"),
                    text.raw[m.start(1) : m.end(1)],
                    heading,
                    rest if rest is not None and rest.raw.strip() else None,
                    text.span(m.start(1), stop),
                    f"{self._path(item)} {text.raw[m.start(1) : m.end(1)]}",
                    area=area,
                    full=member,
                )
            )
        return True

    def _tasks(self, items: list[Item], parent: Item | None) -> None:
        if any(i.children for i in items):
            for area_item in items:
                area = self._add("area", area_item, own=True)
                if area_item.children:
                    area.full = self._full(area_item, own=True)
                for task_item in area_item.children:
                    self._add("task", task_item, area=area)
        elif items:
            # The model puts every task in an area; a text without areas gets one, marked as
            # made by the tool, spanning its tasks.
            first, last = self._evidence(items[0]), self._evidence(items[-1])
            area = Element(
                "area",
                self._next("area"),
                None,
                None,
                None,
                (first[0], last[1]),
                self._path(parent) if parent is not None else "（任务）",
                implicit=True,
            )
            self.elements.append(area)
            for task_item in items:
                self._add("task", task_item, area=area)

    def finish(self) -> None:
        if not self.has_tasks and self.unnamed:
            self._tasks(self.unnamed, None)
        elif self.unnamed:
            for item in self.unnamed:
                self.warnings.append(
                    f"section {self._path(item)!r} is not a named part and was left out / "
                    "未识别的部分已略去"
                )
