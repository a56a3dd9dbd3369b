"""The `plangraph` command: a thin shell over the library, one subcommand per job.

Exit status: 0 success; 1 the answer is "no" (validation found violations); 2 bad arguments or
input that cannot be read. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import signal
import sys
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from plangraph import __version__
from plangraph.config import Config
from plangraph.errors import PlanGraphError, quote


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="plangraph",
        description="A knowledge graph of development plans: serve, query, validate, ingest, "
        "export. Exit status: 0 ok, 1 validation found violations, 2 bad arguments or input.",
    )
    parser.add_argument("--version", action="version", version=f"plangraph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = sub.add_parser("serve", help="serve the SPARQL endpoint and linked-data pages")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 5000)")
    _data_argument(serve)
    serve.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help="keep an on-disk store in DIR, reopened at once if sources are unchanged",
    )
    serve.add_argument(
        "--query-timeout",
        type=float,
        metavar="SECONDS",
        help="stop any query after this many seconds (default 10)",
    )
    serve.add_argument(
        "--max-rows",
        type=int,
        metavar="N",
        help="cut results after N rows, and say so (default 100000)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="query worker processes (default: number of cores, at least 2)",
    )
    serve.add_argument("--threads", type=int, metavar="N", help="HTTP threads (default 64)")
    serve.add_argument(
        "--write-token",
        metavar="TOKEN",
        help="accept SPARQL Update carrying 'Authorization: Bearer TOKEN'",
    )
    _limit_arguments(serve)
    serve.add_argument(
        "--public-base",
        metavar="IRI",
        help="answer the data's IRIs under this base, not https://w3id.org/plangraph/",
    )
    _remote_arguments(serve)
    logging = serve.add_mutually_exclusive_group()
    logging.add_argument(
        "--access-log",
        metavar="FILE",
        help="append one JSON line per request to FILE (default: standard error)",
    )
    logging.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_const",
        const="",
        help="write no access log",
    )
    serve.set_defaults(func=_serve)

    query = sub.add_parser("query", help="run a SPARQL query, a .rq file or a named query")
    query.add_argument("query", help="query text, a .rq file, or the name of a queries/*.rq")
    query.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="bind a named query's parameter (repeatable)",
    )
    query.add_argument(
        "--format",
        "-f",
        default="table",
        choices=["table", "csv", "tsv", "json", "xml", "turtle", "ntriples", "jsonld", "rdfxml"],
        help="output format (default: table; graph results print as Turtle)",
    )
    _data_argument(query)
    _remote_arguments(query)
    query.set_defaults(func=_query)

    stats = sub.add_parser("stats", help="triples per named graph and instances per class")
    _data_argument(stats)
    stats.add_argument("--format", "-f", choices=["text", "json"], default="text")
    _remote_arguments(stats)
    stats.set_defaults(func=_stats)

    validate = sub.add_parser(
        "validate",
        help="validate plan editions against the SHACL shapes",
        description="Validate the shipped graph, or the given files together with the ontology "
        "and the shared registries. Exit status: 0 no violation, 1 violations (or warnings with "
        "--strict), 2 input cannot be read.",
    )
    validate.add_argument("files", nargs="*", type=Path, metavar="FILE")
    validate.add_argument("--format", "-f", choices=["text", "json", "turtle"], default="text")
    validate.add_argument("--lang", choices=["zh", "en"], default="zh")
    validate.add_argument("--strict", action="store_true", help="warnings fail too")
    validate.add_argument(
        "--inference",
        choices=["none", "rdfs", "owlrl", "both"],
        default="none",
        help="entailment to run before validating (default none: the data as written)",
    )
    _remote_arguments(validate)
    validate.set_defaults(func=_validate)

    ingest = sub.add_parser(
        "ingest",
        help="draft a plan edition from its text",
        description="Read a plan's text (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GBK/GB18030) and "
        "write a draft edition in Turtle, and with --report the list of what a curator must "
        "review. Exit status: 0 draft written; 2 input unreadable or in an unsupported encoding, "
        "no plan structure, an edition id already in the graph, or a bad argument (no file is "
        "left behind).",
    )
    ingest.add_argument("file", type=Path, metavar="FILE")
    ingest.add_argument(
        "--edition-id",
        required=True,
        metavar="ID",
        help="slug of the new edition, e.g. bj-jinke-2023",
    )
    ingest.add_argument("--title", help="official title, when the text does not start with it")
    ingest.add_argument(
        "--issuer",
        help="issuing institution(s), comma-separated: registry slugs or IRIs, or Chinese names "
        "(a body the registry lacks is minted and listed for review)",
    )
    ingest.add_argument("--date", help="issue date, YYYY-MM-DD")
    ingest.add_argument("-o", "--output", type=Path, help="write the draft here (default: stdout)")
    ingest.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="also write the review list (minted bodies and places, relative names, unparsed "
        "paragraphs, low-confidence items, with their spans) to FILE: .md or .json",
    )
    ingest.set_defaults(func=_ingest)

    diff = sub.add_parser(
        "diff",
        help="what changed between two plan editions",
        description="Compare edition A (older) with edition B (newer), element by element: "
        "each may be an edition IRI, a slug (bj-jinke-2020) or a Turtle file holding one edition. "
        "Exit status: 0 compared, 2 an edition unknown or unreadable.",
    )
    diff.add_argument("old", metavar="EDITION_A")
    diff.add_argument("new", metavar="EDITION_B")
    diff.add_argument(
        "--format",
        "-f",
        choices=["markdown", "json", "turtle", "trig", "html"],
        default="markdown",
        help="trig: the diff graph as a named graph, to load with `serve --data`",
    )
    diff.add_argument(
        "--lang", choices=["zh", "en"], default="zh", help="language of --format html"
    )
    _data_argument(diff)
    diff.set_defaults(func=_diff)

    export = sub.add_parser("export", help="write the whole dataset in a standard format")
    export.add_argument(
        "--format",
        "-f",
        required=True,
        choices=["trig", "nquads", "turtle", "jsonld", "rdfxml", "ntriples"],
    )
    export.add_argument("-o", "--output", type=Path, help="output file (default: stdout)")
    export.add_argument(
        "--skolemise",
        action="store_true",
        help="nquads only: blank nodes as stable IRIs, with the manifest `plangraph load` "
        "writes; the file to build an engine's index from (QLever), for --sparql-endpoint",
    )
    _data_argument(export)
    _remote_arguments(export)
    export.set_defaults(func=_export)

    load = sub.add_parser(
        "load",
        help="put the dataset into a remote SPARQL engine",
        description="Load each named graph of the dataset (blank nodes skolemised into stable "
        "IRIs) into a SPARQL 1.1 engine: by the Graph Store Protocol with --graph-store, else by "
        "INSERT DATA in batches of 1,000 triples. Graphs whose content is unchanged since the "
        "last load are skipped. Exit status: 0 loaded, 2 input or engine error.",
    )
    load.add_argument(
        "--to", required=True, metavar="URL", help="the engine's SPARQL query endpoint"
    )
    load.add_argument(
        "--update-endpoint", metavar="URL", help="its SPARQL Update endpoint (default: --to)"
    )
    load.add_argument("--graph-store", metavar="URL", help="its Graph Store Protocol endpoint")
    _data_argument(load)
    load.set_defaults(func=_load)
    return parser


# Limits of the query engine (docs/SECURITY.md): flag, Config field, type, help.
LIMIT_FLAGS = [
    ("--max-query-bytes", "max_query_bytes", int, "refuse longer queries/updates (413)"),
    ("--max-depth", "max_depth", int, "refuse deeper bracket nesting in queries and bodies (400)"),
    ("--max-answer-bytes", "max_answer_bytes", int, "cut answers at this size, and say so"),
    ("--worker-memory", "worker_memory_mb", int, "MiB a worker may add; 0: no limit (503)"),
    ("--worker-recycle", "worker_recycle_mb", int, "replace a worker holding more MiB; 0: never"),
    ("--queue-timeout", "queue_timeout", float, "wait for a free worker this long (503)"),
    ("--fast-lane", "fast_lane", float, "seconds every query first gets in the fast lane; 0: none"),
    ("--fast-workers", "fast_workers", int, "workers of the fast lane (default 1)"),
    ("--validate-timeout", "validate_timeout", float, "stop /validate after this long (503)"),
    ("--validate-max-bytes", "validate_max_bytes", int, "refuse larger /validate bodies (413)"),
    ("--update-timeout", "update_timeout", float, "stop an update after this long (503)"),
]


def _limit_arguments(parser: argparse.ArgumentParser) -> None:
    for flag, dest, kind, text in LIMIT_FLAGS:
        parser.add_argument(flag, dest=dest, type=kind, metavar="N", help=text)


def _remote_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "remote engine", "read the data from a SPARQL 1.1 engine loaded with `plangraph load`"
    )
    group.add_argument("--sparql-endpoint", metavar="URL", help="its query endpoint")
    group.add_argument("--update-endpoint", metavar="URL", help="its update endpoint")
    group.add_argument("--graph-store", metavar="URL", help="its Graph Store Protocol endpoint")


def _open(config: Config, store_dir: Path | None = None) -> object:
    """The dataset: from the remote engine when one is named, else loaded in-process."""
    if config.sparql_endpoint:
        from plangraph import remote

        return remote.open_graph(config)
    from plangraph import store

    return store.load(config.data, store_dir)


def _data_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="RDF files or folders instead of the shipped ontology and graph",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PlanGraphError as err:
        print(f"plangraph: {err.one_line()}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _config(args: argparse.Namespace, **extra: object) -> Config:
    remote = {
        name: getattr(args, name, None)
        for name in ("sparql_endpoint", "update_endpoint", "graph_store")
    }
    return Config.from_env(data=getattr(args, "data", None), **remote, **extra)


def _serve(args: argparse.Namespace) -> int:
    import pyoxigraph as ox

    from plangraph import named_queries, store
    from plangraph import validate as _validate  # noqa: F401  imported once, shared by the workers
    from plangraph.api.state import AppState
    from plangraph.engine import QueryEngine, WorkerSettings
    from plangraph.sandbox import describe

    config = _config(
        args,
        host=args.host,
        port=args.port,
        store_dir=args.store,
        query_timeout=args.query_timeout,
        max_rows=args.max_rows,
        workers=args.workers,
        threads=args.threads,
        write_token=args.write_token,
        public_base=args.public_base,
        access_log=args.access_log,
        **{dest: getattr(args, dest) for _, dest, _, _ in LIMIT_FLAGS},
    )
    started = time.perf_counter()
    graph = _open(config, config.store_dir)
    load_seconds = time.perf_counter() - started
    if config.sparql_endpoint:
        app_state = AppState(config, graph, None, named_queries.load_all())
        return _serve_app(
            app_state,
            started,
            f"{len(graph.store.graphs)} graphs at {config.sparql_endpoint}",
            "queries run by the remote engine",
        )
    # Counted before the workers' zygote is forked: counting reads every quad, and reading
    # pyoxigraph's in-memory store writes to what it reads, so counted after the fork this
    # process makes its own copy of the store (most of the 3.7 GiB it came to hold at 10
    # million triples, docs/DEPLOYING.md).
    triples = len(graph)
    if graph.path is not None:
        open_store = functools.partial(store.open_read_only, graph.path)
    else:

        def open_store() -> ox.Store:
            return graph.store  # shared with the forked workers, copy-on-write

    engine = QueryEngine(
        open_store,
        workers=config.workers,
        timeout=config.query_timeout,
        fresh_zygote=graph.path is not None,
        queue_timeout=config.queue_timeout,
        settings=WorkerSettings(
            config.worker_memory_mb,
            config.sandbox,
            nice=10 if config.fast_lane > 0 else 0,
            recycle_mb=config.worker_recycle_mb,
            warm=config.warm_workers,
        ),
    ).start()
    fast = None
    if config.fast_lane > 0:
        fast = QueryEngine(
            open_store,
            workers=config.fast_workers,
            timeout=config.fast_lane,
            fresh_zygote=graph.path is not None,
            queue_timeout=min(config.queue_timeout, 5 * config.fast_lane),
            settings=WorkerSettings(
                config.worker_memory_mb, config.sandbox, recycle_mb=config.worker_recycle_mb
            ),
        ).start()
    app_state = AppState(config, graph, engine, named_queries.load_all(), fast=fast)
    how = f"reopened {graph.path} (sources unchanged)" if graph.reopened else "loaded"
    return _serve_app(
        app_state,
        started,
        f"{triples} triples from {len(graph.files)} files, {how} in {load_seconds:.2f} s",
        f"{describe(engine.sandbox)}",
    )


def _serve_app(app_state: object, started: float, loaded: str, isolation: str) -> int:
    """Listen and serve until SIGTERM; the store is in-process or a remote engine."""
    from waitress.server import create_server

    from plangraph.api import create_app

    config = app_state.config  # type: ignore[attr-defined]
    app = create_app(app_state)
    try:  # bound before "serving" is printed: a port in use is one line and exit 2
        server = create_server(
            app,
            host=config.host,
            port=config.port,
            threads=config.threads,
            # lets a request see that its client has gone (its worker is then killed)
            channel_request_lookahead=1,
            # poll(2), not select(2): no limit of 1024 descriptors, and cheaper per loop turn
            asyncore_use_poll=True,
            ident="plangraph",
        )
    except OSError as err:
        app_state.close()
        raise PlanGraphError(
            f"cannot listen on {config.host}:{config.port}: {err.strerror or err} / "
            "无法监听该地址和端口"
        ) from None
    print(
        f"plangraph: {loaded}, ready in {time.perf_counter() - started:.2f} s; "
        f"serving http://{config.host}:{config.port}/ "
        f"(SPARQL at /sparql; query limit {config.query_timeout:g} s; {isolation})",
        file=sys.stderr,
        flush=True,
    )
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        server.run()
    finally:
        app_state.close()
    return 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """Turn SIGTERM into SystemExit, so that serve's cleanup runs."""
    raise SystemExit(0)


