"""How the named and page queries grow from 1M to 10M triples in-process, and whether a rewrite
kept their answers.

bench/scale_bench.py measures every engine through HTTP and takes an hour; tuning one query needs
a quicker loop. This script writes (or reuses) the same synthetic corpora (bench/out/scale/<scale>,
N-Quads with the shortcuts), loads each into a pyoxigraph store in memory in ONE process (10M: about
3.5 GiB resident and 45-60 s to load here), asks every query as scale_bench does
(named queries unbound, page queries bound with a VALUES block to the IRIs of the middle edition,
the default graph as the union of the graphs, results serialised as SPARQL JSON or N-Triples like
the server), and prints per query the median at each scale and the growth.

With `--baseline REF` it also times the text of each query as it was at git revision REF and
compares the two answers at every scale where both finish (rows sorted, every value as an
N-Triples term): a rewrite must give the same rows. The exit status is 1 when one differs.

    .venv/bin/python bench/growth_bench.py                              # all queries, 1M and 10M
    .venv/bin/python bench/growth_bench.py --queries compare-themes,page/kind-index
    .venv/bin/python bench/growth_bench.py --baseline main --scales 1M  # answers unchanged?

No time limit can stop a pyoxigraph query in-process, so a query slower than --skip-after-ms at
the smaller scale is not asked at the larger one (as scale_bench does). What it printed is saved
to bench/results/growth-<date>.txt unless --no-save.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from bench.scale_bench import (  # noqa: E402
    BASE,
    Query,
    bind,
    load_queries,
    page_bindings,
    prepare,
)
from plangraph.store import load as load_files  # noqa: E402

RESULTS = BENCH / "results"
GOAL = 12.0  # the bound on the growth of a heavy query from 1M to 10M
HEAVY_MS = 5.0  # a heavy query takes at least this long at 1M (as scale_bench counts them)


@dataclass
class Timing:
    rows: int | str = 0  # rows of the answer, or why there is none
    times_ms: list[float] = field(default_factory=list)
    answer: list[tuple[str, ...]] | None = None  # sorted rows, when compared

    @property
    def median(self) -> float | None:
        return statistics.median(self.times_ms) if self.times_ms else None


def load_store(nquads: Path) -> tuple[ox.Store, float]:
    store = ox.Store()
    started = time.perf_counter()
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    return store, time.perf_counter() - started


def execute(store: ox.Store, query: Query) -> bytes:
    """The query answered and serialised as the server answers it (all rows, no cap)."""
    result = store.query(query.text, use_default_graph_as_union=True)
    out = io.BytesIO()
    if query.kind == "graph":
        ox.serialize(result, out, ox.RdfFormat.N_TRIPLES)
    elif isinstance(result, bool):
        out.write(b"true" if result else b"false")
    else:
        result.serialize(out, ox.QueryResultsFormat.JSON)
    return out.getvalue()


def answer(store: ox.Store, query: Query) -> list[tuple[str, ...]]:
    """Every row as N-Triples terms (unbound as ""), sorted: what two texts must agree on."""
    result = store.query(query.text, use_default_graph_as_union=True)
    if isinstance(result, bool):
        return [(str(result),)]
    if query.kind == "graph":
        return sorted((str(t.subject), str(t.predicate), str(t.object)) for t in result)
    names = [v.value for v in result.variables]
    rows = [tuple("" if row[n] is None else str(row[n]) for n in names) for row in result]
    return sorted(rows)


def measure(
    store: ox.Store, query: Query, repeats: int, keep_answer: bool, timeout_s: float
) -> Timing:
    """`timed` in a forked child (it shares the loaded store copy-on-write), killed after
    `timeout_s`: a pyoxigraph query cannot be stopped from Python."""
    parent, child = multiprocessing.get_context("fork").Pipe(duplex=False)
    worker = multiprocessing.get_context("fork").Process(
        target=lambda: child.send(timed(store, query, repeats, keep_answer, timeout_s)), daemon=True
    )
    worker.start()
    child.close()
    try:
        if parent.poll(timeout_s):
            return parent.recv()
        return Timing(f"over {timeout_s:.0f} s")
    except EOFError:
        return Timing("failed (child died)")
    finally:
        worker.kill()
        worker.join()
        parent.close()


def timed(
    store: ox.Store, query: Query, repeats: int, keep_answer: bool, budget_s: float
) -> Timing:
    """One run to warm up and count rows, then `repeats` timed runs, fewer when slow: as many
    as fit in `budget_s`; none when the first run took half of it (then it is the figure)."""
    gc.collect()
    timing = Timing()
    started = time.perf_counter()
    try:
        rows = answer(store, query)
    except (SyntaxError, ValueError, OSError) as err:
        return Timing(f"error: {str(err).splitlines()[0][:60]}")
    first = (time.perf_counter() - started) * 1000
    timing.rows = len(rows)
    if keep_answer:
        timing.answer = rows
    del rows
    spent = first
    for _ in range(repeats):
        if spent + 1.2 * first > 900 * budget_s:
            break
        started = time.perf_counter()
        execute(store, query)
        timing.times_ms.append((time.perf_counter() - started) * 1000)
        spent += timing.times_ms[-1]
    if not timing.times_ms:
        timing.times_ms.append(first)
    return timing


def source_path(name: str) -> str:
    """The file of a named (`named/x`) or page (`page/x`) query, relative to the repository."""
    kind, stem = name.split("/", 1)
    return f"queries/{stem}.rq" if kind == "named" else f"api/page_queries/{stem}.rq"


def old_text(ref: str, name: str) -> str | None:
    """The text of a query at git revision `ref`, or None where it did not exist."""
    done = subprocess.run(
        ["git", "show", f"{ref}:{source_path(name)}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout if done.returncode == 0 else None


def changed(ref: str, queries: list[Query], values: dict[str, str]) -> dict[str, Query]:
    """The queries whose text differs at `ref`, as they were there (page queries bound)."""
    found = {}
    for query in queries:
        text = old_text(ref, query.name)
        if text is None or text == (REPO / source_path(query.name)).read_text(encoding="utf-8"):
            continue
        if query.name.startswith("page/"):
            text = bind(text, values)
        found[query.name] = Query(query.name, text, query.kind)
    return found


def compare_shipped(ref: str, wanted: list[str], say: Callable[[str], None]) -> list[str]:
    """Old and new answers over the shipped ontology and graph (real data, where the synthetic
    corpus has no rows for some queries, such as places): the names whose answers differ."""
    shipped = load_files([REPO / "ontology", REPO / "graph"]).store
    edition = BASE + "edition/sh-fintech-2020"
    queries = selected(load_queries(edition)[1:], wanted)
    differ = []
    for query in queries:
        old = changed(ref, [query], page_bindings(edition)).get(query.name)
        if old is None:
            continue
        new_rows, old_rows = answer(shipped, query), answer(shipped, old)
        same = new_rows == old_rows
        say(f"    shipped graph {query.name}: {len(new_rows)} rows, {'same' if same else 'DIFFER'}")
        if not same:
            differ.append(f"{query.name} on the shipped graph")
    return differ


def selected(queries: list[Query], wanted: list[str]) -> list[Query]:
    if not wanted:
        return queries
    return [q for q in queries if any(w == q.name or w == q.name.split("/", 1)[1] for w in wanted)]


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _cell(t: Timing | None) -> str:
    if t is None:
        return "—"
    if isinstance(t.rows, str):
        return t.rows[:24]
    return f"{_ms(t.median)} ({t.rows:,})"


def _growth(small: Timing | None, large: Timing | None) -> str:
    if small is None or large is None or not small.median or large.median is None:
        return "—"
    x = large.median / small.median
    mark = " !" if x > GOAL and small.median >= HEAVY_MS else ""
    return f"{x:.1f}x{mark}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scales",
        nargs="*",
        default=["1M", "10M"],
        choices=["1M", "10M"],
        help="none: only compare answers on the shipped graph (with --baseline)",
    )
    parser.add_argument(
        "--queries", default="", help="comma-separated names (compare-themes or page/kind-index)"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline", metavar="REF", help="also time and compare the texts at REF")
    parser.add_argument("--skip-after-ms", type=float, default=10_000)
    parser.add_argument("--timeout", type=float, default=120, help="seconds per query and scale")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    wanted = [w.strip() for w in args.queries.split(",") if w.strip()]

    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    load = os.getloadavg()[0]
    say(
        f"growth_bench {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, pyoxigraph "
        f"{ox.__version__}, load average {load:.1f} at start"
    )
    say(f"in-process pyoxigraph, in memory; median of {args.repeats} runs (fewer when slow)")
    # (query name, "new" | "old", scale) -> timing
    found: dict[tuple[str, str, str], Timing] = {}
    stores = []  # kept alive: both scales in one process, loaded once
    names: list[str] = []
    differ: list[str] = []
    if args.baseline:
        differ += compare_shipped(args.baseline, wanted, say)
    for i, scale in enumerate(args.scales):
        _, nquads, editions = prepare(scale, say, reuse=True)
        loaded, seconds = load_store(nquads)
        stores.append(loaded)
        say(f"  {scale}: loaded in {seconds:.1f} s")
        queries = selected(load_queries(editions[len(editions) // 2])[1:], wanted)
        names = [q.name for q in queries]
        values = page_bindings(editions[len(editions) // 2])
        olds = changed(args.baseline, queries, values) if args.baseline else {}
        for query in queries:
            versions = [("new", query)]
            if query.name in olds:
                versions.append(("old", olds[query.name]))
            for version, q in versions:
                before = found.get((q.name, version, args.scales[i - 1])) if i else None
                if before is not None and (
                    isinstance(before.rows, str) or (before.median or 0) > args.skip_after_ms
                ):
                    found[(q.name, version, scale)] = Timing("skipped (slow before)")
                    continue
                t = measure(loaded, q, args.repeats, len(versions) > 1, args.timeout)
                found[(q.name, version, scale)] = t
                say(f"    {scale} {version} {q.name}: {_cell(t)}")
            if len(versions) > 1:
                new, old = found[(query.name, "new", scale)], found[(query.name, "old", scale)]
                if new.answer is not None and old.answer is not None:
                    same = new.answer == old.answer
                    say(f"    {scale} {query.name}: answers {'same' if same else 'DIFFER'}")
                    if not same:
                        differ.append(f"{query.name} at {scale}")
                new.answer = old.answer = None
                gc.collect()

    if not args.scales:
        if differ:
            say("answers differ from " + str(args.baseline) + ": " + ", ".join(differ))
        return 1 if differ else 0
    say("")
    small, large = args.scales[0], args.scales[-1]
    one = small == large  # one scale: its medians, and the old text's beside them
    head = f"{'query':34} {small + ' ms (rows)':>20}"
    head += "" if one else f" {large + ' ms (rows)':>22} {'growth':>8}"
    if args.baseline:
        head += f"   | before: {small:>12}" + ("" if one else f" {large:>16} {'growth':>8}")
    say(head)
    for name in names:
        new_s, new_l = found.get((name, "new", small)), found.get((name, "new", large))
        row = f"{name:34} {_cell(new_s):>20}"
        row += "" if one else f" {_cell(new_l):>22} {_growth(new_s, new_l):>8}"
        old_s, old_l = found.get((name, "old", small)), found.get((name, "old", large))
        if old_s is not None:
            row += f"   |         {_cell(old_s):>12}"
            row += "" if one else f" {_cell(old_l):>16} {_growth(old_s, old_l):>8}"
        say(row)
    say(f"(! = a heavy query, >= {HEAVY_MS:.0f} ms at {small}, growing more than {GOAL:.0f}x)")
    if differ:
        say("answers differ from " + str(args.baseline) + ": " + ", ".join(differ))
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"growth-{dt.date.today():%Y-%m-%d}.txt"
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"saved to {out.relative_to(REPO)}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
