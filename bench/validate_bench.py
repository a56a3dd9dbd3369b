"""Benchmark: SHACL validation of plan editions (plangraph validate), one run.

It measures, on this machine:
- each shipped edition validated on its own (with the ontology and the shared registries), as
  the library call `validate_files([edition])` and as the command `plangraph validate FILE`
  (which adds Python's start-up and imports);
- the whole shipped graph (`validate_files()`, and `plangraph validate`);
- a synthetic corpus of N editions in the real ontology's shape (bench/synthetic.py), each
  edition validated on its own with the corpus registries, serially in one process and in
  parallel across processes: editions per second.
Validation runs without OWL/RDFS inference, pySHACL over an Oxigraph store. Figures are medians.
It prints one table and saves what it printed to bench/results/validate-<date>.txt.

    .venv/bin/python bench/validate_bench.py                 # about 10 minutes on 2 cores
    .venv/bin/python bench/validate_bench.py --editions 50   # a quick look

Exit status: 0 measured (goals met or not: the table says), 1 a validation found violations
where there must be none, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import datetime as dt
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from bench.synthetic import generate  # noqa: E402
from plangraph.store import parse_file  # noqa: E402
from plangraph.validate import validate_files  # noqa: E402

RESULTS = BENCH / "results"
CORPUS = BENCH / "out" / "validate-corpus"
EDITIONS = sorted(p for p in (REPO / "graph").glob("*.ttl") if "/edition/" in parse_file(p)[1])
GOAL_EDITION = 1.0  # seconds, one edition
GOAL_GRAPH = 3.0  # seconds, the whole shipped graph


def median_time(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def command_time(*args: str, repeat: int) -> float:
    def run() -> None:
        subprocess.run(
            [sys.executable, "-m", "plangraph.cli", "validate", *args],
            cwd=REPO,
            capture_output=True,
            check=False,
        )

    return median_time(run, repeat)


# --- the synthetic corpus, one edition per task ------------------------------------------------

_CONTEXT: list[Path] = []


def _init_worker(context: list[Path]) -> None:
    _CONTEXT[:] = context


def _validate_one(path: Path) -> int:
    """Validate one synthetic edition with the corpus ontology and registries; its violations."""
    return validate_files([path], data=_CONTEXT).count("Violation")


def corpus_rate(files: list[Path], context: list[Path], workers: int) -> tuple[float, int]:
    """Editions per second and violations found, validating every file once."""
    if workers == 1:
        _init_worker(context)
        _validate_one(files[0])  # warm: shapes parsed, context parsed
        started = time.perf_counter()
        violations = sum(_validate_one(path) for path in files)
        return len(files) / (time.perf_counter() - started), violations
    ctx = multiprocessing.get_context("fork")
    with futures.ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_init_worker, initargs=(context,)
    ) as pool:
        list(pool.map(_validate_one, files[:workers]))  # warm every worker
        started = time.perf_counter()
        violations = sum(pool.map(_validate_one, files, chunksize=4))
        return len(files) / (time.perf_counter() - started), violations


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="validate_bench.py",
        description="Time SHACL validation of one edition, the shipped graph and a synthetic "
        "corpus (serial and parallel). Exit status: 0 measured, 1 unexpected violations, "
        "2 bad arguments.",
    )
    parser.add_argument(
        "--editions",
        type=int,
        default=500,
        metavar="N",
        help="synthetic editions to validate (default 500)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        metavar="N",
        help="processes for the parallel run (default: number of cores)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        metavar="N",
        help="runs per median for the shipped graph (default 5)",
    )
    args = parser.parse_args(argv)
    if args.editions < 1 or args.workers < 1 or args.repeat < 1:
        parser.error("--editions, --workers and --repeat must be at least 1")

    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("pyshacl", "pyoxigraph", "rdflib"))
    say(f"plangraph validation benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}")
    say(
        f"{platform.python_implementation()} {platform.python_version()}, {versions}; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start"
    )
    say("pySHACL over an Oxigraph store, no inference; medians")
    say()

    failures = 0
    validate_files()  # warm: shapes and context parsed once per process
    say(f"{'what':58} {'library':>9} {'command':>9} {'goal':>6}")
    for path in EDITIONS:
        report = validate_files([path])
        failures += report.count("Violation")
        lib = median_time(lambda p=path: validate_files([p]), args.repeat)
        cmd = command_time(str(path.relative_to(REPO)), repeat=max(1, args.repeat // 2))
        verdict = "met" if lib < GOAL_EDITION else "MISSED"
        say(
            f"{'one edition: ' + path.name + f' ({report.triples} triples)':58} "
            f"{lib:8.2f}s {cmd:8.2f}s {GOAL_EDITION:5.0f}s {verdict}"
        )
    report = validate_files()
    failures += report.count("Violation")
    lib = median_time(validate_files, args.repeat)
    cmd = command_time(repeat=max(1, args.repeat // 2))
    verdict = "met" if lib < GOAL_GRAPH else "MISSED"
    say(
        f"{'whole shipped graph (' + str(report.triples) + ' triples)':58} "
        f"{lib:8.2f}s {cmd:8.2f}s {GOAL_GRAPH:5.0f}s {verdict}"
    )
    startup = median_time(
        lambda: subprocess.run([sys.executable, "-c", "import plangraph.validate"], check=True),
        3,
    )
    say(f"{'  Python start-up and imports alone (pySHACL, rdflib)':58} {'':9} {startup:8.2f}s")
    say(
        f"shipped graph: {report.count('Violation')} violations, {report.count('Warning')} "
        f"warnings, {report.count('Info')} infos"
    )
    say()

    corpus = generate(args.editions, CORPUS)
    context = [p for p in [corpus.ontology_file, *corpus.registry_files] if p is not None]
    say(
        f"synthetic corpus: {args.editions} editions (bench/synthetic.py), each validated on its "
        f"own with the corpus registries"
    )
    serial, violations = corpus_rate(corpus.edition_files, context, 1)
    failures += violations
    say(f"  {'serial, 1 process':24} {serial:7.2f} editions/s  ({1 / serial:.2f} s per edition)")
    parallel, violations = corpus_rate(corpus.edition_files, context, args.workers)
    failures += violations
    label = f"parallel, {args.workers} processes"
    say(f"  {label:24} {parallel:7.2f} editions/s  ({parallel / serial:.2f}x serial)")
    say(f"  violations in the synthetic corpus: {violations}")
    say(f"load average {os.getloadavg()[0]:.2f} at the end")

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"validate-{dt.date.today():%Y-%m-%d}.txt"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"saved to {out.relative_to(REPO)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