def _query(args: argparse.Namespace) -> int:
    from plangraph.binding import with_values
    from plangraph.sparql import QueryJob, check_query, execute

    text, substitutions = with_values(*_resolve_query(args.query, args.param))
    graph = _open(_config(args))
    info = check_query(text, graph.named_graphs())
    graph_form = info.form in {"CONSTRUCT", "DESCRIBE"}
    fmt = args.format
    if graph_form and fmt == "table":
        fmt = "turtle"
    elif graph_form and fmt in {"csv", "tsv", "json", "xml"}:
        raise PlanGraphError(f"--format {fmt} is for SELECT/ASK; this is {info.form}")
    elif not graph_form and fmt in {"turtle", "ntriples", "jsonld", "rdfxml"}:
        raise PlanGraphError(f"--format {fmt} is for CONSTRUCT/DESCRIBE; this is {info.form}")
    job = QueryJob(
        text,
        "tsv" if fmt == "table" else fmt,
        max_rows=10**9,
        substitutions=substitutions,
        prefixes=graph.prefixes,
        max_bytes=2**62,
        vet=bool(info.mentions),
    )
    outcome = execute(graph.store, job)
    if fmt == "table":
        print(_table(outcome.body.decode(), graph.prefixes))
    else:
        sys.stdout.buffer.write(outcome.body)
    return 0


