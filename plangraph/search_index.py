"""Full-text search over labels, alternative labels and texts: an SQLite FTS5 index with the
trigram tokenizer, which finds any run of three or more characters, so Chinese needs no word
segmenter, and English words match inside longer ones (ranked by BM25).

Traditional and Simplified both match: every text and every query is folded the way ingestion
folds texts (`plangraph.ingest.reading.fold`: full-width forms to ASCII, Traditional to
Simplified, one character for one, so offsets into the folded text are offsets into the
original). Queries shorter than three characters cannot use trigrams; they fall back to a
substring scan of the same table, which is correct but not fast at scale.

The rows come from a SPARQL query (the caller's `.rq` file) answering
?resource ?kind ?field ?text, where ?field is "label", "alt" or "body"; the index keeps one row
per resource. Built in memory at load and rebuilt when the data changes (a new generation).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from plangraph.ingest.reading import fold

FIELDS = ("label", "alt", "body")
# BM25 weights per column: a hit in a name counts far more than one in a task's text.
WEIGHTS = (10.0, 4.0, 1.0)
MAX_QUERY_CHARS = 200


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
        solutions = store.query(query, use_default_graph_as_union=True)

        def rows() -> Iterable[tuple[str, str | None, str, str]]:
            for s in solutions:  # type: ignore[union-attr]
                kind = s["kind"]
                yield (
                    s["resource"].value,
                    kind.value if kind is not None else None,
                    s["field"].value,
                    s["text"].value,
                )

        return cls.from_rows(rows())

    def _insert(self, docs: dict[str, _Doc]) -> None:
        def records() -> Iterable[tuple[str, str, str, str, str]]:
            for iri, doc in docs.items():
                texts = ["\n".join(fold(t) for t in doc.texts[f]) for f in FIELDS]
                yield (iri, " ".join(sorted(doc.kinds)), *texts)

        with self._lock, self._db:
            self._db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?)", records())
        self.size = len(docs)

    def search(self, text: str, limit: int = 200) -> list[Hit]:
        """Resources whose label, alternative label or text contains every word of `text`."""
        words = [w for w in re.split(r"\s+", fold(text.strip())[:MAX_QUERY_CHARS]) if w]
        if not words:
            return []
        if all(len(w) >= 3 for w in words):
            match = " AND ".join('"' + w.replace('"', '""') + '"' for w in words)
            sql = (
                "SELECT iri, kinds, label, alt, body, bm25(docs, 0, 0, ?, ?, ?) AS rank "
                "FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?"
            )
            params: Sequence[object] = (*WEIGHTS, match, limit)
        else:  # too short for trigrams: a substring scan, names first
            conditions = " AND ".join(
                "(label LIKE ? ESCAPE '\\' OR alt LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\')"
                for _ in words
            )
            sql = (
                "SELECT iri, kinds, label, alt, body, "
                "CASE WHEN label LIKE ? ESCAPE '\\' THEN 0 WHEN alt LIKE ? ESCAPE '\\' THEN 1 "
                f"ELSE 2 END AS rank FROM docs WHERE {conditions} ORDER BY rank, iri LIMIT ?"
            )
            first = _like(words[0])
            params = (first, first, *[p for w in words for p in (_like(w),) * 3], limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [_hit(row, words) for row in rows]


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
