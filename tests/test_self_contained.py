"""The repository stands alone: no tracked file names a path outside it.

A user's clone has nothing beside it and no team folders: a test, a script, a doc or a data file
that names `/work/…`, `../shared/…`, `/tmp/…` or a home folder works (or reads true) only on the
authors' machine. System programs the project documents as dependencies (`/usr/bin/chromium`,
`#!/usr/bin/env`) are not such paths. ALLOWED lists files whose mentions are legitimate.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# A path outside the repository: not part of a URL (…net/work/…) or of a longer path.
OUTSIDE = re.compile(r"(?<![\w.:/-])(/work/|/home/|/root/|/Users/|/mnt/|/tmp/|(\.\./)+shared\b)")

# file → why its mentions are legitimate
ALLOWED: dict[str, str] = {
    "tests/test_self_contained.py": "the patterns this test looks for, and their examples",
}


def tracked_files() -> list[str]:
    """The files git tracks; outside a git checkout, every file but the usual untracked ones."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=60
        ).stdout
        return [name for name in out.decode("utf-8").split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "build", "dist"}
        return [
            str(p.relative_to(REPO))
            for p in REPO.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(REPO).parts)
        ]


def test_no_tracked_file_names_a_path_outside_the_repository() -> None:
    found = []
    for name in tracked_files():
        try:
            text = (REPO / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # images and other binary files
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line) and name not in ALLOWED:
                found.append(f"{name}:{number}: {line.strip()[:120]}")
    assert found == [], "paths outside the repository:\n" + "\n".join(found)


def test_the_pattern_finds_what_it_is_for() -> None:
    for outside in ["see /work/shared/seeds/x.txt", "../shared/w3c/", "cp x /tmp/y", "~ /home/a"]:
        assert OUTSIDE.search(outside), outside
    for inside in ["http://bblfish.net/work/atom-owl/", "graph/sources/x.txt", "#!/usr/bin/env"]:
        assert not OUTSIDE.search(inside), inside


def test_internal_working_notes_are_not_shipped() -> None:
    assert "docs/HELPERS.md" not in tracked_files()
