"""Read a plan's text from bytes: detect its encoding, and build the matching view of it.

Offsets in a draft point into `Source.text`, the file decoded without any other change (a BOM
stays as U+FEFF at offset 0, CRLF stays CRLF), so that `data.decode(encoding)[start:end] == quote`.
Matching runs on a *view*: paragraphs with Markdown markers and page-break line breaks dropped,
full-width forms folded to ASCII and Traditional characters turned Simplified. Folding and
conversion keep one character per character, so a view offset maps back by its segment.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from plangraph.errors import InputError

# Encodings recognised by their byte-order mark but not read: say so rather than guess.
_UNSUPPORTED_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 BE"),
    (b"\xff\xfe\x00\x00", "UTF-32 LE"),
)
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8", "UTF-8 with BOM"),
    (b"\xff\xfe", "utf-16-le", "UTF-16 LE"),
    (b"\xfe\xff", "utf-16-be", "UTF-16 BE"),
)
# Control characters other than tab, line feed, form feed and carriage return: text has none.
_CONTROL = {chr(c) for c in range(32) if c not in (9, 10, 12, 13)} | {"\x7f"}
# Full-width ASCII forms (！ to ～) fold to ASCII one for one; the ideographic space to a space.
EMPTY = "empty file: no plan text to read / 文件为空，没有可读取的规划文本"
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


@dataclass(frozen=True)
class Source:
    """A plan text as read: what offsets point into, and what identifies the input."""

    text: str
    sha256: str
    encoding: str  # a label for people: "UTF-8", "UTF-8 with BOM", "GB18030"
    codec: str  # the Python codec that decodes the bytes to `text`
    name: str


def read_bytes(data: bytes, name: str = "<input>") -> Source:
    """Decode a plan text; empty, binary or undecodable input is an InputError that says so."""
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise InputError(EMPTY, file=name)
    for bom, label in _UNSUPPORTED_BOMS:
        if data.startswith(bom):
            raise _unsupported(label, name)
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            text = _decode(data, codec, name)
            if codec.startswith("utf-16"):
                text = text.removeprefix("\ufeff")
            return _checked(Source(text, digest, label, codec, name))
    if b"\x00" in data[:8192]:
        raise _binary(name)
    try:
        return _checked(Source(data.decode("utf-8"), digest, "UTF-8", "utf-8", name))
    except UnicodeDecodeError as err:
        utf8_error = err
    # GB18030 is a superset of GBK and GB2312, the encodings government files commonly use.
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise _undecodable(data, utf8_error.start, name) from None  # where UTF-8 went wrong
    if _not_gbk(text):
        raise _unsupported("Big5 or another encoding that is not GBK", name)
    return _checked(Source(text, digest, "GB18030", "gb18030", name))


GB2312_SHARE_MIN = 0.9  # GBK plan texts use GB2312 characters almost only; mojibake does not


def _not_gbk(text: str) -> bool:
    """GB18030 decodes almost any bytes. Text that was GBK uses common (GB2312) characters;
    Big5 or Shift-JIS bytes read as GB18030 give rare characters and private-use code points."""
    sample = [ch for ch in text[:4000] if ord(ch) > 0x7F and not ch.isspace()]
    if len(sample) < 20:
        return False
    common = 0
    for ch in sample:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(sample) < GB2312_SHARE_MIN


def _unsupported(label: str, name: str) -> InputError:
    return InputError(
        f"text in {label}, which is not supported: convert it to UTF-8 (e.g. iconv -t UTF-8) / "
        "不支持该编码，请先转换为 UTF-8",
        file=name,
        line=1,
        column=1,
    )


def _decode(data: bytes, codec: str, name: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as err:
        raise _undecodable(data, err.start, name) from None


def _undecodable(data: bytes, at: int, name: str) -> InputError:
    line = data[:at].count(b"\n") + 1
    column = at - (data.rfind(b"\n", 0, at) + 1) + 1
    return InputError(
        "not text in UTF-8, UTF-16 or GBK/GB18030 (binary file?) / "
        "不是 UTF-8、UTF-16 或 GBK/GB18030 编码的文本（二进制文件？）",
        file=name,
        line=line,
        column=column,
    )


def _checked(source: Source) -> Source:
    sample = source.text[:8192]
    if sum(ch in _CONTROL for ch in sample) > max(2, len(sample) // 100):
        raise _binary(source.name)
    if not source.text.strip("\ufeff \t\r\n\u3000"):
        raise InputError(EMPTY, file=source.name)
    return source


def _binary(name: str) -> InputError:
    return InputError(
        "binary file, not a plan text / 二进制文件，不是规划文本", file=name, line=1, column=1
    )


# ---------------------------------------------------------------------------
# Normalisation: width folding and Traditional → Simplified, one character for one.
# ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _t2s():  # OpenCC loads its dictionaries once, on first use
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=65536)
def _char_t2s(ch: str) -> str:
    out = _t2s().convert(ch)
    return out if len(out) == 1 else ch


def fold(text: str) -> str:
    """Full-width forms to ASCII, Traditional to Simplified, keeping the length."""
    text = text.translate(_FOLD)
    traditional = {ch for ch in set(text) if ord(ch) > 0x2E7F and _char_t2s(ch) != ch}
    if not traditional:
        return text
    # Phrase-level conversion where it keeps the length (乾隆 stays 乾隆), else char by char.
    out = []
    for line in text.splitlines(keepends=True):
        if traditional.isdisjoint(line):
            out.append(line)
            continue
        converted = _t2s().convert(line)
        if len(converted) != len(line):
            converted = "".join(_char_t2s(ch) for ch in line)
        out.append(converted)
    return "".join(out)


# ---------------------------------------------------------------------------
# Lines and paragraphs
# ---------------------------------------------------------------------------

_SPACE = " \t\u3000\ufeff\r\f\v"
TERMINAL = set("。！？；：…”」』!?;:")


@dataclass
class Piece:
    """Kept text: view[view_start:view_start+len] == source[orig_start:orig_start+len]."""

    view_start: int
    orig_start: int
    length: int


@dataclass
class Para:
    """A paragraph of the view: raw (as printed, markers dropped) and norm (folded) text."""

    raw: str
    norm: str
    pieces: list[Piece]
    md_level: int = 0  # number of leading '#'
    bold_end: int | None = None  # view offset where a leading **bold** run ends
    _starts: list[int] = field(default_factory=list, repr=False)

    def orig(self, i: int) -> int:
        """The source offset of view offset i (i == len maps to just after the last char)."""
        if not self._starts:
            self._starts = [p.view_start for p in self.pieces]
        if i >= len(self.raw):
            last = self.pieces[-1]
            return last.orig_start + last.length
        k = bisect_right(self._starts, i) - 1
        piece = self.pieces[k]
        return piece.orig_start + (i - piece.view_start)

    @property
    def start(self) -> int:
        return self.pieces[0].orig_start

    @property
    def end(self) -> int:
        return self.orig(len(self.raw))


def lines(text: str) -> list[tuple[int, str]]:
    """Each line's start offset and its content without the line break."""
    out, pos = [], 0
    for chunk in text.splitlines(keepends=True):
        content = chunk.rstrip("\r\n")
        out.append((pos, content))
        pos += len(chunk)
    return out


