"""A pool of forked query workers, so that a query past its time limit can really be stopped.

pyoxigraph cannot cancel a running query, so each query runs in a worker process that is killed
when its time is up. Workers are forked from a single-threaded "zygote" made right after the store
is loaded: they share the in-memory store copy-on-write, so a replacement starts in milliseconds
without reloading anything, and the server's own threads are never forked.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import secrets
import select
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path

import pyoxigraph as ox

from plangraph import errors
from plangraph.errors import PlanGraphError, QueryTimeout
from plangraph.sparql import QueryJob, QueryOutcome, execute

log = logging.getLogger(__name__)


@dataclass
class _Worker:
    pid: int
    conn: Connection
    # A poller kept per worker: Connection.poll() builds a selector on every call (~40 µs).
    poller: select.poll = field(default_factory=select.poll)

    def __post_init__(self) -> None:
        self.poller.register(self.conn.fileno(), select.POLLIN)

    def ready_within(self, seconds: float) -> bool:
        return bool(self.poller.poll(max(seconds, 0) * 1000))


class QueryEngine:
    """Runs QueryJobs in worker processes with a time limit per query."""

    def __init__(
        self,
        open_store: Callable[[], ox.Store],
        *,
        workers: int,
        timeout: float,
        fresh_zygote: bool = False,
    ):
        self._open_store = open_store
        # An on-disk store runs RocksDB threads in this process; a zygote forked from it could
        # inherit a held lock, so it starts as a fresh interpreter and each worker opens its
        # own read-only handle. An in-memory store has no threads and is shared by forking.
        self._fresh_zygote = fresh_zygote
        self.size = workers
        self.timeout = timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._spawn_lock = threading.Lock()
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
        parent_end, zygote_end = _pipe()
        if self._fresh_zygote:
            process = multiprocessing.get_context("spawn").Process(
                target=_zygote_main,
                args=(zygote_end, self._address, self._authkey, self._open_store),
                daemon=True,
            )
            process.start()
            pid = process.pid or 0
        else:
            pid = os.fork()
            if pid == 0:  # the zygote
                parent_end.close()
                _zygote_main(zygote_end, self._address, self._authkey, self._open_store)
        zygote_end.close()
        self._zygote, self._zygote_pid = parent_end, pid
        threading.Thread(
            target=self._accept_forever, args=(self._listener,), name="worker-accept", daemon=True
        ).start()
        for _ in range(self.size):
            self._spawn()
        return self

    def run(self, job: QueryJob, timeout: float | None = None) -> QueryOutcome:
        """Answer a job within `timeout` seconds (waiting for a free worker included)."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        try:
            worker = self._idle.get(timeout=limit)
        except queue.Empty:
            raise QueryTimeout(_timeout_message(limit, busy=True)) from None
        try:
            worker.conn.send(job)
            if not worker.ready_within(deadline - time.monotonic()):
                self._kill(worker)
                raise QueryTimeout(_timeout_message(limit, busy=False))
            status, payload = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._kill(worker)
            raise RuntimeError("query worker died") from None
        self._idle.put(worker)
        if status == "ok":
            return payload
        kind, message, line, column = payload
        if kind == "internal":
            raise RuntimeError(f"query worker failed: {message}")
        cls = getattr(errors, kind, PlanGraphError)
        raise cls(message, line=line, column=column)

    def restart(self) -> None:
        """After an authorised update: new workers from a new zygote that sees the new data.

        Unlike start(), this forks while the server's threads run, so a lock another thread
        holds could be copied held: one more reason writes are opt-in (--write-token)."""
        self.close()
        self.__init__(  # type: ignore[misc]
            self._open_store,
            workers=self.size,
            timeout=self.timeout,
            fresh_zygote=self._fresh_zygote,
        )
        self.start()

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
            os.kill(self._zygote_pid, signal.SIGTERM)
            os.waitpid(self._zygote_pid, 0)
        if self._listener is not None:
            self._listener.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def _spawn(self) -> None:
        assert self._zygote is not None
        with self._spawn_lock:
            self._zygote.send("spawn")

    def _kill(self, worker: _Worker, respawn: bool = True) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        worker.conn.close()
        if respawn and not self._closed:
            self._spawn()

    def _accept_forever(self, listener: Listener) -> None:
        """Take in each worker as it connects; ends when its listener is closed or replaced."""
        while True:
            try:
                conn = listener.accept()
                pid = conn.recv()
            except (OSError, EOFError):
                if self._closed or listener is not self._listener:
                    return
                log.exception("a query worker failed to connect")
                continue
            self._idle.put(_Worker(pid, conn))


def _pipe() -> tuple[Connection, Connection]:
    return multiprocessing.Pipe()


def _timeout_message(limit: float, *, busy: bool) -> str:
    why = "all query workers stayed busy" if busy else "the query ran past the time limit"
    return (
        f"{why} ({limit:g} s) and was stopped; narrow the query or add LIMIT / "
        f"查询超过时间限制（{limit:g} 秒）已被终止"
    )


def _zygote_main(
    control: Connection, address: str, authkey: bytes, open_store: Callable[[], ox.Store]
) -> None:
    """Fork a worker for each "spawn" message; exit when the server goes away."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # reap workers automatically
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    code = 0
    try:
        while True:
            try:
                message = control.recv()
            except (EOFError, OSError):
                break
            if message != "spawn":
                continue
            if os.fork() == 0:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _worker_main(address, authkey, open_store)
    except BaseException:  # never let the zygote fall back into the server's code
        code = 1
    os._exit(code)


def _worker_main(address: str, authkey: bytes, open_store: Callable[[], ox.Store]) -> None:
    code = 0
    try:
        store = open_store()
        conn = Client(address, family="AF_UNIX", authkey=authkey)
        conn.send(os.getpid())
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                break
            try:
                conn.send(("ok", execute(store, job)))
            except PlanGraphError as err:
                conn.send(("error", (type(err).__name__, err.message, err.line, err.column)))
            except Exception as err:  # a bug: the server logs it and answers 500
                conn.send(("error", ("internal", repr(err), None, None)))
    except BaseException:
        code = 1
    os._exit(code)
