"""The documentation's quoted outputs are produced by the code, as doctest checks docstrings.

Convention (README.md and docs/*.md) — how to quote a command's output:

- Put the command and what it prints in a fenced block: each command on a line starting with
  `$ ` (continued on the next lines while a quote is open or the line ends with a backslash),
  its output below it. Mark the block with a comment on the line just above the fence:

      <!-- docs-test: run -->       the commands run in the shell, in the document's sandbox
      <!-- docs-test: server -->    the same, with a live `plangraph serve` on the sandbox's data;
                                    `http://127.0.0.1:5000` and `localhost:5000` in a command
                                    are replaced by its address

  A block that quotes output without showing the command names it in the comment:
  `<!-- docs-test: run plangraph validate x.ttl -->` (the rest of the comment is run by bash).
  Several comments may stand above one block; they are taken in order.
- What may differ: timings (`0.32 s`, `0.32 秒`) are compared as numbers-of-seconds, nothing
  else. `…` in a quoted line stands for any text on that line; a line holding only `…` stands
  for any number of lines. Trailing spaces do not count. stdout and stderr are read together.
- The sandbox: each document gets a temporary folder holding copies of ontology/ and graph/,
  used as the data (`PLANGRAPH_DATA=ontology:graph`), with `plangraph` on the PATH. Blocks are
  taken in document order, so a walkthrough builds its files as it goes. A block whose text is
  an input the reader is told to create is marked with what to do with it:

      <!-- docs-test: write PATH -->              the block becomes the file PATH
      <!-- docs-test: append-sections -->         the block is cut at lines `# graph/x.ttl`; each
                                                  part is appended to that file
      <!-- docs-test: replace PATH 'LINE' -->     the block replaces the line LINE of PATH
      <!-- docs-test: substitute PATH OLD NEW --> OLD becomes NEW in PATH (a step told in words)

- Any fenced block with a `$ ` line must be marked; test_every_quoted_command_is_marked fails
  otherwise. Figures in prose and tables (benchmarks) are not command output: they name the run
  that printed them (bench/results/).

When an output changes because the code or the data did, run the command and paste the new
output; this test says which block differs and how.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Server, start_server, stop_server

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
MARK = re.compile(r"^\s*<!--\s*docs-test:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)(```+)(.*)$")
TIMING = re.compile(r"\d+(?:\.\d+)?(?= ?(?:s\b|秒))")
LOCAL = re.compile(r"(?:https?://)?(?:127\.0\.0\.1|localhost):5000")


@dataclass
class Block:
    document: Path
    line: int  # 1-based line of the opening fence
    indent: str
    marks: list[str]  # the docs-test comments just above the fence, in order
    text: str  # the block's content, its indent removed


def blocks(document: Path) -> Iterator[Block]:
    lines = document.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        indent, fence = match.group(1), match.group(2)
        marks: list[str] = []
        above = index - 1
        while above >= 0 and (mark := MARK.match(lines[above])):
            marks.insert(0, mark.group(1))
            above -= 1
        end = index + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        body = [
            line[len(indent) :] if line.startswith(indent) else line
            for line in lines[index + 1 : end]
        ]
        yield Block(document, index + 1, indent, marks, "\n".join(body))
        index = end + 1


def commands(text: str) -> list[tuple[str, list[str], int, int]]:
    """(command, expected output lines, first and past-last line of that output) per `$ ` line."""
    found: list[tuple[str, list[str], int, int]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if not lines[index].startswith("$ "):
            index += 1
            continue
        command = lines[index][2:]
        index += 1
        while index < len(lines) and (command.endswith("\\") or not _complete(command)):
            command += "\n" + lines[index]
            index += 1
        start = index
        while index < len(lines) and not lines[index].startswith("$ "):
            index += 1
        found.append((command, lines[start:index], start, index))
    return found


def _complete(command: str) -> bool:
    try:
        shlex.split(command)
    except ValueError:
        return False
    return True


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line-wise match: `…` in a line is any text, a line of only `…` any number of lines."""
    expected = [_timeless(line) for line in expected]
    actual = [_timeless(line) for line in actual]
    while expected and not expected[-1]:
        expected.pop()
    while actual and not actual[-1]:
        actual.pop()
    pattern = "".join(
        r"(?:[^\n]*\n)*?" if line == "…" else ".*".join(map(re.escape, line.split("…"))) + r"\n"
        for line in expected
    )
    return re.fullmatch(pattern, "".join(line + "\n" for line in actual)) is not None


def _timeless(line: str) -> str:
    return TIMING.sub("0.00", line.rstrip())