def line_para(start: int, content: str) -> Para | None:
    """One source line as a paragraph: outer space, leading '#' and bold markers dropped."""
    lo, hi = 0, len(content)
    while lo < hi and content[lo] in _SPACE:
        lo += 1
    while hi > lo and content[hi - 1] in _SPACE:
        hi -= 1
    md_level = 0
    while lo < hi and content[lo] == "#":
        md_level += 1
        lo += 1
    if md_level > 6:
        lo -= md_level
        md_level = 0
    while lo < hi and content[lo] in _SPACE:
        lo += 1
    if lo >= hi:
        return None
    pieces: list[Piece] = []
    raw: list[str] = []
    view = 0
    bold_end = None
    starts_bold = content.startswith(("**", "__"), lo)
    markers = 0
    seg_start = i = lo
    while i < hi:
        if content.startswith(("**", "__"), i):
            if i > seg_start:
                pieces.append(Piece(view, start + seg_start, i - seg_start))
                raw.append(content[seg_start:i])
                view += i - seg_start
            markers += 1
            if starts_bold and markers == 2:
                bold_end = view
            i += 2
            seg_start = i
            continue
        i += 1
    if hi > seg_start:
        pieces.append(Piece(view, start + seg_start, hi - seg_start))
        raw.append(content[seg_start:hi])
    if not pieces:
        return None
    text = "".join(raw)
    if not text.strip(_SPACE):
        return None
    return Para(text, fold(text), pieces, md_level, bold_end or None)


def join(a: Para, b: Para) -> Para:
    """Two paragraphs as one, the line break between them dropped (a page break)."""
    shift = len(a.raw)
    pieces = a.pieces + [Piece(p.view_start + shift, p.orig_start, p.length) for p in b.pieces]
    return Para(a.raw + b.raw, a.norm + b.norm, pieces, a.md_level, a.bold_end)
