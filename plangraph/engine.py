"""A pool of forked worker processes that do every piece of untrusted work, each bounded.

pyoxigraph cannot cancel a running query, so each query (and each update and validation) runs
in a worker process that is killed when its time is up or its client has gone. Workers are
forked from a single-threaded "zygote" made right after the store is loaded: they share the
in-memory store copy-on-write, so a replacement starts in milliseconds without reloading
anything, and the server's own threads are never forked.

Before it forks anything the zygote cuts itself off the network (sandbox.py), so no worker can
open a connection whatever a query asks; each worker then limits its own address space. Workers
carry the data generation they were forked for: after an accepted update the zygote applies the
same change to its copy, a new generation is forked, and an old worker is killed when it is
next seen, never handed a new request (reads after an acknowledged write see it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import math
import multiprocessing
import os
import queue
import resource
import secrets
import select
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import reduction
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from plangraph import errors, heap, sandbox
from plangraph.errors import (
    Overloaded,
    PlanGraphError,
    QueryTimeout,
    StoreChanged,
    WorkerStopped,
)
from plangraph.sparql import QueryJob, QueryOutcome
from plangraph.store import apply_change

log = logging.getLogger(__name__)
# Between checks that the client is still there, while a job runs.
POLL_SECONDS = 0.25
# Socket buffers of a worker's connection. With the kernel's default (~200 KiB) a 2 MB answer
# crosses in hundreds of reads, each waking the other process: 6-17 ms here; with 4 MiB, 0.5 ms.
# The kernel caps this at net.core.wmem_max / rmem_max (no error where they are lower).
SOCKET_BUFFER = 4 * 1024 * 1024
# An answer larger than this crosses as an unlinked temporary file, its descriptor passed over
# the worker's socket (SCM_RIGHTS), not pickled through it: a 145 MB answer was copied eight
# times on its way (join, pickle, socket, reads, unpickle, and waitress's own spill to a
# temporary file past 1 MiB), ~2 s at 10 million triples; now the worker writes it once and the
# server sends it from the file. The file is in the page cache, which the kernel can reclaim,
# not in the server's heap, while a slow client reads it.
FILE_BODY = 1024 * 1024


@dataclass
class WorkerSettings:
    """What the zygote needs to know to make workers (plain data: it may cross a spawn)."""

    memory_mb: int = 0
    sandbox: str = "auto"
    nice: int = 0  # CPU priority of the workers (higher: yield to others)
    recycle_mb: int = 0  # a worker holding this much memory of its own retires; 0: never
    warm: bool = False  # read the whole in-memory store once, in the background, on starting


@dataclass
class _Worker:
    pid: int
    conn: Connection
    generation: int = 0
    # A poller kept per worker: Connection.poll() builds a selector on every call (~40 µs).
    poller: select.poll = field(default_factory=select.poll)

    def __post_init__(self) -> None:
        self.poller.register(self.conn.fileno(), select.POLLIN)

    def ready_within(self, seconds: float) -> bool:
        return bool(self.poller.poll(max(seconds, 0) * 1000))


class QueryEngine:
    """Runs jobs in worker processes, each under a time limit, with bounded waiting."""

    def __init__(
        self,
        open_store: Callable[[], ox.Store],
        *,
        workers: int,
        timeout: float,
        fresh_zygote: bool = False,
        queue_timeout: float | None = None,
        settings: WorkerSettings | None = None,
    ):
        self._open_store = open_store
        # An on-disk store runs RocksDB threads in this process; a zygote forked from it could
        # inherit a held lock, so it starts as a fresh interpreter and each worker opens its
        # own read-only handle. An in-memory store has no threads and is shared by forking.
        self._fresh_zygote = fresh_zygote
        self.size = workers
        self.timeout = timeout
        self.queue_timeout = timeout if queue_timeout is None else queue_timeout
        self.settings = settings or WorkerSettings()
        self.sandbox = sandbox.NONE
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._spawn_lock = threading.Lock()
        self._generation = 0
        self._closed = False
        self._tmp = tempfile.mkdtemp(prefix="plangraph-")
        self._address = str(Path(self._tmp) / "workers.sock")
        self._authkey = secrets.token_bytes(16)
        self._listener: Listener | None = None
        self._zygote: Connection | None = None
        self._zygote_pid = 0

    def start(self) -> QueryEngine:
        """Fork the zygote (call before the server starts threads) and the first workers."""
        self._listener = Listener(self._address, family="AF_UNIX", authkey=self._authkey)
        if not self._fresh_zygote:
            _before_fork()
        parent_end, zygote_end = _pipe()
        args = (zygote_end, self._address, self._authkey, self._open_store, self.settings)
        if self._fresh_zygote:
            process = multiprocessing.get_context("spawn").Process(
                target=_zygote_main, args=(*args, False), daemon=True
            )
            process.start()
            pid = process.pid or 0
        else:
            pid = os.fork()
            if pid == 0:  # the zygote
                parent_end.close()
                _zygote_main(*args, True)
        zygote_end.close()
        self._zygote, self._zygote_pid = parent_end, pid
        self.sandbox = self._zygote.recv() if self._zygote.poll(30) else sandbox.NONE
        if self.sandbox == sandbox.NONE:
            log.error(sandbox.describe(sandbox.NONE))
        threading.Thread(
            target=self._accept_forever, args=(self._listener,), name="worker-accept", daemon=True
        ).start()
        for _ in range(self.size):
            self._spawn()
        return self

    def run(
        self,
        job: object,
        timeout: float | None = None,
        *,
        cancelled: Callable[[], bool] | None = None,
        retire: bool = False,
        keep_file: bool = False,
    ) -> object:
        """Do a job within `timeout` seconds of work, after at most queue_timeout of waiting.

        `cancelled` is asked every POLL_SECONDS (the client has gone: the worker is killed);
        `retire` kills the worker afterwards (its copy of the data was changed); `keep_file`
        takes a large answer as the file it came in (QueryOutcome.file), else it is read."""
        limit = self.timeout if timeout is None else timeout
        worker = self._take()
        deadline = time.monotonic() + limit
        if isinstance(job, QueryJob):  # a large answer is written to a file as it comes
            job = dataclasses.replace(job, file_over=FILE_BODY)
        try:
            worker.conn.send(job)
            outcome, payload, retiring, spilled = self._answer(
                worker, job, limit, deadline, cancelled
            )
            if spilled:  # its descriptor follows on the same connection
                payload = _take_file(worker.conn, payload, keep_file)
        except (EOFError, OSError, BrokenPipeError):
            self._kill(worker)
            raise WorkerStopped(self._stopped_message()) from None
        if retire or retiring:  # retiring: it holds too much memory of its own
            self._kill(worker)
        else:
            self._give_back(worker)
        if outcome == "ok":
            return payload
        kind, message, file, line, column, status = payload
        if kind == "MemoryError":
            raise WorkerStopped(self._stopped_message())
        if kind == "internal":
            raise RuntimeError(f"query worker failed: {message}")
        cls = getattr(errors, kind, PlanGraphError)
        raise cls(message, file=file, line=line, column=column, status=status)

    def _answer(
        self,
        worker: _Worker,
        job: object,
        limit: float,
        deadline: float,
        cancelled: Callable[[], bool] | None,
    ) -> tuple[str, object, bool, bool]:
        """Wait for a worker's answer until the deadline, watching for a client that left."""
        while True:
            left = deadline - time.monotonic()
            step = left if cancelled is None else min(left, POLL_SECONDS)
            if worker.ready_within(step):
                return worker.conn.recv()  # type: ignore[no-any-return]
            if time.monotonic() >= deadline:
                self._kill(worker)
                raise QueryTimeout(_timeout_message(limit, job))
            if cancelled is not None and cancelled():
                self._kill(worker)
                raise errors.Unavailable("the client went away / 客户端已断开", status=499)

    def idle_workers(self) -> int:
        """Workers free now (a readiness probe asks this rather than wait in the queue)."""
        return self._idle.qsize()

    def new_generation(self, removed: bytes = b"", added: bytes = b"") -> None:
        """After an accepted update: every later job runs on a worker that sees it.

        The zygote applies the same change to its copy (an on-disk store is reopened by each
        new worker instead); then idle workers are replaced and busy ones are killed when they
        come back."""
        with self._spawn_lock:
            self._generation += 1
            if not self._fresh_zygote and (removed or added):
                assert self._zygote is not None
                self._zygote.send(("apply", removed, added))
        stale: list[_Worker] = []
        while True:
            try:
                stale.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for worker in stale:
            if worker.generation == self._generation:
                self._idle.put(worker)
            else:
                self._kill(worker, respawn=False)
        for _ in range(self.size):
            self._spawn()

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            self._kill(worker, respawn=False)
        if self._zygote is not None:
            self._zygote.close()
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(self._zygote_pid, signal.SIGTERM)  # its workers die with it (PDEATHSIG)
            os.waitpid(self._zygote_pid, 0)
        if self._listener is not None:
            self._listener.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def _take(self) -> _Worker:
        """A worker of the current generation, or Overloaded after queue_timeout."""
        deadline = time.monotonic() + self.queue_timeout
        while True:
            try:
                worker = self._idle.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise Overloaded(
                    f"all {self.size} workers stayed busy for {self.queue_timeout:g} s; "
                    f"try again shortly / 所有查询进程繁忙，请稍后重试",
                    retry_after=max(1, math.ceil(self.queue_timeout)),
                ) from None
            if worker.ready_within(0):  # an idle worker has nothing to say unless it died
                self._kill(worker)
            elif worker.generation == self._generation:
                return worker
            else:
                self._kill(worker, respawn=False)

    def _give_back(self, worker: _Worker) -> None:
        if worker.generation == self._generation and not self._closed:
            self._idle.put(worker)
        else:
            self._kill(worker, respawn=False)

    def _stopped_message(self) -> str:
        memory = self.settings.memory_mb
        why = f"reached its memory limit ({memory} MiB) or crashed" if memory else "crashed"
        return (
            f"the worker running this request {why} and was replaced; narrow the query / "
            "处理该请求的进程超出内存限制或崩溃，已重启"
        )

    def _spawn(self) -> None:
        assert self._zygote is not None
        with self._spawn_lock:
            if not self._closed:
                self._zygote.send(("spawn", self._generation))

    def _kill(self, worker: _Worker, respawn: bool = True) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        worker.conn.close()
        if respawn and worker.generation == self._generation and not self._closed:
            self._spawn()

    def _accept_forever(self, listener: Listener) -> None:
        """Take in each worker as it connects; ends when its listener is closed."""
        while True:
            try:
                conn = listener.accept()
                pid, generation = conn.recv()
            except (OSError, EOFError):
                if self._closed or listener is not self._listener:
                    return
                log.exception("a query worker failed to connect")
                continue
            _widen(conn)
            worker = _Worker(pid, conn, generation)
            if generation == self._generation and not self._closed:
                self._idle.put(worker)
            else:
                self._kill(worker, respawn=False)


