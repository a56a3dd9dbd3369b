"""Cut the calling process off the network, so that nothing it later runs can open a connection.

The query workers call this once, before they run anything a client sent: whatever a SPARQL
parser makes of a query (SERVICE, LOAD, a remote FROM), the operating system refuses the
connection. Unix sockets on the file system still work, which is how workers talk to the server.

In order of preference: a new network namespace (only an unconfigured loopback inside, so every
TCP/UDP connect fails with "network unreachable"); as root this is `unshare(CLONE_NEWNET)`, as
another user `unshare(CLONE_NEWUSER | CLONE_NEWNET)`. Where namespaces are not allowed (some
containers), a seccomp filter that refuses `socket()` for any family but AF_UNIX (and io_uring,
which could open sockets behind its back). Python 3.11 has no os.unshare, hence ctypes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import platform
import socket
import struct

log = logging.getLogger(__name__)

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
PR_SET_PDEATHSIG = 1
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000

# (audit arch, socket syscall, io_uring_setup syscall) per machine
_ARCH = {
    "x86_64": (0xC000003E, 41, 425),
    "aarch64": (0xC00000B7, 198, 425),
}

NONE = "none"
_state = {"how": NONE}


def current() -> str:
    """How this process was cut off the network ("none" unless cut_network ran here)."""
    return _state["how"]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def cut_network(method: str = "auto") -> str:
    """Leave the network for good; returns how ("netns", "userns", "seccomp") or "none".

    `method` "seccomp" skips the namespaces (to test the fallback on a machine that has both)."""
    _state["how"] = how = _cut(method)
    return how


def _cut(method: str) -> str:
    libc = _libc()
    if method == "auto":
        for how, flags in (("netns", CLONE_NEWNET), ("userns", CLONE_NEWUSER | CLONE_NEWNET)):
            if libc.unshare(flags) == 0:
                return how
    if _seccomp(libc):
        return "seccomp"
    return NONE


def network_is_cut() -> bool:
    """True when this process cannot open a TCP connection to loopback (its own check)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            probe.connect(("127.0.0.1", 9))
    except OSError as err:
        return err.errno in {errno.ENETUNREACH, errno.EACCES, errno.EPERM, errno.EAFNOSUPPORT}
    return False


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies, so no worker is orphaned."""
    _libc().prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)


def _seccomp(libc: ctypes.CDLL) -> bool:
    arch = _ARCH.get(platform.machine())
    if arch is None:
        return False
    audit_arch, nr_socket, nr_io_uring = arch
    deny = SECCOMP_RET_ERRNO | errno.EACCES

    def stmt(code: int, k: int) -> bytes:
        return struct.pack("HBBI", code, 0, 0, k)

    def jump(code: int, k: int, jt: int, jf: int) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k)

    ld_w_abs, jeq_k, jge_k, ret_k = 0x20, 0x15, 0x35, 0x06
    program = [
        stmt(ld_w_abs, 4),  # seccomp_data.arch
        jump(jeq_k, audit_arch, 1, 0),
        stmt(ret_k, SECCOMP_RET_ERRNO | errno.ENOSYS),  # another ABI: nothing to do there
        stmt(ld_w_abs, 0),  # seccomp_data.nr
        jump(jge_k, 0x40000000, 0, 1),  # x32 system calls
        stmt(ret_k, deny),
        jump(jeq_k, nr_io_uring, 0, 1),
        stmt(ret_k, deny),
        jump(jeq_k, nr_socket, 1, 0),
        stmt(ret_k, SECCOMP_RET_ALLOW),
        stmt(ld_w_abs, 16),  # low half of args[0]: the address family
        jump(jeq_k, socket.AF_UNIX, 0, 1),
        stmt(ret_k, SECCOMP_RET_ALLOW),
        stmt(ret_k, deny),
    ]
    filters = ctypes.create_string_buffer(b"".join(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(program), ctypes.cast(filters, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) == 0


def describe(how: str) -> str:
    return {
        "netns": "query workers have no network (own network namespace)",
        "userns": "query workers have no network (own user and network namespace)",
        "seccomp": "query workers have no network (seccomp filter: Unix sockets only)",
        NONE: "WARNING: query workers could NOT be cut off the network (no namespaces, no "
        "seccomp); only the SERVICE/LOAD check stands between a query and the network",
    }.get(how, how)
