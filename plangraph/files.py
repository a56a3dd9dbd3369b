"""Reading and writing the files people hand us or keep: bounded reads, atomic writes.

A read never takes more than a stated number of bytes (`/dev/zero` is a file too). A write goes
to a temporary file beside the target and is renamed over it only when complete, so a failed run
(disk full, interrupted) leaves no half-written file; the result gets the mode an ordinary
`open()` would give it (the user's umask, or the mode of the file it replaces), not mkstemp's 0600.
Every failure is an InputError that names the file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from plangraph.errors import InputError


def read_capped(path: Path, limit: int, *, what: str = "file") -> bytes:
    """The bytes of `path`, or an InputError if it holds more than `limit` bytes."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise InputError(
            f"cannot read: {err.strerror or err} / 无法读取文件", file=str(path)
        ) from None
    if len(data) > limit:
        raise InputError(
            f"{what} larger than the limit of {limit} bytes (a device or a stream?); "
            f"PLANGRAPH_MAX_BODY_BYTES raises it / 文件超过 {limit} 字节的上限",
            file=str(path),
        )
    return data


def write_atomically(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call `write` with a binary handle whose bytes end up in `target`, all or nothing."""
    target = Path(target)
    if target.is_symlink():  # as open() does: write where the link points, keep the link
        target = target.resolve()
    folder = target.parent
    if target.is_dir():
        raise InputError(
            "is a folder; give a file name / 这是一个目录，请给出文件名", file=str(target)
        )
    if not folder.is_dir():
        raise InputError(
            f"folder {str(folder)!r} does not exist / 输出目录不存在", file=str(target)
        )
    mode = _mode_for(target)
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise _cannot_write(target, err) from None
    try:
        with _removed_on_failure(Path(temp)):
            with os.fdopen(handle, "wb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
                os.fchmod(out.fileno(), mode)
            os.replace(temp, target)
    except OSError as err:
        raise _cannot_write(target, err) from None


def write_text_atomically(target: Path, text: str) -> None:
    write_atomically(target, lambda out: out.write(text.encode("utf-8")))


def _mode_for(target: Path) -> int:
    """What `open(target, "w")` would leave: the existing file's mode, else 0666 less umask."""
    with contextlib.suppress(OSError):
        existing = target.stat()
        if stat.S_ISREG(existing.st_mode):
            return stat.S_IMODE(existing.st_mode)
    return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process umask; read from /proc where the kernel shows it, to change nothing."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # older kernels: set and restore (the CLI has one thread here)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _removed_on_failure(temp: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _cannot_write(target: Path, err: OSError) -> InputError:
    return InputError(f"cannot write: {err.strerror or err} / 无法写入", file=str(target))
