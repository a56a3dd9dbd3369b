"""The evidence behind the thresholds of plangraph/diff/matching.py (THRESHOLD, CONTAINMENT).

Negatives: pairs that must not match — distinct elements of one curated edition, and elements of
two different plans (Beijing 2020 × Shanghai 2020, which share much vocabulary). Positives: the
curated tasks edited by a seeded program at growing strength: a share of characters replaced, or
one sentence in three replaced by a sentence of another task. Neither set is the fixtures of
tests/data/diff, which only test the chosen values.

    python bench/diff_threshold.py
"""

from __future__ import annotations

import itertools
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from plangraph.config import default_data  # noqa: E402
from plangraph.diff.matching import CONTAINMENT, MIN_PIECE, THRESHOLD, similarity  # noqa: E402
from plangraph.diff.model import KINDS, normalise, read  # noqa: E402
from plangraph.store import load  # noqa: E402

BASE = "https://w3id.org/plangraph/edition/"
EDITIONS = ("bj-jinke-2020", "sh-fintech-2020")
KINDS_COMPARED = ("Task", "Principle", "Goal", "TaskArea")


def quantiles(values: list[float]) -> str:
    values = sorted(values)
    if not values:
        return "(none)"
    at = [values[min(len(values) - 1, int(q * len(values)))] for q in (0.0, 0.5, 0.9, 0.99)]
    return (
        f"min {at[0]:.3f}  median {at[1]:.3f}  p90 {at[2]:.3f}  p99 {at[3]:.3f}  "
        f"max {values[-1]:.3f}  (n={len(values)})"
    )


def grams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def main() -> int:
    graph = load(default_data())
    editions = {e: read(graph.store, BASE + e) for e in EDITIONS}
    print(f"THRESHOLD = {THRESHOLD}, CONTAINMENT = {CONTAINMENT}, MIN_PIECE = {MIN_PIECE}\n")

    print("Negatives (must stay below THRESHOLD): bigram similarity of")
    negatives: list[float] = []
    for name, edition in editions.items():
        scores = [
            similarity(a.norm, b.norm)
            for kind in KINDS_COMPARED
            for a, b in itertools.combinations(edition.elements[kind], 2)
        ]
        negatives += scores
        print(f"  distinct elements of {name:<16} {quantiles(scores)}")
    a, b = editions.values()
    cross = [
        max((similarity(x.norm, y.norm) for y in b.elements[kind]), default=0.0)
        for kind in KINDS_COMPARED
        for x in a.elements[kind]
    ]
    negatives += cross
    print(f"  best match across the two plans   {quantiles(cross)}")
    over = sum(s >= THRESHOLD for s in negatives)
    print(f"  at or above THRESHOLD: {over} of {len(negatives)}\n")

    rng = random.Random(13)
    tasks = [t for e in editions.values() for t in e.elements["Task"]]
    pool = sorted({ch for t in tasks for ch in t.norm})
    print("Positives (should reach THRESHOLD): a task against an edited copy of itself")
    for share in (0.1, 0.2, 0.3, 0.4, 0.5):
        scores = []
        for t in tasks:
            chars = list(t.norm)
            for k in rng.sample(range(len(chars)), int(len(chars) * share)):
                chars[k] = rng.choice(pool)
            scores.append(similarity(t.norm, "".join(chars)))
        reach = sum(s >= THRESHOLD for s in scores)
        print(f"  {share:.0%} of characters replaced     {quantiles(scores)}  reach: {reach}")
    for every in (3, 2):
        scores = []
        for t in tasks:
            sentences = [s for s in re.split(r"(?<=[。；])", t.full) if s]
            for k in range(0, len(sentences), every):
                other = rng.choice(tasks)
                pieces = [s for s in re.split(r"(?<=[。；])", other.text) if s]
                sentences[k] = rng.choice(pieces) if pieces else sentences[k]
            scores.append(similarity(t.norm, normalise("".join(sentences))))
        reach = sum(s >= THRESHOLD for s in scores)
        print(f"  1 sentence in {every} replaced          {quantiles(scores)}  reach: {reach}")

    print("\nContainment: share of a piece's bigrams inside the whole")
    pieces_in, pieces_out = [], []
    for t in tasks:
        sentences = [s for s in re.split(r"(?<=。)", t.text) if s]
        if len(sentences) >= 2:
            half = normalise("".join(sentences[: len(sentences) // 2]))
            if len(half) >= MIN_PIECE:
                pieces_in.append(len(grams(half) & grams(t.norm)) / len(grams(half)))
    for x, y in itertools.permutations(tasks, 2):
        if len(x.norm) < len(y.norm):
            pieces_out.append(len(grams(x.norm) & grams(y.norm)) / max(1, len(grams(x.norm))))
    print(f"  half of a task in the task        {quantiles(pieces_in)}")
    print(f"  a task in another, longer task    {quantiles(pieces_out)}")
    print(f"  kinds matched: {', '.join(KINDS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