def _resolve_query(spec: str, params: list[str]) -> tuple[str, dict[str, str]]:
    from plangraph import named_queries

    values = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep:
            raise PlanGraphError(f"--param {quote(item)} is not NAME=VALUE")
        values[name] = value
    path = Path(spec)
    named = named_queries.load_all()
    if spec in named:
        query = named[spec]
    elif spec.endswith(".rq") and path.is_file():
        query = named_queries.parse(path) if path.read_text().startswith("#+") else None
        if query is None:
            return path.read_text(encoding="utf-8"), {}
    elif spec.endswith(".rq"):
        raise PlanGraphError("no such query file / 查询文件不存在", file=spec)
    elif re.fullmatch(r"[\w.-]+", spec):
        # One word is never a SPARQL query: it is a name, misspelt or not shipped.
        raise PlanGraphError(
            f"unknown named query {spec!r} / 没有这个命名查询; "
            f"the named queries are: {', '.join(sorted(named))}"
        )
    else:
        if values:
            raise PlanGraphError("--param works with named queries and .rq files only")
        return spec, {}
    return query.text, named_queries.bind(query, values)


def _table(tsv: str, prefixes: dict[str, str]) -> str:
    """Results as aligned columns, IRIs shortened by the data's own prefixes."""
    lines = [line.split("\t") for line in tsv.rstrip("\n").split("\n")] if tsv.strip() else []
    if not lines:
        return "(no results)"
    header = [h.lstrip("?") for h in lines[0]]
    rows = [[_short(cell, prefixes) for cell in row] for row in lines[1:]]
    widths = [max(_width(c) for c in col) for col in zip(header, *rows, strict=False)]
    out = [_line(header, widths), _line(["-" * w for w in widths], widths)]
    out += [_line(row, widths) for row in rows]
    out.append(f"({len(rows)} rows)")
    return "\n".join(out)


