"""Search benchmark: the FTS5 trigram index (plangraph/search_index.py) over the synthetic corpus
at a given scale — how long the index takes to build at load, and how long a search takes.

    python bench/search_bench.py --editions 3680      # about 10 million triples

It writes the corpus (bench/synthetic.py) to bench/out/search/, loads it into an in-memory
pyoxigraph store (as `plangraph serve` does without --store), builds the index with the query
the server uses (api/page_queries/search-documents.rq), then runs each query REPEATS times
and prints the median and the 95th percentile. Timings are of `SearchIndex.search`,
in-process, without HTTP (the HTTP page adds its rendering). A benchmark, not a test:
nothing here asserts a time. Results are saved under bench/results/search-<editions>.txt.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.synthetic import generate  # noqa: E402
from plangraph import store  # noqa: E402
from plangraph.search_index import SearchIndex  # noqa: E402

OUT = REPO / "bench" / "out"
RESULTS = REPO / "bench" / "results"
QUERY = REPO / "api" / "page_queries" / "search-documents.rq"
REPEATS = 30
LIMIT = 50  # what /search shows on one page
# What a reader types: Chinese names and words (Simplified and Traditional), English words,
# two words at once, and a two-character word (too short for trigrams: a full scan).
QUERIES = [
    ("zh 3+ chars, name", "人民银行"),
    ("zh Traditional", "人民銀行"),
    ("zh 3+ chars, task text", "区块链"),
    ("zh rare phrase", "数字人民币"),
    ("en word", "blockchain"),
    ("en two words", "fintech centre"),
    ("zh two words", "区块链 监管沙箱"),
    ("zh 2 chars (scan)", "金融"),
    ("no match", "量子纠缠观测站"),
]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--editions", type=int, default=3680, metavar="N")
    parser.add_argument("--reuse", action="store_true", help="keep an existing corpus")
    args = parser.parse_args(argv)
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    corpus_dir = OUT / "search"
    started = time.perf_counter()
    if not (args.reuse and corpus_dir.is_dir()):
        corpus = generate(args.editions, corpus_dir)
        files = corpus.files
    else:
        files = sorted(corpus_dir.rglob("*.ttl"))
    say(
        f"corpus: {args.editions} synthetic editions, "
        f"written in {time.perf_counter() - started:.0f} s"
    )
    started = time.perf_counter()
    graph = store.load(files)  # in memory, as `plangraph serve` loads without --store
    say(
        f"{len(graph):,} quads loaded into an in-memory pyoxigraph store "
        f"in {time.perf_counter() - started:.0f} s"
    )
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    index = SearchIndex.from_store(graph.store, QUERY.read_text(encoding="utf-8"))
    build = time.perf_counter() - started
    say(
        f"index: {index.size:,} resources, built in {build:.1f} s "
        f"(peak RSS {before:.0f} MB before, {rss_mb():.0f} MB after)"
    )
    say("")
    say(f"{'query':<26} {'text':<16} {'hits':>6} {'median ms':>10} {'p95 ms':>8}")
    for name, text in QUERIES:
        times = []
        hits = 0
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            hits = len(index.search(text, limit=LIMIT))
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        say(f"{name:<26} {text:<16} {hits:>6} {statistics.median(times):>10.2f} {p95:>8.2f}")
    say("")
    say(f"({REPEATS} runs each, in-process; at most {LIMIT} hits per search, as /search shows)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"search-{args.editions}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
