"""Pairing the elements of two editions, in stages, each pair keeping its method and score.

Stages, for one kind of element at a time: the curator's `pg:revises` links; the same number
and the same normalised text; character-bigram similarity at or above THRESHOLD within
corresponding task areas; the same across areas; then splits and merges, where most of a
smaller element's bigrams occur in a larger one (CONTAINMENT). What is left is added or removed.

Similarity is rapidfuzz's normalised Indel similarity over the sequence of character bigrams
(each bigram mapped to one private-use code point, so rapidfuzz's C++ string code does the
work): word order counts, and a Chinese two-character word counts as one symbol. THRESHOLD and
CONTAINMENT were chosen on evidence printed by bench/diff_threshold.py: see that script and
README "Comparing editions".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from plangraph.diff.model import Element
from plangraph.namespace import PG

THRESHOLD = 0.5
CONTAINMENT = 0.8
# A piece shorter than this (a bare heading, say) is contained in almost any long text by
# chance: Xicheng 2021's goal headings of 13–15 characters are wholly inside Beijing 2020's goals.
MIN_PIECE = 20

CURATOR = str(PG.CuratorLink)
SAME = str(PG.SameNumberAndText)
IN_AREA = str(PG.SimilarTextInArea)
ACROSS = str(PG.SimilarTextAcrossAreas)
CONTAINED = str(PG.ContainedText)
SAME_KEY = str(PG.SameKey)


class Bigrams:
    """Character bigrams as code points of one shared alphabet, so that texts compare as
    strings of bigrams."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def encode(self, text: str) -> str:
        grams = [text[i : i + 2] for i in range(len(text) - 1)] or ([text] if text else [])
        out = []
        for gram in grams:
            code = self.codes.get(gram)
            if code is None:
                code = self.codes[gram] = chr(0xF0000 + len(self.codes))
            out.append(code)
        return "".join(out)


def similarity(a: str, b: str) -> float:
    """Bigram similarity of two normalised texts, 0–1 (what the matcher thresholds)."""
    book = Bigrams()
    return fuzz.ratio(book.encode(a), book.encode(b)) / 100


def containment(part: str, whole: str) -> float:
    """Share of the bigrams of `part` that occur in `whole` (1.0: every one does)."""
    grams = {part[i : i + 2] for i in range(len(part) - 1)}
    if not grams:
        return 0.0
    inside = {whole[i : i + 2] for i in range(len(whole) - 1)}
    return len(grams & inside) / len(grams)


@dataclass
class Match:
    """One correspondence: 1:1, or 1:n (split), or n:1 (merge)."""

    old: list[Element]
    new: list[Element]
    method: str
    score: float


@dataclass
class Matching:
    matches: list[Match] = field(default_factory=list)
    removed: list[Element] = field(default_factory=list)
    added: list[Element] = field(default_factory=list)

    def pairs(self) -> dict[str, str]:
        """Old IRI -> new IRI for the 1:1 matches."""
        return {m.old[0].iri: m.new[0].iri for m in self.matches if len(m.old) == len(m.new) == 1}


def match(
    old: list[Element],
    new: list[Element],
    links: Iterable[tuple[str, str]] = (),
    area_map: dict[str, str] | None = None,
    threshold: float = THRESHOLD,
) -> Matching:
    """Pair the elements of one kind; `area_map` (old area -> new area) enables the area stage."""
    result = Matching()
    free_old = {e.iri: e for e in old}
    free_new = {e.iri: e for e in new}

    # 1. Curator links: grouped, so that one old named by two new ones is a split, and so on.
    by_old: dict[str, list[str]] = defaultdict(list)
    by_new: dict[str, list[str]] = defaultdict(list)
    for n, o in links:
        if n in free_new and o in free_old:
            by_old[o].append(n)
            by_new[n].append(o)
    done: set[str] = set()
    for n, olds in by_new.items():
        if n in done:
            continue
        group_old = sorted(set(olds) | {o2 for o in olds for n2 in by_old[o] for o2 in by_new[n2]})
        group_new = sorted({n2 for o in group_old for n2 in by_old[o]})
        done.update(group_new)
        result.matches.append(
            Match(
                [free_old.pop(o) for o in group_old],
                [free_new.pop(x) for x in group_new],
                CURATOR,
                1.0,
            )
        )

    # 2. Same number and same normalised text.
    index = {(e.number, e.norm): e for e in free_old.values()}
    for e in list(free_new.values()):
        twin = index.get((e.number, e.norm))
        if twin is not None and twin.iri in free_old:
            result.matches.append(Match([free_old.pop(twin.iri)], [free_new.pop(e.iri)], SAME, 1.0))

    # 3. and 4. Similarity, within corresponding areas first, then anywhere.
    book = Bigrams()
    codes = {e.iri: book.encode(e.norm) for e in [*free_old.values(), *free_new.values()]}
    if area_map is not None:
        groups: dict[str, tuple[list[Element], list[Element]]] = defaultdict(lambda: ([], []))
        for e in free_old.values():
            if e.area in area_map:
                groups[area_map[e.area]][0].append(e)
        for e in free_new.values():
            if e.area in groups:
                groups[e.area][1].append(e)
        for olds, news in groups.values():
            _similar(olds, news, codes, threshold, IN_AREA, free_old, free_new, result)
    _similar(
        list(free_old.values()),
        list(free_new.values()),
        codes,
        threshold,
        ACROSS if area_map is not None else IN_AREA,
        free_old,
        free_new,
        result,
    )

    # 5. Splits and merges: a leftover that is mostly contained in an element of the other side.
    _contained(free_old, free_new, old, new, result)
    result.removed = sorted(free_old.values(), key=_order)
    result.added = sorted(free_new.values(), key=_order)
    result.matches.sort(key=lambda m: _order((m.new or m.old)[0]))
    return result


