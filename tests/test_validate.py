"""Validation as curators and programs use it: `plangraph validate` and POST /validate.

Exit status 0 (no violation), 1 (violations, or warnings with --strict), 2 (input unreadable);
HTTP 200 with the report, 400 for a body that cannot be parsed, 413 over the limit, 415 for a
Content-Type that is not RDF. Bad input never gives a traceback: one line, with file:line:col.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import requests
from rdflib import Dataset, Graph, URIRef

from plangraph.namespace import SH
from tests.conftest import DATA, PLANGRAPH, REPO, Server, ServerFactory

CASES = DATA / "shapes"
BAD = CASES / "bad-input"
XICHENG = "https://w3id.org/plangraph/edition/xc-jinke-2021"
XICHENG_FILE = REPO / "graph" / "xc-jinke-2021.ttl"
TEST_EDITION = "https://w3id.org/plangraph/edition/shapes-test-2021"


def validate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PLANGRAPH, "validate", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


# --- the command ------------------------------------------------------------------------------


def test_shipped_graph_passes_and_reports_xicheng_warnings() -> None:
    result = validate()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "合计：0 项违规" in out
    assert f"<{XICHENG}>" in out
    assert "印发机构仅为推断" in out  # the Xicheng issuer is inferred
    assert "没有中文标题" in out  # its only source is English
    assert "通过（退出码 0；警告只在 --strict 时导致失败）" in out


def test_report_is_grouped_by_edition_then_severity() -> None:
    out = validate("--lang", "en").stdout
    headings = [line for line in out.splitlines() if line.startswith("■ ")]
    assert [h.rsplit("<", 1)[1].rstrip(">") for h in headings] == sorted(
        h.rsplit("<", 1)[1].rstrip(">") for h in headings
    )
    assert any(XICHENG in h for h in headings)
    xicheng = out[out.index(f"<{XICHENG}>") :]
    assert xicheng.index("Warnings (the data is incomplete)") < xicheng.index("▸")


def test_english_messages_with_lang_en() -> None:
    result = validate(XICHENG_FILE, "--lang", "en")
    assert result.returncode == 0
    assert "The issuer is only inferred: no issuing involvement" in result.stdout
    assert "Total: 0 violations" in result.stdout


def test_strict_fails_on_warnings() -> None:
    result = validate(XICHENG_FILE, "--strict")
    assert result.returncode == 1
    assert "未通过（退出码 1）" in result.stdout


def test_violations_exit_1_naming_focus_path_and_message() -> None:
    result = validate(CASES / "task-without-text.ttl", "--lang", "en")
    assert result.returncode == 1
    out = result.stdout
    assert f"Build a blockchain platform <{TEST_EDITION}/task/1>" in out
    assert "path pg:text" in out
    assert "A task needs its text (pg:text" in out
    assert "Fails (exit status 1)" in out


def test_clean_edition_says_so() -> None:
    result = validate(CASES / "valid-edition.ttl", "--lang", "en")
    assert result.returncode == 0
    assert "No problems found." in result.stdout
    assert "Loaded alongside (not reported): ontology/plangraph.ttl" in result.stdout


def test_json_report_counts_and_results() -> None:
    result = validate(XICHENG_FILE, "--format", "json", "--lang", "en")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["counts"]["Violation"] == 0
    assert report["passes"] is True and report["conforms"] is False
    assert report["validated"] == ["graph/xc-jinke-2021.ttl"]
    [edition] = report["editions"]
    assert edition["edition"] == XICHENG
    shapes = {r["sourceShape"] for r in edition["results"]}
    assert "pgsh:PlanEditionStatedIssuerShape" in shapes
    issuer = next(
        r for r in edition["results"] if r["sourceShape"] == "pgsh:PlanEditionStatedIssuerShape"
    )
    assert issuer == {
        "severity": "Warning",
        "focusNode": XICHENG,
        "focusLabel": issuer["focusLabel"],
        "path": None,
        "value": f"<{XICHENG}>",
        "message": issuer["messages"]["en"],
        "messages": issuer["messages"],
        "sourceConstraintComponent": "sh:OrConstraintComponent",
        "sourceShape": "pgsh:PlanEditionStatedIssuerShape",
    }
    assert set(issuer["messages"]) == {"zh", "en"}


def test_turtle_report_is_a_standard_validation_report() -> None:
    result = validate(CASES / "task-without-text.ttl", "--format", "turtle")
    assert result.returncode == 1
    graph = Graph().parse(data=result.stdout, format="turtle")
    [report] = graph.subjects(predicate=SH.conforms)
    assert (report, SH.conforms, None) in graph
    assert graph.value(report, SH.conforms).toPython() is False
    [res] = graph.objects(report, SH.result)
    assert graph.value(res, SH.focusNode) == URIRef(f"{TEST_EDITION}/task/1")
    assert graph.value(res, SH.resultPath) == URIRef("https://w3id.org/plangraph/ontology#text")
    assert graph.value(res, SH.resultSeverity) == SH.Violation
    assert graph.value(res, SH.sourceConstraintComponent) == SH.MinCountConstraintComponent
    assert {m.language for m in graph.objects(res, SH.resultMessage)} == {"zh", "en"}


def test_unknown_class_is_a_warning_not_a_failure() -> None:
    result = validate(CASES / "unknown-class.ttl", "--lang", "en")
    assert result.returncode == 0
    assert "Unknown term pg:Traget" in result.stdout


def test_a_changed_registry_copy_is_validated_instead_of_the_shipped_one(tmp_path: Path) -> None:
    registry = tmp_path / "institutions.ttl"
    text = (REPO / "graph" / "institutions.ttl").read_text(encoding="utf-8")
    registry.write_text(
        text.replace(
            "<institution/xicheng-government> a pg:GovernmentBody ;",
            "<institution/xicheng-government>",
        ),
        encoding="utf-8",
    )
    result = validate(registry, REPO / "graph" / "bj-jinke-2020.ttl", "--format", "json")
    assert result.returncode == 1, result.stderr
    focus = {
        (r["focusNode"], r["sourceShape"])
        for e in json.loads(result.stdout)["editions"]
        for r in e["results"]
    }
    assert (
        "https://w3id.org/plangraph/institution/xicheng-government",
        "pgsh:Institution-type",
    ) in focus


# --- bad input: exit 2 and one clear line --------------------------------------------------------

BAD_INPUTS = {
    "empty-file": (BAD / "empty.ttl", "empty.ttl: no RDF statements: the file is empty"),
    "not-rdf": (BAD / "not-rdf.ttl", "not-rdf.ttl:1:1: Turtle syntax error"),
    "syntax-error": (BAD / "syntax-error.ttl", "syntax-error.ttl:8:1: Turtle syntax error"),
    "gbk": (BAD / "edition-in-gbk.ttl", "edition-in-gbk.ttl:7:17: not UTF-8 text (GBK/GB18030?"),
    "undefined-prefix": (
        BAD / "undefined-prefix.ttl",
        "undefined-prefix.ttl:6:29: Turtle syntax error / 语法错误: The prefix pgx: has not been "
        "declared",
    ),
    "not-an-rdf-file-name": (BAD / "plan-text.txt", "unknown RDF file extension '.txt'"),
    "missing-file": (BAD / "no-such-edition.ttl", "no such file or folder"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_exits_2_with_one_line(name: str) -> None:
    path, message = BAD_INPUTS[name]
    result = validate(path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("plangraph: ")
    assert message in result.stderr


def test_50_mb_file_is_refused_at_once(tmp_path: Path) -> None:
    big = tmp_path / "big-edition.ttl"
    line = (
        "<https://w3id.org/plangraph/edition/big-2021/task/{n}> "
        '<http://www.w3.org/2000/01/rdf-schema#label> "第{n}项任务"@zh .\n'
    )
    with big.open("w", encoding="utf-8") as out:
        n = 0
        while out.tell() < 50 * 1024 * 1024:
            out.write("".join(line.format(n=n + i) for i in range(1000)))
            n += 1000
    started = time.monotonic()
    result = validate(big)
    assert time.monotonic() - started < 10
    assert result.returncode == 2
    assert "big-edition.ttl: file too large to validate (50.1 MiB > limit 10.0 MiB" in result.stderr


# --- over HTTP --------------------------------------------------------------------------------


def post(server: Server, body: bytes, content_type: str, **kwargs: object) -> requests.Response:
    headers = {"Content-Type": content_type, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    return requests.post(server.url + "/validate", data=body, headers=headers, timeout=60, **kwargs)


def test_http_turtle_body_gives_the_json_report(live_server: Server) -> None:
    response = post(live_server, XICHENG_FILE.read_bytes(), "text/turtle")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    report = response.json()
    assert report["counts"]["Violation"] == 0 and report["passes"] is True
    assert [e["edition"] for e in report["editions"]] == [XICHENG]
    assert report["validated"] == ["request body"]


def test_http_report_matches_the_command(live_server: Server) -> None:
    body = (CASES / "task-without-text.ttl").read_bytes()
    over_http = post(live_server, body, "text/turtle", params={"lang": "en"}).json()
    from_cli = json.loads(
        validate(CASES / "task-without-text.ttl", "-f", "json", "--lang", "en").stdout
    )
    assert over_http["editions"] == from_cli["editions"]
    assert over_http["passes"] is False and over_http["counts"]["Violation"] == 1


def test_http_turtle_report_by_conneg(live_server: Server) -> None:
    body = (CASES / "task-without-text.ttl").read_bytes()
    response = post(live_server, body, "text/turtle", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    [result] = graph.objects(None, SH.result)
    assert graph.value(result, SH.sourceConstraintComponent) == SH.MinCountConstraintComponent


def test_http_text_report_in_english(live_server: Server) -> None:
    response = post(
        live_server,
        XICHENG_FILE.read_bytes(),
        "text/turtle",
        headers={"Accept": "text/plain"},
        params={"lang": "en"},
    )
    assert response.status_code == 200
    assert "Warnings (the data is incomplete)" in response.text


def test_http_trig_and_json_ld_bodies(live_server: Server) -> None:
    turtle = (CASES / "valid-edition.ttl").read_bytes()
    dataset = Dataset()
    dataset.graph(URIRef(TEST_EDITION)).parse(data=turtle, format="turtle")
    trig = post(live_server, dataset.serialize(format="trig").encode(), "application/trig")
    assert trig.status_code == 200, trig.text
    assert trig.json()["conforms"] is True
    jsonld = Graph().parse(data=turtle, format="turtle").serialize(format="json-ld")
    response = post(live_server, jsonld.encode(), "application/ld+json")
    assert response.status_code == 200, response.text
    assert response.json()["conforms"] is True
    broken = (CASES / "task-without-text.ttl").read_bytes()
    as_jsonld = Graph().parse(data=broken, format="turtle").serialize(format="json-ld")
    report = post(live_server, as_jsonld.encode(), "application/ld+json").json()
    assert report["counts"]["Violation"] == 1


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (
            (BAD / "syntax-error.ttl").read_bytes(),
            "text/turtle",
            400,
            "request body:8:1: Turtle syntax error",
        ),
        (
            (BAD / "undefined-prefix.ttl").read_bytes(),
            "text/turtle",
            400,
            "request body:6:29: Turtle syntax error / 语法错误: The prefix pgx: has not been "
            "declared",
        ),
        ((BAD / "edition-in-gbk.ttl").read_bytes(), "text/turtle", 400, "not UTF-8 text"),
        (b"", "text/turtle", 400, "no RDF statements"),
        (b"{ not json", "application/ld+json", 400, "JSON-LD syntax error"),
        (
            (CASES / "valid-edition.ttl").read_bytes(),
            "text/plain",
            415,
            "unsupported Content-Type text/plain",
        ),
    ],
    ids=["syntax-error", "undefined-prefix", "gbk", "empty", "bad-json-ld", "not-rdf-media-type"],
)
def test_http_bad_bodies_get_one_line(
    live_server: Server, body: bytes, content_type: str, status: int, message: str
) -> None:
    response = post(live_server, body, content_type)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text.count("\n") == 1 and message in response.text


def test_http_no_acceptable_report_format_is_406(live_server: Server) -> None:
    response = post(
        live_server, XICHENG_FILE.read_bytes(), "text/turtle", headers={"Accept": "image/png"}
    )
    assert response.status_code == 406


def test_http_body_over_the_limit_is_413(server_factory: ServerFactory) -> None:
    server = server_factory(env={"PLANGRAPH_MAX_BODY_BYTES": "20000"})
    body = XICHENG_FILE.read_bytes()
    assert len(body) > 20000
    response = post(server, body, "text/turtle")
    assert response.status_code == 413
    assert "over the limit of 20000 bytes" in response.text


def test_http_50_mb_body_is_413(live_server: Server) -> None:
    body = b"<urn:a> <urn:b> <urn:c> .\n" * (50 * 1024 * 1024 // 26 + 1)
    response = post(live_server, body, "text/turtle")
    assert response.status_code == 413
