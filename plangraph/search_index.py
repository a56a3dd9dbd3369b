"""Full-text search over labels, alternative labels and texts: an SQLite FTS5 index with the
trigram tokenizer, which finds any run of three or more characters, so Chinese needs no word
segmenter, and English words match inside longer ones (ranked by BM25).

Traditional and Simplified both match: every text and every query is folded the way ingestion
folds texts (`plangraph.ingest.reading.fold`: full-width forms to ASCII, Traditional to
Simplified, one character for one, so offsets into the folded text are offsets into the
original). A text with no Traditional or full-width character is left as it is without asking
OpenCC (the set of such characters comes from OpenCC's own dictionary), which keeps building
fast at scale.

Trigrams cannot find a two-character word (金融, 银行 — common in Chinese), so a second FTS5
table holds the overlapping character pairs of every CJK run; a one-character query falls back
to a substring scan, correct but not fast at scale.

Ranking, cheap at any scale: hits in names (labels) first, ranked by BM25; then hits in other
names (titles, headings, alternative labels), by BM25; then hits in texts, in index order —
scoring every text that holds a common word would cost time proportional to the matches. Within
a tier at most CANDIDATES matches are scored, so for a word in thousands of names the ranking
is among the first thousand (in index order), not all.

The rows come from a SPARQL query (the caller's `.rq` file) answering
?resource ?kind ?field ?text, where ?field is "label", "alt" or "body"; the index keeps one row
per resource. Built in memory at load and rebuilt when the data changes (a new generation).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import IO

import pyoxigraph as ox

from plangraph.ingest.reading import fold

FIELDS = ("label", "alt", "body")
MAX_QUERY_CHARS = 200
# How many matches of a tier are scored for ranking: enough for any name, bounded for a word
# that half the texts contain.
CANDIDATES = 1000
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]{2,}")


@lru_cache(maxsize=1)
def _special() -> frozenset[str]:
    """Characters `fold` changes: Traditional ones (OpenCC's TSCharacters) and full-width forms."""
    path = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    traditional = {
        line.split("\t", 1)[0]
        for line in path.read_text(encoding="utf-8").splitlines()
        if "\t" in line and len(line.split("\t", 1)[0]) == 1
    }
    widths = {chr(c) for c in range(0xFF01, 0xFF5F)} | {"\u3000"}
    return frozenset(traditional | widths)


def normalise(text: str) -> str:
    """`fold`, skipped when no character of the text would change."""
    return fold(text) if not _special().isdisjoint(text) else text


def bigrams(text: str) -> str:
    """The overlapping character pairs of each CJK run, space-separated, for the pair table."""
    return " ".join(run[i : i + 2] for run in CJK.findall(text) for i in range(len(run) - 1))


@dataclass(frozen=True)
class Hit:
    iri: str
    kinds: tuple[str, ...]
    snippet: str  # a piece of the matching text, the match between \x02 and \x03
    field: str  # where the best match is: "label", "alt" or "body"
    rank: float


@dataclass
class _Doc:
    kinds: set[str]
    texts: dict[str, list[str]]


class SearchIndex:
    """One in-memory FTS5 table; safe to query from many threads (one lock, queries are ms)."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5("
            "iri UNINDEXED, kinds UNINDEXED, label, alt, body, tokenize='trigram')"
        )
        self._db.execute(  # same rowids as docs: pairs of CJK characters, for 2-char words
            "CREATE VIRTUAL TABLE pairs USING fts5(label, alt, body, tokenize='unicode61')"
        )
        self._lock = threading.Lock()
        self.size = 0

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str | None, str, str]]) -> SearchIndex:
        """Rows of (resource IRI, kind IRI or None, field, text); a resource may span many."""
        docs: dict[str, _Doc] = {}
        for iri, kind, field_, text in rows:
            doc = docs.get(iri)
            if doc is None:
                doc = docs[iri] = _Doc(set(), {f: [] for f in FIELDS})
            if kind:
                doc.kinds.add(kind)
            if field_ in doc.texts and text and text not in doc.texts[field_]:
                doc.texts[field_].append(text)
        index = cls()
        index._insert(docs)
        return index

    @classmethod
    def from_store(cls, store: ox.Store, query: str) -> SearchIndex:
        """Run the rows query over the whole store (its default graph as the union)."""
        return cls._from_solutions(store.query(query, use_default_graph_as_union=True))

    @classmethod
    def from_answer(cls, answer: bytes | IO[bytes]) -> SearchIndex:
        """The rows query's answer as SPARQL TSV, as a query worker wrote it."""
        return cls._from_solutions(ox.parse_query_results(answer, ox.QueryResultsFormat.TSV))

    @classmethod
    def _from_solutions(cls, solutions: object) -> SearchIndex:
        def rows() -> Iterable[tuple[str, str | None, str, str]]:
            for resource, kind, field_, text in solutions:  # type: ignore[misc,union-attr]
                yield (
                    resource.value,
                    kind.value if kind is not None else None,
                    field_.value,
                    text.value,
                )

        return cls.from_rows(rows())

    def _insert(self, docs: dict[str, _Doc]) -> None:
        records = []
        pairs = []
        for rowid, (iri, doc) in enumerate(docs.items(), start=1):
            texts = ["\n".join(normalise(t) for t in doc.texts[f]) for f in FIELDS]
            records.append((rowid, iri, " ".join(sorted(doc.kinds)), *texts))
            pairs.append((rowid, *(bigrams(t) for t in texts)))
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO docs(rowid, iri, kinds, label, alt, body) VALUES (?, ?, ?, ?, ?, ?)",
                records,
            )
            self._db.executemany(
                "INSERT INTO pairs(rowid, label, alt, body) VALUES (?, ?, ?, ?)", pairs
            )
        self.size = len(docs)

    def search(self, text: str, limit: int = 200) -> list[Hit]:
        """Resources whose label, alternative label or text contains every word of `text`."""
        words = [w for w in re.split(r"\s+", normalise(text.strip())[:MAX_QUERY_CHARS]) if w]
        if not words:
            return []
        if any(len(w) < 2 or (len(w) == 2 and not CJK.fullmatch(w)) for w in words):
            return self._scan(words, limit)
        short = [w for w in words if len(w) == 2]
        long_ = [w for w in words if len(w) > 2]
        found: dict[int, tuple] = {}
        # names, then other names (each by BM25), then texts (index order)
        for column, ranked in (("label", True), ("alt", True), (None, False)):
            if len(found) >= limit:
                break
            sql, params = self._tier(long_, short, column, ranked, limit + len(found))
            with self._lock:
                for row in self._db.execute(sql, params):
                    if row[0] not in found and len(found) < limit:
                        found[row[0]] = row
        return [_hit(row[1:], words) for row in found.values()]

    def _tier(
        self, long_: list[str], short: list[str], column: str | None, ranked: bool, limit: int
    ) -> tuple[str, list[object]]:
        """One tier's SQL. Candidates come from one FTS5 table: the trigram table for words of
        3+ characters, else the pair table for 2-character CJK words; at most CANDIDATES of
        them are scored (BM25), so a very common word costs no more than a rare one; the other
        words filter the candidates by substring."""
        prefix = "{" + column + "} : " if column else ""
        words, table = (long_, "docs") if long_ else (short, "pairs")
        rest = short if long_ else []
        match = prefix + "(" + " AND ".join(_phrase(w) for w in words) + ")"
        score = f"bm25({table})" if ranked else "0"
        # rank (or take in index order) the candidates first, read the texts of the few kept
        kept = limit if not rest else CANDIDATES
        candidates = (
            f"SELECT rowid, r FROM (SELECT rowid, {score} AS r FROM {table} "
            f"WHERE {table} MATCH ? LIMIT {CANDIDATES if ranked or rest else limit}) "
            + ("ORDER BY r " if ranked else "")
            + f"LIMIT {kept}"
        )
        sql = (
            "SELECT d.rowid, d.iri, d.kinds, d.label, d.alt, d.body, c.r "
            f"FROM ({candidates}) AS c JOIN docs AS d ON d.rowid = c.rowid"
        )
        params: list[object] = [match]
        columns = [column] if column else list(FIELDS)
        for word in rest:
            sql += " AND (" + " OR ".join(f"d.{c} LIKE ? ESCAPE '\\'" for c in columns) + ")"
            params += [_like(word)] * len(columns)
        sql += " ORDER BY c.r, d.rowid LIMIT ?"
        return sql, [*params, limit]

    def _scan(self, words: list[str], limit: int) -> list[Hit]:
        """One-character (or two Latin letters) words: a substring scan, names first."""
        conditions = " AND ".join(
            "(label LIKE ? ESCAPE '\\' OR alt LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\')"
            for _ in words
        )
        sql = (
            "SELECT iri, kinds, label, alt, body, "
            "CASE WHEN label LIKE ? ESCAPE '\\' THEN 0 WHEN alt LIKE ? ESCAPE '\\' THEN 1 "
            f"ELSE 2 END AS rank FROM docs WHERE {conditions} ORDER BY rank, rowid LIMIT ?"
        )
        first = _like(words[0])
        params = (first, first, *[p for w in words for p in (_like(w),) * 3], limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [_hit(row, words) for row in rows]


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _hit(row: tuple[str, str, str, str, str, float], words: list[str]) -> Hit:
    iri, kinds, *texts, rank = row
    lowered = [w.lower() for w in words]
    for field_, text in zip(FIELDS, texts, strict=True):
        position = text.lower().find(lowered[0])
        if position >= 0:
            return Hit(
                iri,
                tuple(kinds.split()),
                _snippet(text, position, len(words[0])),
                field_,
                float(rank),
            )
    return Hit(iri, tuple(kinds.split()), texts[0][:80], "label", float(rank))


def _snippet(text: str, start: int, length: int, around: int = 40) -> str:
    """The line of `text` holding the match, cut to `around` characters each side."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    left = max(line_start, start - around)
    right = min(line_end, start + length + around)
    return (
        ("…" if left > line_start else "")
        + text[left:start]
        + "\x02"
        + text[start : start + length]
        + "\x03"
        + text[start + length : right]
        + ("…" if right < line_end else "")
    )