class Sandbox:
    """A folder with copies of the data, where a document's commands run in order."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(REPO / "ontology", root / "ontology")
        shutil.copytree(REPO / "graph", root / "graph")
        bin_dir = str(Path(sys.executable).parent)
        # curl as in a terminal: no progress meter when its output is not one.
        (root / ".curlrc").write_text("silent\nshow-error\n", encoding="utf-8")
        self.env = {
            **os.environ,
            "CURL_HOME": str(root),
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "PLANGRAPH_DATA": os.pathsep.join(["ontology", "graph"]),
            "LC_ALL": "C.UTF-8",
        }

    def run(self, command: str, server: Server | None) -> list[str]:
        if server is not None:
            command = LOCAL.sub(server.url, command)
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            timeout=240,
        )
        return (done.stdout + done.stderr).decode("utf-8").splitlines()

    def act(self, action: list[str], text: str) -> None:
        verb, args = action[0], action[1:]
        if verb == "write":
            target = self.root / args[0]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text + "\n", encoding="utf-8")
        elif verb == "append-sections":
            parts = re.split(r"^# (graph/\S+)\n", text, flags=re.M)
            assert parts[0].strip() == "", "append-sections: the block starts with # graph/x.ttl"
            for name, part in zip(parts[1::2], parts[2::2], strict=True):
                with (self.root / name).open("a", encoding="utf-8") as out:
                    out.write("\n" + part.rstrip("\n") + "\n")
        elif verb == "replace":
            target = self.root / args[0]
            content = target.read_text(encoding="utf-8").splitlines()
            assert content.count(args[1]) == 1, f"replace: {args[1]!r} is not one line of {args[0]}"
            at = content.index(args[1])
            content[at : at + 1] = text.splitlines()
            target.write_text("\n".join(content) + "\n", encoding="utf-8")
        elif verb == "substitute":
            target = self.root / args[0]
            content = target.read_text(encoding="utf-8")
            assert args[1] in content, f"substitute: {args[1]!r} is not in {args[0]}"
            target.write_text(content.replace(args[1], args[2]), encoding="utf-8")
        else:
            raise AssertionError(f"unknown docs-test action {verb!r}")


def check_document(document: Path, root: Path, update: bool = False) -> list[str]:
    """Run a document's marked blocks in order; one message per command whose output differs.

    With `update`, the document is rewritten with what the commands printed instead."""
    sandbox = Sandbox(root)
    problems = []
    lines = document.read_text(encoding="utf-8").splitlines()
    replacements: list[tuple[int, int, list[str]]] = []
    for block in blocks(document):
        where = f"{document.relative_to(REPO)}:{block.line}"
        for mark in block.marks:
            verb, _, rest = mark.partition(" ")
            if verb not in {"run", "server"}:
                sandbox.act(shlex.split(mark), block.text)
                continue
            quoted = commands(block.text)
            if rest:  # the command is in the comment, the block is all output
                body = block.text.splitlines()
                quoted = [(rest, body, 0, len(body))]
            assert quoted, f"{where}: a marked block without a command"
            server = _serve(root) if verb == "server" else None
            try:
                for command, expected, start, end in quoted:
                    actual = sandbox.run(command, server)
                    if matches(expected, actual):
                        continue
                    diff = difflib.unified_diff(expected, actual, "quoted", "printed", lineterm="")
                    problems.append(
                        f"{where}: `{command}` printed something else:\n" + "\n".join(diff)
                    )
                    replacements.append(
                        (block.line + start, block.line + end, [block.indent + a for a in actual])
                    )
            finally:
                if server is not None:
                    stop_server(server)
    if update:
        for start, end, new in sorted(replacements, reverse=True):
            lines[start:end] = [line.rstrip() for line in new]
        document.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return problems


def _serve(root: Path) -> Server:
    """A server on the sandbox's data as it is now."""
    return start_server("--data", "ontology", "graph", log_dir=root.parent, cwd=root)


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.name for d in DOCUMENTS])
def test_quoted_outputs_are_what_the_commands_print(document: Path, tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("SKIPPED LOUDLY: the examples use curl (Debian curl; `make system-deps`)")
    problems = check_document(document, tmp_path / "sandbox")
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.name for d in DOCUMENTS])
def test_every_quoted_command_is_marked(document: Path) -> None:
    unmarked = [
        f"{document.name}:{b.line}"
        for b in blocks(document)
        if not b.marks and any(line.startswith("$ ") for line in b.text.splitlines())
    ]
    assert unmarked == [], "blocks quoting a command need <!-- docs-test: … -->"


def test_matching_ellipses_and_timings() -> None:
    assert matches(["a … c", "…", "z 1.00 s"], ["a b c", "x", "y", "z 0.31 s"])
    assert matches(["合计：3 个三元组，0.33 秒。"], ["合计：3 个三元组，1.20 秒。"])
    assert not matches(["6614 triples"], ["6628 triples"])
    assert not matches(["a", "b"], ["a"])
    assert not matches(["a … c"], ["a b d"])


if __name__ == "__main__":
    # python tests/test_docs.py [--update] [FILE.md …]: check, or paste what the commands print
    # into the blocks that differ (then shorten long outputs again with `…` where wanted).
    import tempfile

    sys.path.insert(0, str(Path(__file__).parent))
    update = "--update" in sys.argv
    names = [a for a in sys.argv[1:] if a != "--update"]
    for document in [Path(n).resolve() for n in names] or DOCUMENTS:
        with tempfile.TemporaryDirectory() as temp:
            for problem in check_document(document, Path(temp) / "sandbox", update):
                print(problem, end="\n\n")