def _line(cells: list[str], widths: list[int]) -> str:
    return "  ".join(
        c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=False)
    ).rstrip()


def _width(text: str) -> int:
    """Columns a terminal gives the text: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _short(cell: str, prefixes: dict[str, str]) -> str:
    """A TSV cell (N-Triples syntax) as a person reads it: prefixed names, bare values."""
    if cell.startswith("<") and cell.endswith(">"):
        iri = cell[1:-1]
        for name, base in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
            if base and iri.startswith(base):
                return f"{name}:{iri[len(base) :]}"
        return iri
    if cell.startswith('"'):
        end = cell.rindex('"')
        value = cell[1:end].replace('\\"', '"').replace("\\n", " ")
        suffix = cell[end + 1 :]
        return value + suffix if suffix.startswith("@") else value
    return cell


def _stats(args: argparse.Namespace) -> int:
    from plangraph import stats

    graph = _open(_config(args))
    result = stats.compute(graph)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "triples": result.triples,
                    "graphs": result.per_graph,
                    "classes": result.per_class,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print(f"{result.triples} triples in {len(result.per_graph)} named graphs")
    print("\ntriples per named graph / 各命名图三元组数")
    for name, count in result.per_graph.items():
        print(f"  {count:>8}  {name}")
    print("\ninstances per class / 各类实例数")
    for name, count in result.per_class.items():
        print(f"  {count:>8}  {_short('<' + name + '>', graph.prefixes)}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from plangraph.validate import validate_files
    from plangraph.validate_report import render

    config = _config(args)
    _refuse_folders_without_rdf(args.files)
    with tempfile.TemporaryDirectory(prefix="plangraph-validate-") as folder:
        data = config.data
        if config.sparql_endpoint:  # the engine's graphs, fetched, stand for the data files
            from plangraph import remote

            data = remote.download(remote.open_graph(config), Path(folder))
        report = validate_files(
            args.files or None,
            data=data,
            max_bytes=config.max_body_bytes,
            inference=args.inference,
        )
    sys.stdout.buffer.write(render(report, args.format, args.lang, args.strict).encode("utf-8"))
    sys.stdout.flush()
    return 0 if report.passes(args.strict) else 1


def _refuse_folders_without_rdf(paths: Sequence[Path]) -> None:
    """A folder named to validate must hold RDF: validating nothing is not a pass."""
    from plangraph.store import FORMATS, iter_rdf_files

    for path in paths:
        if path.is_dir() and next(iter_rdf_files([path]), None) is None:
            raise PlanGraphError(
                f"no RDF files ({', '.join(sorted(FORMATS))}) in this folder, nothing to "
                "validate / 目录中没有 RDF 文件，无可校验",
                file=str(path),
            )


def _ingest(args: argparse.Namespace) -> int:
    from plangraph.files import write_text_atomically
    from plangraph.ingest import ingest, review

    config = _config(args)
    fmt = review.report_format(args.report.name) if args.report is not None else None
    draft = ingest(
        args.file,
        args.edition_id,
        title=args.title,
        issuer=args.issuer,
        date=args.date,
        max_bytes=config.max_body_bytes,
    )
    for warning in draft.warnings:
        print(f"plangraph: warning: {warning}", file=sys.stderr)
    if args.output is None:
        sys.stdout.write(draft.turtle)
    else:
        write_text_atomically(args.output, draft.turtle)
    if args.report is not None and fmt is not None:
        write_text_atomically(args.report, review.render(draft, fmt))
        print(
            f"plangraph: review list: {len(draft.review)} items in {args.report}", file=sys.stderr
        )
    counts = ", ".join(f"{v} {k}" for k, v in draft.counts.items() if v)
    print(f"plangraph: drafted {draft.edition}: {counts}", file=sys.stderr)
    return 0


def _diff(args: argparse.Namespace) -> int:
    from plangraph.diff import diff, load_with, render

    graph, files = load_with(_config(args).data, [args.old, args.new])
    comparison = diff(graph.store, args.old, args.new, files)
    if args.format == "html":
        from plangraph.api.compare import standalone_page

        text = standalone_page(graph, comparison, args.lang)
    else:
        text = {
            "markdown": render.to_markdown,
            "json": render.to_json,
            "turtle": render.to_turtle,
            "trig": render.to_trig,
        }[args.format](comparison)
    sys.stdout.buffer.write(text.encode("utf-8"))
    return 0


def _export(args: argparse.Namespace) -> int:
    """The whole dataset in one file; TriG and N-Quads keep the named graphs, others merge."""
    from plangraph import export

    graph = _open(_config(args))
    if args.skolemise:
        return _export_skolemised(graph, args)
    if args.output is None:
        count = export.export(graph, args.format, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        count = export.export_file(graph, args.format, args.output)
    unit = "quads" if export.DUMPS[args.format].keeps_graphs else "triples"
    print(f"plangraph: exported {count} {unit} as {args.format}", file=sys.stderr)
    return 0


def _export_skolemised(graph: object, args: argparse.Namespace) -> int:
    import pyoxigraph as ox

    from plangraph.files import write_atomically
    from plangraph.remote_load import skolemised_dataset

    if args.format != "nquads":
        raise PlanGraphError("--skolemise writes N-Quads only: use -f nquads")
    quads = skolemised_dataset(graph)  # type: ignore[arg-type]
    if args.output is None:
        ox.serialize(quads, sys.stdout.buffer, ox.RdfFormat.N_QUADS)
    else:
        write_atomically(args.output, lambda out: ox.serialize(quads, out, ox.RdfFormat.N_QUADS))
    print(f"plangraph: exported {len(quads)} quads, skolemised, as nquads", file=sys.stderr)
    return 0


def _load(args: argparse.Namespace) -> int:
    """Put the dataset `serve` would serve into a remote engine (plangraph.remote_load)."""
    from plangraph import store
    from plangraph.remote import Endpoint
    from plangraph.remote_load import load_to

    config = _config(args)
    endpoint = Endpoint(args.to, args.update_endpoint, args.graph_store, timeout=60.0)
    started = time.perf_counter()
    report = load_to(
        store.load(config.data),
        endpoint,
        progress=lambda line: print(f"plangraph: {line}", file=sys.stderr, flush=True),
    )
    seconds = time.perf_counter() - started
    if not report.sent and not report.dropped:
        print(
            f"plangraph: {len(report.unchanged)} graphs unchanged at {args.to}, nothing sent "
            f"({seconds:.2f} s)",
            file=sys.stderr,
        )
        return 0
    print(
        f"plangraph: loaded {len(report.sent)} graphs ({report.triples} triples, by "
        f"{report.method}), {len(report.unchanged)} unchanged, {len(report.dropped)} dropped, "
        f"in {seconds:.2f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
