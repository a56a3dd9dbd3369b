"""The kinds of work a worker process does for the server: queries, updates and validations.

Each job is plain data (it crosses a pipe); `perform` runs one inside a worker, which has no
network, a memory limit and is killed at its time limit (engine.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from plangraph.errors import InputError, PayloadTooLarge, QuerySyntaxError, syntax_location
from plangraph.sparql import (
    DEFAULT_MAX_ANSWER_BYTES,
    DEFAULT_MAX_DEPTH,
    QueryJob,
    _graph_names,
    _network_error,
    check_depth,
    execute,
    vet_query,
)

NQUADS = ox.RdfFormat.N_QUADS

# What a recursive parser nests on, with the strings, IRIs and comments it must skip.
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|([\[\]{}])', re.DOTALL)
_TURTLE_TOKENS = re.compile(
    rb'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    rb'|"(?:[^"\\\r\n]|\\.)*"|\'(?:[^\'\\\r\n]|\\.)*\'|<[^<>\s]*>|#[^\r\n]*|([\[\](){}])',
    re.DOTALL,
)


def rdf_depth(data: bytes, fmt: ox.RdfFormat) -> int:
    """How deep brackets nest in an RDF document, counted without parsing it."""
    if fmt == ox.RdfFormat.JSON_LD:
        tokens = _JSON_TOKENS
    elif fmt in {ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N3}:
        tokens = _TURTLE_TOKENS
    else:
        return 0  # line-based formats do not nest
    depth = deepest = 0
    for match in tokens.finditer(data):
        bracket = match.group(1)
        if bracket is None:
            continue
        if bracket in b"[({":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


@dataclass
class UpdateJob:
    """One SPARQL Update, tried on the worker's copy of the data; the answer is what changed."""

    update: str
    vet: bool = True
    copy_first: bool = False  # the worker's store is a read-only on-disk handle
    max_bytes: int = DEFAULT_MAX_ANSWER_BYTES  # of the change, as N-Quads


@dataclass
class UpdateOutcome:
    removed: bytes  # N-Quads, blank nodes keeping their labels
    added: bytes


@dataclass
class ValidateJob:
    body: bytes
    media_type: str
    data: list[Path]
    lang: str = "zh"
    report_format: str = "json"
    strict: bool = False
    max_depth: int = DEFAULT_MAX_DEPTH


@dataclass
class ValidateOutcome:
    body: str


def perform(store: ox.Store, job: object) -> object:
    """Run one job in a worker; errors users cause are raised as PlanGraphError."""
    if isinstance(job, QueryJob):
        return execute(store, job)
    if isinstance(job, UpdateJob):
        return run_update(store, job)
    if isinstance(job, ValidateJob):
        return run_validation(job)
    raise TypeError(f"unknown job {type(job).__name__}")


def run_update(store: ox.Store, job: UpdateJob) -> UpdateOutcome:
    """Apply the update to this worker's private copy and report the difference it made.

    The server applies that difference to its own store, so the update's work (and any
    NOW(), UUID() or blank node it makes) happens once, here, under the limits."""
    target = store
    if job.copy_first:
        target = ox.Store()
        target.extend(store.quads_for_pattern(None, None, None, None))
    if job.vet:
        vet_query(job.update, _graph_names(target), update=True)
    before = set(target.quads_for_pattern(None, None, None, None))
    try:
        target.update(job.update)
    except SyntaxError as err:
        line, column, message = syntax_location(err)
        raise QuerySyntaxError(
            f"SPARQL Update syntax error / SPARQL 更新语法错误: {message}",
            line=line,
            column=column,
        ) from None
    except OSError as err:
        raise _network_error(err) from None
    except RuntimeError as err:
        raise QuerySyntaxError(f"the update cannot be evaluated / 无法执行该更新: {err}") from None
    after = set(target.quads_for_pattern(None, None, None, None))
    outcome = UpdateOutcome(
        ox.serialize(sorted(before - after, key=str), format=NQUADS) or b"",
        ox.serialize(sorted(after - before, key=str), format=NQUADS) or b"",
    )
    size = len(outcome.removed) + len(outcome.added)
    if size > job.max_bytes:
        raise PayloadTooLarge(
            f"the update would change {size} bytes of data (as N-Quads), over the limit of "
            f"{job.max_bytes} / 更新的数据量超过上限"
        )
    return outcome


def run_validation(job: ValidateJob) -> ValidateOutcome:
    from plangraph.validate import validate_bytes
    from plangraph.validate_report import render

    fmt = ox.RdfFormat.from_media_type(job.media_type)
    if fmt is None:
        raise InputError(f"cannot read {job.media_type} / 无法读取该格式")
    check_depth(rdf_depth(job.body, fmt), job.max_depth, what="document")
    report = validate_bytes(job.body, fmt, data=job.data)
    return ValidateOutcome(render(report, job.report_format, job.lang, job.strict))
