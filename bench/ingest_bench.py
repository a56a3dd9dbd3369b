"""Ingestion figures: precision and recall against the curated editions, and time on 1 MB.

Prints what the README quotes; exits 1 if a figure misses the issue's goal (see
plangraph.ingest.compare.GOALS, shared with tests/test_ingest.py) or 1 MB takes 2 s or more.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from plangraph.config import BASE_IRI
from plangraph.ingest import compare, gazetteer, ingest

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCES = REPO_ROOT / "graph" / "sources"
EDITIONS = {
    "bj-jinke-2020": (SOURCES / "bj-jinke-2020.txt", "xicheng-government,haidian-government"),
    "sh-fintech-2020": (SOURCES / "sh-fintech-2020.txt", None),
}
MEGABYTE = 1_000_000
LIMIT_SECONDS = 2.0


def main() -> int:
    failed = False
    started = time.perf_counter()
    gaz = gazetteer.default()
    print(f"gazetteers read from ontology/ and graph/ in {time.perf_counter() - started:.2f} s")
    for edition, (path, issuer) in EDITIONS.items():
        draft = ingest(path, edition, issuer=issuer, gazetteer=gaz)
        scores = compare.compare(
            draft.turtle,
            REPO_ROOT / "graph" / f"{edition}.ttl",
            gaz,
            f"{BASE_IRI}edition/{edition}",
        )
        print(f"\n{edition} ({path.name}) against graph/{edition}.ttl")
        for score in scores.values():
            print(f"  {score}")
        for line in compare.below_goal(scores):
            print(f"  BELOW GOAL: {line}")
            failed = True

    text = EDITIONS["bj-jinke-2020"][0].read_bytes()
    big = text * (MEGABYTE // len(text) + 1)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        draft = ingest(big, "bench-1mb", gazetteer=gaz, name="1 MB")
        timings.append(time.perf_counter() - started)
    best = min(timings)
    print(
        f"\n1 MB plan text ({len(big):,} bytes, the Beijing text repeated "
        f"{len(big) // len(text)} times: {draft.counts['task']} tasks, "
        f"{len(draft.turtle.encode()):,} bytes of Turtle): best of 3 {best:.2f} s, "
        f"worst {max(timings):.2f} s (goal < {LIMIT_SECONDS:.0f} s)"
    )
    if best >= LIMIT_SECONDS:
        print("  BELOW GOAL: 1 MB takes 2 s or more")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