def _order(e: Element) -> tuple[int, str]:
    return (e.number if e.number is not None else 10**9, e.iri)


def _similar(
    olds: list[Element],
    news: list[Element],
    codes: dict[str, str],
    threshold: float,
    method: str,
    free_old: dict[str, Element],
    free_new: dict[str, Element],
    result: Matching,
) -> None:
    """Greedy best-first pairing of every candidate pair at or above the threshold."""
    olds = [e for e in olds if e.iri in free_old]
    news = [e for e in news if e.iri in free_new]
    if not olds or not news:
        return
    choices = [codes[e.iri] for e in olds]
    candidates: list[tuple[float, int, Element, Element]] = []
    for n in news:
        for _, score, k in process.extract(
            codes[n.iri],
            choices,
            scorer=fuzz.ratio,
            score_cutoff=threshold * 100,
            limit=8,
        ):
            o = olds[k]
            distance = abs((o.number or 0) - (n.number or 0))
            candidates.append((score / 100, -distance, o, n))
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    for score, _, o, n in candidates:
        if o.iri in free_old and n.iri in free_new:
            del free_old[o.iri], free_new[n.iri]
            result.matches.append(Match([o], [n], method, round(score, 4)))


def _contained(
    free_old: dict[str, Element],
    free_new: dict[str, Element],
    old: list[Element],
    new: list[Element],
    result: Matching,
) -> None:
    """Leftover pieces whose bigrams lie mostly inside one element of the other side."""
    partner_of_old = {m.old[0].iri: m for m in result.matches if len(m.old) == 1}
    partner_of_new = {m.new[0].iri: m for m in result.matches if len(m.new) == 1}

    def best(piece: Element, wholes: list[Element]) -> tuple[float, Element | None]:
        if len(piece.norm) < MIN_PIECE or not piece.grams:
            return (0.0, None)
        size = len(piece.grams)
        scored = [
            (len(piece.grams & w.grams) / size, w) for w in wholes if len(w.norm) > len(piece.norm)
        ]
        return max(scored, key=lambda s: s[0], default=(0.0, None))

    pieces_of: dict[str, list[tuple[Element, float]]] = defaultdict(list)
    for n in list(free_new.values()):
        score, whole = best(n, old)
        if whole is not None and score >= CONTAINMENT:
            pieces_of[whole.iri].append((n, score))
    for whole_iri, pieces in pieces_of.items():
        whole = next(e for e in old if e.iri == whole_iri)
        existing = partner_of_old.get(whole_iri)
        one_to_one = existing is not None and len(existing.old) == len(existing.new) == 1
        if not one_to_one and whole_iri not in free_old:
            continue
        if one_to_one:
            result.matches.remove(existing)
            group = [*existing.new, *(p for p, _ in pieces)]
        else:
            group = [p for p, _ in pieces]
        free_old.pop(whole_iri, None)
        for p, _ in pieces:
            free_new.pop(p.iri, None)
        score = min(s for _, s in pieces)
        result.matches.append(Match([whole], sorted(group, key=_order), CONTAINED, round(score, 4)))

    parts_of: dict[str, list[tuple[Element, float]]] = defaultdict(list)
    for o in list(free_old.values()):
        score, whole = best(o, new)
        if whole is not None and score >= CONTAINMENT:
            parts_of[whole.iri].append((o, score))
    for whole_iri, parts in parts_of.items():
        whole = next(e for e in new if e.iri == whole_iri)
        existing = partner_of_new.get(whole_iri)
        one_to_one = (
            existing is not None
            and existing in result.matches
            and len(existing.old) == len(existing.new) == 1
        )
        if not one_to_one and whole_iri not in free_new:
            continue
        if one_to_one:
            result.matches.remove(existing)
            group = [*existing.old, *(p for p, _ in parts)]
        else:
            group = [p for p, _ in parts]
        free_new.pop(whole_iri, None)
        for p, _ in parts:
            free_old.pop(p.iri, None)
        score = min(s for _, s in parts)
        result.matches.append(Match(sorted(group, key=_order), [whole], CONTAINED, round(score, 4)))
