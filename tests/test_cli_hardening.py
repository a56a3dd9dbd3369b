"""Regression tests for the CLI cases of issue 10 and the store folder, run as a user runs them.

Each case once ended in a traceback, a wrong exit status, a file left behind, an unbounded read,
or deleted files. Now: one line on stderr saying what and where, exit 2, nothing half-written.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from plangraph import store
from plangraph.errors import InputError
from plangraph.validate import validate_bytes
from tests.conftest import DATA, PLANGRAPH, REPO, Server, free_port

CLI_DATA = DATA / "cli"
MINI = str(DATA / "mini")
PLAN_TEXT = DATA / "ingest" / "chapters.txt"


def plangraph(
    *args: str, umask: int = 0o022, memory: int | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the CLI with a known umask, and optionally an address-space limit (so that an
    unbounded read fails fast instead of eating the machine's memory)."""

    def limits() -> None:
        os.umask(umask)
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [*PLANGRAPH, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
        preexec_fn=limits,
    )


def assert_one_line_exit_2(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("plangraph: "), result.stderr
    for word in words:
        assert word in lines[0], result.stderr


def ingest(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return plangraph("ingest", str(PLAN_TEXT), "--edition-id", "x-2024", *args, **kwargs)  # type: ignore[arg-type]


# --- ingest -o ---------------------------------------------------------------------------------


def test_ingest_into_a_missing_folder_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "draft.ttl"
    assert_one_line_exit_2(ingest("-o", str(target)), str(target), "does not exist")
    assert list(tmp_path.iterdir()) == []


def test_ingest_onto_a_folder_is_one_line_and_leaves_it_alone(tmp_path: Path) -> None:
    folder = tmp_path / "drafts"
    folder.mkdir()
    (folder / "kept.ttl").write_text("# mine\n")
    assert_one_line_exit_2(ingest("-o", str(folder)), str(folder), "folder")
    assert [p.name for p in tmp_path.iterdir()] == ["drafts"]  # no temporary file beside it
    assert [p.name for p in folder.iterdir()] == ["kept.ttl"]


def test_ingest_of_an_endless_device_stops_at_the_size_limit() -> None:
    # 1 GiB of address space: an unbounded read of /dev/zero dies of it within seconds.
    result = plangraph("ingest", "/dev/zero", "--edition-id", "x-2024", memory=2**30, timeout=60)
    assert_one_line_exit_2(result, "/dev/zero", "limit")


# --- files written with the user's umask, whole ----------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640)])
def test_a_draft_gets_the_mode_the_umask_gives(tmp_path: Path, umask: int, mode: int) -> None:
    target = tmp_path / "draft.ttl"
    result = ingest("-o", str(target), umask=umask)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["draft.ttl"]


def test_an_export_gets_the_mode_the_umask_gives(tmp_path: Path) -> None:
    target = tmp_path / "all.nq"
    result = plangraph("export", "-f", "nquads", "-o", str(target), "--data", MINI, umask=0o027)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text().count("\n") > 10
    assert [p.name for p in tmp_path.iterdir()] == ["all.nq"]


def test_an_export_replacing_a_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "all.ttl"
    target.write_text("old")
    target.chmod(0o600)
    result = plangraph("export", "-f", "turtle", "-o", str(target), "--data", MINI)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text() != "old"


def test_an_export_onto_a_folder_is_one_line(tmp_path: Path) -> None:
    result = plangraph("export", "-f", "turtle", "-o", str(tmp_path), "--data", MINI)
    assert_one_line_exit_2(result, str(tmp_path), "folder")
    assert list(tmp_path.iterdir()) == []


# --- validate ----------------------------------------------------------------------------------


def test_validate_of_an_empty_folder_is_exit_2_not_a_pass(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not RDF\n")
    assert_one_line_exit_2(plangraph("validate", str(tmp_path)), str(tmp_path), "no RDF files")


def test_validate_refuses_rdfxml_entity_expansion_before_parsing() -> None:
    path = CLI_DATA / "entity-expansion.rdf"
    result = plangraph("validate", str(path), memory=2**31)
    assert_one_line_exit_2(result, f"{path.relative_to(REPO)}:4:2", "entity")


def test_validate_refuses_an_external_dtd() -> None:
    path = CLI_DATA / "external-dtd.rdf"
    assert_one_line_exit_2(plangraph("validate", str(path)), "external-dtd.rdf:2:1", "DTD")


def test_rdfxml_without_entities_is_still_read() -> None:
    result = plangraph("validate", str(CLI_DATA / "no-entities.rdf"))
    assert result.returncode in {0, 1}, result.stderr  # validated, whatever the verdict
    assert "no-entities.rdf" in result.stdout


def test_validating_an_rdfxml_body_with_entities_is_a_400() -> None:
    """The loader and the POST /validate path share parse_bytes: refused there, as a 400."""
    body = (CLI_DATA / "entity-expansion.rdf").read_bytes()
    with pytest.raises(InputError) as caught:
        validate_bytes(body, store.FORMATS[".rdf"], data=[DATA / "mini"])
    assert caught.value.status == 400
    assert (caught.value.line, caught.value.column) == (4, 2)


# --- serve -------------------------------------------------------------------------------------


def test_serve_on_a_port_in_use_fails_before_saying_serving() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = plangraph("serve", "--port", str(port), "--data", MINI, timeout=60)
    assert_one_line_exit_2(result, f"127.0.0.1:{port}", "in use")
    assert "serving" not in result.stderr


def test_serve_store_refuses_a_folder_that_is_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("my notes\n")
    (tmp_path / "sub").mkdir()
    port = str(free_port())
    result = plangraph("serve", "--port", port, "--data", MINI, "--store", str(tmp_path))
    assert_one_line_exit_2(result, str(tmp_path), "not a plangraph store")
    assert (tmp_path / "notes.txt").read_text() == "my notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "sub"]


def test_serve_store_refuses_a_file(tmp_path: Path) -> None:
    path = tmp_path / "store"
    path.write_text("a file\n")
    port = str(free_port())
    result = plangraph("serve", "--port", port, "--data", MINI, "--store", str(path))
    assert_one_line_exit_2(result, str(path), "folder")
    assert path.read_text() == "a file\n"


def test_an_empty_folder_becomes_a_store_and_is_rebuilt_when_sources_change(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.ttl").write_text("<https://example.org/a> <https://example.org/p> 1 .\n")
    folder = tmp_path / "store"
    folder.mkdir()
    first = store.load([data], folder)
    assert len(first) == 1 and not first.reopened
    manifest = json.loads((folder / store.MANIFEST).read_text())
    assert manifest["files"], manifest
    del first
    (data / "b.ttl").write_text("<https://example.org/b> <https://example.org/p> 2 .\n")
    second = store.load([data], folder)
    assert len(second) == 2 and not second.reopened


def test_a_store_whose_build_was_cut_short_is_rebuilt(tmp_path: Path) -> None:
    """The marker is written before anything else: a half-built store is still ours."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.ttl").write_text("<https://example.org/a> <https://example.org/p> 1 .\n")
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / store.MANIFEST).write_text(json.dumps({"files": None}))
    (folder / "000001.sst").write_bytes(b"half a table")
    graph = store.load([data], folder)
    assert len(graph) == 1
    assert not (folder / "000001.sst").exists()


# --- error bodies ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mini(server_factory: Callable[..., Server]) -> Server:
    return server_factory("--data", MINI)


@pytest.mark.parametrize(
    "path",
    [
        "/queries/" + "A" * 5000,
        "/dumps/" + "A" * 5000,
        "/gsp?graph=https://example.org/" + "A" * 5000,
        "/resource/" + "A" * 5000,
    ],
)
def test_error_bodies_do_not_echo_long_input(mini: Server, path: str) -> None:
    response = requests.get(mini.url + path, timeout=10)
    assert 400 <= response.status_code < 500
    body = response.text
    assert body.endswith("\n") and body.count("\n") == 1, body
    assert "A" * 81 not in body
    assert len(body) <= 420


def test_error_bodies_escape_control_characters(mini: Server) -> None:
    response = requests.get(
        mini.url + "/gsp", params={"graph": "https://example.org/x\x1b[31m\ry"}, timeout=10
    )
    assert response.status_code == 404
    assert "\x1b" not in response.text and "\r" not in response.text
    assert "\\x1b[31m\\ry" in response.text


def test_a_long_accept_header_is_not_echoed(mini: Server) -> None:
    response = requests.get(
        mini.sparql,
        params={"query": "ASK {}"},
        headers={"Accept": "x/" + "A" * 3000},
        timeout=10,
    )
    assert response.status_code == 406
    assert "A" * 81 not in response.text and len(response.text) <= 420


def test_a_cli_error_names_a_long_path_whole_and_escapes_control_characters(
    tmp_path: Path,
) -> None:
    folder = tmp_path / ("deep-" * 12) / ("deeper-" * 12)
    folder.mkdir(parents=True)
    bad = folder / "broken.ttl"
    bad.write_text("<https://example.org/a> <https://example.org/p> .\n")
    result = plangraph("validate", str(bad))
    assert_one_line_exit_2(result, f"{bad}:1:")
    param = plangraph("query", "tasks-by-institution", "--param", "x\x1b[31m" + "y" * 200)
    assert_one_line_exit_2(param, "\\x1b[31m")
    assert "\x1b" not in param.stderr and "y" * 81 not in param.stderr


def test_an_export_through_a_symlink_writes_where_it_points(tmp_path: Path) -> None:
    real = tmp_path / "real.ttl"
    real.write_text("old")
    link = tmp_path / "link.ttl"
    link.symlink_to(real)
    result = plangraph("export", "-f", "turtle", "-o", str(link), "--data", MINI)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and real.read_text() != "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.ttl", "real.ttl"]


def test_an_update_journalled_after_a_torn_line_survives_a_rebuild(tmp_path: Path) -> None:
    """A crash mid-append leaves a last line without its newline (never acknowledged); the next
    accepted update must not run into it, or a rebuild would drop that update too."""
    data = tmp_path / "data"
    data.mkdir()
    source = data / "a.ttl"
    source.write_text("<https://example.org/a> <https://example.org/p> 1 .\n")
    graph = store.load([data], tmp_path / "store")
    with (tmp_path / "store" / store.JOURNAL).open("a") as journal:
        journal.write('{"remove": "", "add": "<https://example.org/torn> <https://exa')
    added = b'<https://example.org/c> <https://example.org/p> "3" <https://example.org/g> .\n'
    store.record_update(graph, b"", added)
    del graph
    os.utime(source)  # a touched source: the store is rebuilt and the journal replayed
    rebuilt = store.load([data], tmp_path / "store")
    assert {q.subject.value for q in rebuilt.store} == {
        "https://example.org/a",
        "https://example.org/c",
    }
