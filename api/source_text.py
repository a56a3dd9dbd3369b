"""A source text as a page: its lines numbered, one quoted span highlighted (`?char=start,end`,
with the fragment `#char=start,end` in the style of RFC 5147), its SHA-256 checked against the
one the data states. Offsets are code points into the file's text, start inclusive, end
exclusive, as pg:start and pg:end count them.

Only files in the shipped graph/sources/ folder are read, and only by their base name: the data
names the copy (pg:localCopy), it cannot name a path elsewhere.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from plangraph.config import data_dir

CHAR_PARAM = re.compile(r"(\d+),(\d+)")


@dataclass
class Segment:
    text: str
    marked: bool


@dataclass
class Line:
    number: int
    start: int  # offset of the line's first character
    segments: list[Segment]


@dataclass
class SourceText:
    name: str
    text: str
    sha256: str

    def lines(self, mark: tuple[int, int] | None = None) -> list[Line]:
        """The text cut into lines (line ends dropped), the marked range split at line ends."""
        out, offset = [], 0
        for number, raw in enumerate(self.text.splitlines(keepends=True), start=1):
            body = raw.rstrip("\r\n")
            segments = [Segment(body, False)]
            if mark is not None:
                lo, hi = max(mark[0], offset), min(mark[1], offset + len(body))
                if lo < hi:
                    a, b = lo - offset, hi - offset
                    segments = [
                        s
                        for s in (
                            Segment(body[:a], False),
                            Segment(body[a:b], True),
                            Segment(body[b:], False),
                        )
                        if s.text
                    ]
            out.append(Line(number, offset, segments))
            offset += len(raw)
        return out

    def line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1


def local_copy(name: str) -> Path | None:
    """The shipped file a pg:localCopy value names (graph/sources/x.txt), if it exists."""
    folder = data_dir("graph") / "sources"
    candidate = folder / Path(name).name
    if not candidate.is_file() or candidate.resolve().parent != folder.resolve():
        return None
    return candidate


def read(name: str) -> SourceText | None:
    path = local_copy(name)
    if path is None:
        return None
    data = path.read_bytes()
    return SourceText(path.name, data.decode("utf-8"), hashlib.sha256(data).hexdigest())


def parse_char(value: str | None, length: int) -> tuple[int, int] | None:
    """`start,end` from ?char=, when it is a range inside the text; anything else is ignored."""
    match = CHAR_PARAM.fullmatch(value or "")
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    return (start, end) if 0 <= start < end <= length else None
