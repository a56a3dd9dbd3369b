"""`plangraph ingest` and `POST /ingest` as users run them: subprocess and a live server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import requests
from conftest import PLANGRAPH, REPO, SOURCES, Server

DATA = Path(__file__).parent / "data" / "ingest"
SHANGHAI = SOURCES / "sh-fintech-2020.txt"
BEIJING = SOURCES / "bj-jinke-2020.txt"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PLANGRAPH, *args], capture_output=True, text=True, cwd=REPO, timeout=120
    )


def test_cli_writes_a_draft_that_parses(tmp_path: Path) -> None:
    out = tmp_path / "sh.ttl"
    done = run("ingest", str(SHANGHAI), "--edition-id", "sh-fintech-2020-x", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "25 task" in done.stderr
    quads = list(ox.parse(out.read_bytes(), format=ox.RdfFormat.TURTLE))
    assert len(quads) > 500
    assert [p.name for p in tmp_path.iterdir()] == ["sh.ttl"]  # no temporary file left


def test_cli_refuses_a_text_without_structure_and_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "draft.ttl"
    done = run("ingest", str(DATA / "no-structure.txt"), "--edition-id", "x-1", "-o", str(out))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no plan structure" in lines[0] and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_a_binary_file_with_exit_2(tmp_path: Path) -> None:
    done = run("ingest", str(DATA / "binary.png"), "--edition-id", "x-1")
    assert done.returncode == 2 and "binary file" in done.stderr and not done.stdout


def test_drafts_of_both_texts_pass_validation(tmp_path: Path) -> None:
    bj, sh = tmp_path / "bj-draft.ttl", tmp_path / "sh-draft.ttl"
    assert (
        run(
            "ingest",
            str(BEIJING),
            "--edition-id",
            "bj-draft",
            "--issuer",
            "xicheng-government,haidian-government",
            "-o",
            str(bj),
        ).returncode
        == 0
    )
    assert run("ingest", str(SHANGHAI), "--edition-id", "sh-draft", "-o", str(sh)).returncode == 0
    done = run("validate", "--format", "json", str(bj), str(sh))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr


def test_post_ingest_plain_text_gives_turtle(live_server: Server) -> None:
    response = requests.post(
        live_server.url + "/ingest",
        params={"edition-id": "sh-fintech-2020-x"},
        data=SHANGHAI.read_bytes(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/turtle")
    store = ox.Store()
    store.load(response.content, format=ox.RdfFormat.TURTLE)
    tasks = store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?t a <https://w3id.org/plangraph/ontology#Task> }"
    )
    assert int(next(iter(tasks))["n"].value) == 25


def test_post_ingest_form_field_and_gbk_body(live_server: Server) -> None:
    form = requests.post(
        live_server.url + "/ingest",
        data={"edition-id": "test-flat", "text": (DATA / "flat.txt").read_text("utf-8")},
        timeout=60,
    )
    assert form.status_code == 200 and "支持人才引进" in form.text
    gbk = requests.post(
        live_server.url + "/ingest?edition-id=test-gbk",
        data=(DATA / "fullwidth-tags-gbk.txt").read_bytes(),
        headers={"Content-Type": "text/plain"},
        timeout=60,
    )
    assert gbk.status_code == 200 and "GB18030" in gbk.text


def test_post_ingest_bad_input_is_400_with_one_line(live_server: Server) -> None:
    for params, body, expected in [
        ({}, "一、测试。内容。", "edition-id"),
        ({"edition-id": "x-1"}, (DATA / "no-structure.txt").read_bytes(), "no plan structure"),
        ({"edition-id": "x-1"}, b"", "empty"),
    ]:
        response = requests.post(
            live_server.url + "/ingest",
            params=params,
            data=body,
            timeout=60,
            headers={"Content-Type": "text/plain"},
        )
        assert response.status_code == 400
        assert expected in response.text and response.text.count("\n") == 1


def test_post_ingest_over_the_size_limit_is_413(server_factory: Callable[..., Server]) -> None:
    server = server_factory(env={"PLANGRAPH_MAX_BODY_BYTES": "4096"})
    response = requests.post(
        server.url + "/ingest?edition-id=sh-fintech-2020",
        data=SHANGHAI.read_bytes(),
        headers={"Content-Type": "text/plain"},
        timeout=60,
    )
    assert response.status_code == 413
    assert sys.getsizeof(response.text) < 2000


def test_cli_writes_the_review_report_as_markdown_and_json(tmp_path: Path) -> None:
    import json

    draft, md, js = tmp_path / "d.ttl", tmp_path / "review.md", tmp_path / "review.json"
    text = str(DATA / "inline-tags.txt")
    done = run("ingest", text, "--edition-id", "hz-test", "-o", str(draft), "--report", str(md))
    assert done.returncode == 0, done.stderr
    assert "## 新机构 / new institution" in md.read_text("utf-8")
    done = run("ingest", text, "--edition-id", "hz-test", "-o", str(draft), "--report", str(js))
    assert done.returncode == 0, done.stderr
    kinds = {item["kind"] for item in json.loads(js.read_text("utf-8"))["review"]}
    assert {"new institution", "collective"} <= kinds


def test_cli_refuses_a_report_of_unknown_format_before_writing_anything(tmp_path: Path) -> None:
    out = tmp_path / "d.ttl"
    done = run(
        "ingest",
        str(DATA / "flat.txt"),
        "--edition-id",
        "x-1",
        "-o",
        str(out),
        "--report",
        str(tmp_path / "review.txt"),
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_an_edition_id_already_shipped_and_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "d.ttl"
    done = run("ingest", str(DATA / "flat.txt"), "--edition-id", "bj-jinke-2020", "-o", str(out))
    assert done.returncode == 2 and "already an edition" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and list(tmp_path.iterdir()) == []


def test_cli_refuses_an_unsupported_encoding_and_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "d.ttl"
    done = run("ingest", str(DATA / "utf-32.txt"), "--edition-id", "x-1", "-o", str(out))
    assert done.returncode == 2 and "UTF-32" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_post_ingest_with_report_json_gives_the_draft_and_its_review(
    live_server: Server,
) -> None:
    response = requests.post(
        live_server.url + "/ingest",
        params={"edition-id": "hz-test", "report": "json"},
        data=(DATA / "inline-tags.txt").read_bytes(),
        headers={"Content-Type": "text/plain"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["turtle"].startswith("# Draft edition hz-test")
    assert any(i["kind"] == "collective" and i["text"] == "市有关部门" for i in body["review"])
    markdown = requests.post(
        live_server.url + "/ingest",
        params={"edition-id": "hz-test", "report": "md"},
        data=(DATA / "inline-tags.txt").read_bytes(),
        headers={"Content-Type": "text/plain"},
        timeout=60,
    )
    assert markdown.headers["Content-Type"].startswith("text/markdown")
    bad = requests.post(
        live_server.url + "/ingest",
        params={"edition-id": "hz-test", "report": "xml"},
        data=(DATA / "inline-tags.txt").read_bytes(),
        headers={"Content-Type": "text/plain"},
        timeout=60,
    )
    assert bad.status_code == 400 and bad.text.count("\n") == 1


def test_post_ingest_with_a_shipped_edition_id_is_400(live_server: Server) -> None:
    response = requests.post(
        live_server.url + "/ingest?edition-id=sh-fintech-2020",
        data=SHANGHAI.read_bytes(),
        headers={"Content-Type": "text/plain"},
        timeout=60,
    )
    assert response.status_code == 400 and "already an edition" in response.text