def _before_fork() -> None:
    """Keep what the workers inherit shared with the server.

    The garbage of loading is handed back before it is inherited, and the objects alive now are
    frozen out of the cyclic collector (gc.freeze, as the gc documentation advises before a
    fork): a collection in a worker would otherwise write to each of them, copying every page
    of the server's heap into every worker."""
    gc.collect()
    gc.freeze()
    heap.trim()


def _take_file(conn: Connection, outcome: object, keep: bool) -> object:
    """Receive the file a large answer came in (its descriptor is next on `conn`)."""
    answer = os.fdopen(reduction.recv_handle(conn), "rb")
    if keep:
        return dataclasses.replace(outcome, file=answer)  # type: ignore[type-var]
    with answer:
        return dataclasses.replace(outcome, body=answer.read())  # type: ignore[type-var]


def _send_answer(conn: Connection, outcome: object, retiring: bool) -> None:
    """Send an answer; a large one as an unlinked file (FILE_BODY), its descriptor after it.

    A results answer is already in its file (QueryJob.file_over); any other large body is
    written to one here."""
    if not isinstance(outcome, QueryOutcome) or (
        outcome.file is None and len(outcome.body) <= FILE_BODY
    ):
        conn.send(("ok", outcome, retiring, False))
        return
    spill = outcome.file or _spilled(outcome.body)
    if spill is None:  # the temporary directory could not take it: through the socket
        conn.send(("ok", outcome, retiring, False))
        return
    with spill:
        conn.send(("ok", dataclasses.replace(outcome, body=b"", file=None), retiring, True))
        reduction.send_handle(conn, spill.fileno(), os.getppid())


def _spilled(body: bytes) -> IO[bytes] | None:
    """The body in an unlinked temporary file, at its start; None where it cannot be written."""
    try:
        spill = tempfile.TemporaryFile()  # noqa: SIM115  (the caller closes it, once sent)
    except OSError:
        return None
    try:
        spill.write(body)
        spill.flush()
    except OSError:
        with contextlib.suppress(OSError):
            spill.close()
        return None
    spill.seek(0)
    return spill


def _pipe() -> tuple[Connection, Connection]:
    return multiprocessing.Pipe()


def _widen(conn: Connection) -> None:
    """Give a connection to a worker large socket buffers (SOCKET_BUFFER): answers cross in a
    few writes instead of hundreds."""
    sock = socket.socket(fileno=conn.fileno())
    try:
        for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, option, SOCKET_BUFFER)
    finally:
        sock.detach()  # the descriptor stays the Connection's


def _timeout_message(limit: float, job: object) -> str:
    what = {"UpdateJob": "the update", "ValidateJob": "the validation"}.get(
        type(job).__name__, "the query"
    )
    return (
        f"{what} ran past the time limit ({limit:g} s) and was stopped; narrow it or add LIMIT "
        f"/ 超过时间限制（{limit:g} 秒）已被终止"
    )


def _zygote_main(
    control: Connection,
    address: str,
    authkey: bytes,
    open_store: Callable[[], ox.Store],
    settings: WorkerSettings,
    forked: bool,
) -> None:
    """Leave the network, then fork a worker per "spawn" and apply each accepted change."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # reap workers automatically
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    code = 0
    try:
        sandbox.die_with_parent()
        if forked:  # nothing the server had open (its sockets) may reach a worker
            keep = control.fileno()
            os.closerange(3, keep)
            os.closerange(keep + 1, 65536)
        control.send(sandbox.cut_network(settings.sandbox))
        if settings.nice:
            os.nice(settings.nice)
        # In-memory: the zygote's copy is the one workers fork from, and changes are applied to
        # it. On disk: each worker opens its own read-only handle.
        store = open_store() if forked else None
        if not forked:  # what a fresh interpreter lacks: imported once here, shared by workers
            import plangraph.jobs
            import plangraph.validate  # noqa: F401  (rdflib's SPARQL parser, pySHACL)
        while True:
            try:
                message = control.recv()
            except (EOFError, OSError):
                break
            if message[0] == "apply" and store is not None:
                apply_change(store, message[1], message[2])
            elif message[0] == "spawn" and os.fork() == 0:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                opener = store if store is not None else open_store
                _worker_main(address, authkey, opener, message[1], settings)
    except BaseException:  # never let the zygote fall back into the server's code
        code = 1
    os._exit(code)


def _limit_memory(megabytes: int) -> None:
    """Cap this worker's address space at what it inherited plus `megabytes`."""
    if megabytes <= 0:
        return
    with open("/proc/self/status") as status:
        size_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    cap = size_kb * 1024 + megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


# Every quad of the store, named graphs and default graph: reading a quad is what copies its page.
WARM_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"


def _warm(store: ox.Store) -> None:
    """Read every quad once, so this worker's queries do not pay for copying the store.

    Reading pyoxigraph's in-memory store writes to what it reads (each quad's version lock and
    reference counts), so the first query to touch a page of the store shared with the zygote
    copies it: on a 10-million-quad store a report's first run in a fresh worker spent seconds
    on that alone. Done in a thread, which pyoxigraph lets run without the GIL: the worker
    takes jobs meanwhile. The cost is memory, the store once more per worker, which a worker
    would come to hold anyway as it answers queries."""
    with contextlib.suppress(Exception):  # a warm-up that fails costs only speed
        for _ in store.query(WARM_QUERY):
            pass


# Jobs cheaper than this cannot have copied much of the store: no need to look (private_bytes
# walks the page tables).
RECYCLE_CHECK_CPU = 0.02


def _grown(recycle_mb: int, cpu_seconds: float, outcome: object) -> bool:
    """Whether this worker will hold more than recycle_mb of its own memory once the answer it
    is about to send is gone."""
    if recycle_mb <= 0 or cpu_seconds < RECYCLE_CHECK_CPU:
        return False
    answer = len(getattr(outcome, "body", b"") or b"")
    return heap.private_bytes() - answer > recycle_mb * 1024 * 1024


def _worker_main(
    address: str,
    authkey: bytes,
    store_or_opener: ox.Store | Callable[[], ox.Store],
    generation: int,
    settings: WorkerSettings,
) -> None:
    from plangraph.jobs import perform

    code = 0
    try:
        sandbox.die_with_parent()
        store = store_or_opener if isinstance(store_or_opener, ox.Store) else store_or_opener()
        conn = Client(address, family="AF_UNIX", authkey=authkey)
        _widen(conn)
        _limit_memory(settings.memory_mb)
        conn.send((os.getpid(), generation))
        if settings.warm and settings.recycle_mb <= 0 and isinstance(store_or_opener, ox.Store):
            threading.Thread(target=_warm, args=(store,), daemon=True).start()
        trimmer = heap.Trimmer()
        while True:
            retiring = False
            try:
                job = conn.recv()
            except (EOFError, OSError):
                break
            started = time.thread_time()
            try:
                for attempt in range(4):
                    try:
                        outcome = perform(store, job)
                        break
                    except StoreChanged:
                        if isinstance(store_or_opener, ox.Store) or attempt == 3:
                            raise
                        time.sleep(0.1 * (attempt + 1))  # let the writer finish compacting
                        store = store_or_opener()  # a fresh read-only view of the on-disk store
                retiring = _grown(settings.recycle_mb, time.thread_time() - started, outcome)
                _send_answer(conn, outcome, retiring)
            except PlanGraphError as err:
                where = (err.file, err.line, err.column, err.status)
                conn.send(("error", (type(err).__name__, err.message, *where), False, False))
            except MemoryError:
                conn.send(("error", ("MemoryError", "", None, None, None, 503), False, False))
            except Exception as err:  # a bug: the server logs it and answers 500
                conn.send(("error", ("internal", repr(err), None, None, None, 500), False, False))
            if retiring:
                break  # the server has already asked the zygote for a fresh worker
            del job  # the answer went to the server: what it used is free now
            outcome = None
            trimmer.after_job()
    except BaseException:
        code = 1
    os._exit(code)
