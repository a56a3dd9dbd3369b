"""The HTML pages as readers get them: what each page must show, checked against SPARQL answers
from the same server, the two languages, the links to data and queries, and escaping."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import requests

from tests.conftest import REPO, Server

BASE = "https://w3id.org/plangraph/"
PG = BASE + "ontology#"
HTML = {"Accept": "text/html", "Accept-Language": "zh-CN,zh;q=0.9"}


def page(server: Server, path: str, **headers: str) -> requests.Response:
    response = requests.get(server.url + path, headers={**HTML, **headers}, timeout=30)
    assert response.status_code == 200, (path, response.text[:300])
    assert response.headers["Content-Type"].startswith("text/html")
    return response


def select(server: Server, query: str) -> list[dict[str, str]]:
    response = requests.post(
        server.sparql,
        data={
            "query": f"PREFIX pg: <{PG}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "PREFIX oa: <http://www.w3.org/ns/oa#>\n" + query
        },
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return [
        {k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]
    ]


def text_of(markup: str) -> str:
    """The page's text as a reader sees it (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def local(iri: str) -> str:
    return "/" + iri[len(BASE) :]


def row_cells(markup: str, href: str) -> list[str]:
    """The numeric cells of the table row that links to `href`."""
    for row in re.findall(r"<tr>(.*?)</tr>", markup, re.S):
        if f'href="{href}"' in row:
            return re.findall(r'<td class="n">([^<]*)</td>', row)
    raise AssertionError(f"no table row links to {href}")


# --- home ----------------------------------------------------------------------------------


def test_home_lists_every_plan_and_edition_with_its_counts(live_server: Server) -> None:
    markup = page(live_server, "/").text
    editions = select(
        live_server,
        """SELECT ?edition ?plan (COUNT(DISTINCT ?task) AS ?tasks) WHERE {
             ?edition a pg:PlanEdition . OPTIONAL { ?edition pg:editionOf ?plan }
             OPTIONAL { ?task a pg:Task ; pg:inEdition ?edition } } GROUP BY ?edition ?plan""",
    )
    assert len(editions) >= 3
    for row in editions:
        if "plan" in row:
            assert f'href="{local(row["plan"])}"' in markup
        cells = row_cells(markup, local(row["edition"]))
        # principles, goals, targets, task areas, tasks, zones, institutions
        assert cells[4] == row["tasks"], (row["edition"], cells)
    assert 'href="/.well-known/void' in markup
    assert 'href="/sparql"' in markup


def test_home_lists_institutions_and_themes(live_server: Server) -> None:
    markup = page(live_server, "/").text
    for row in select(live_server, "SELECT ?i WHERE { ?i a/rdfs:subClassOf* pg:Institution }"):
        assert f'href="{local(row["i"])}"' in markup, row["i"]
    assert 'href="/theme/blockchain"' in markup


# --- edition -------------------------------------------------------------------------------


def test_edition_page_shows_the_structure_as_the_text_has_it(live_server: Server) -> None:
    edition = BASE + "edition/bj-jinke-2020"
    markup = page(live_server, local(edition)).text
    text = text_of(markup)
    elements = select(
        live_server,
        f"""SELECT ?e ?class ?heading WHERE {{
              ?e pg:inEdition <{edition}> ; a ?class . OPTIONAL {{ ?e pg:heading ?heading }}
              VALUES ?class {{ pg:Principle pg:Goal pg:TaskArea pg:Task }} }}""",
    )
    assert {r["class"] for r in elements} == {
        PG + c for c in ("Principle", "Goal", "TaskArea", "Task")
    }
    for row in elements:
        assert f'href="{local(row["e"])}"' in markup, row["e"]
        if "heading" in row:
            assert row["heading"] in text
    # Tasks appear under their area, in order.
    areas = select(
        live_server,
        f"""SELECT ?area ?task ?n WHERE {{ ?task pg:inTaskArea ?area ; pg:number ?n .
              ?area pg:inEdition <{edition}> }} ORDER BY ?n""",
    )
    positions = [markup.index(f'href="{local(r["task"])}"') for r in areas]
    assert positions == sorted(positions)
    first_area = markup.index(f'href="{local(areas[0]["area"])}"')
    assert first_area < positions[0]


def test_edition_page_contents_links_land_on_sections(live_server: Server) -> None:
    for edition in ("bj-jinke-2020", "sh-fintech-2020", "xc-jinke-2021"):
        markup = page(live_server, f"/edition/{edition}").text
        toc = re.search(r'<nav class="toc".*?</nav>', markup, re.S).group(0)
        anchors = re.findall(r'href="#([^"]+)"', toc)
        assert anchors
        for anchor in anchors:
            assert f'id="{anchor}"' in markup, (edition, anchor)


def test_edition_page_has_targets_as_a_table(live_server: Server) -> None:
    edition = BASE + "edition/bj-jinke-2020"
    markup = page(live_server, local(edition)).text
    targets = select(
        live_server, f"SELECT ?t WHERE {{ ?t a pg:Target ; pg:ofGoal/pg:inEdition <{edition}> }}"
    )
    tables = re.findall(r'<table class="targets">(.*?)</table>', markup, re.S)
    rows = [r for t in tables for r in re.findall(r"<tr>(.*?)</tr>", t, re.S) if "<td" in r]
    assert len(rows) == len(targets) > 0
    assert all(any(f'href="{local(t["t"])}"' in r for r in rows) for t in targets)


def test_edition_page_shows_layout_institutions_and_source(live_server: Server) -> None:
    markup = page(live_server, "/edition/sh-fintech-2020").text
    for zone in ("sh-lujiazui", "sh-zhangjiang", "sh-belt", "sh-lingang"):
        assert f'href="/zone/{zone}"' in markup
    assert 'href="/place/lujiazui"' in markup
    assert 'id="institutions"' in markup and 'href="/institution/pboc"' in markup
    assert 'href="/source/sh-fintech-2020-text"' in markup
    assert "沪府办规〔2020〕1号" in markup
    assert 'href="/plan/sh-fintech-centre"' in markup  # breadcrumbs: plan → edition


# --- task ----------------------------------------------------------------------------------


def test_task_page_has_full_text_quote_themes_institutions_and_breadcrumbs(
    live_server: Server,
) -> None:
    task = BASE + "edition/sh-fintech-2020/task/15"
    markup = page(live_server, local(task)).text
    (row,) = select(
        live_server,
        f"""SELECT ?text ?quote ?area ?edition ?plan WHERE {{ <{task}> pg:text ?text ;
              pg:evidence/oa:hasSelector/oa:exact ?quote ; pg:inTaskArea ?area ;
              pg:inEdition ?edition .
              ?edition pg:editionOf ?plan }}""",
    )
    assert html.escape(row["text"], quote=False) in markup
    assert html.escape(row["quote"], quote=False) in markup
    for theme in select(live_server, f"SELECT ?t WHERE {{ <{task}> pg:theme ?t }}"):
        assert f'href="{local(theme["t"])}"' in markup
    assert 'href="/institution/pboc"' in markup
    assert "受支持" in markup  # the role concept's zh label, from the ontology (pg:SupportedRole)
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', markup, re.S).group(0)
    order = [crumbs.index(f'href="{local(row[k])}"') for k in ("plan", "edition", "area")]
    assert order == sorted(order)
    assert 'rel="prev" href="/edition/sh-fintech-2020/task/14"' in markup
    assert 'rel="next" href="/edition/sh-fintech-2020/task/16"' in markup


# --- institution, zone, theme ----------------------------------------------------------------


def test_institution_page_lists_every_task_that_names_it_with_its_role(live_server: Server) -> None:
    institution = BASE + "institution/pboc"
    markup = page(live_server, local(institution)).text
    rows = requests.get(
        live_server.url + "/queries/tasks-by-institution",
        params={"institution": institution},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    ).json()["results"]["bindings"]
    assert rows
    for row in rows:
        assert f'href="{local(row["task"]["value"])}"' in markup
        assert f'href="/ontology#{row["role"]["value"].split("#")[1]}"' in markup
    assert f"tasks-by-institution?institution={institution}" in markup


def test_zone_page_shows_places_function_and_its_layout(live_server: Server) -> None:
    markup = page(live_server, "/zone/sh-lujiazui").text
    assert 'href="/place/lujiazui"' in markup
    assert "金融科技应用示范城" in markup
    for sibling in ("sh-zhangjiang", "sh-belt", "sh-lingang"):
        assert f'href="/zone/{sibling}"' in markup
    assert 'href="/edition/sh-fintech-2020/layout"' in markup


def test_theme_page_lists_tasks_across_plans(live_server: Server) -> None:
    theme = BASE + "theme/regtech"
    markup = page(live_server, local(theme)).text
    tasks = select(
        live_server, f"SELECT ?t ?e WHERE {{ ?t a pg:Task ; pg:theme <{theme}> ; pg:inEdition ?e }}"
    )
    assert len({t["e"] for t in tasks}) >= 2, "regtech should span plans"
    for task in tasks:
        assert f'href="{local(task["t"])}"' in markup


def test_source_page_lists_the_evidence_that_quotes_it(live_server: Server) -> None:
    source = BASE + "source/sh-fintech-2020-text"
    markup = page(live_server, local(source)).text
    spans = select(
        live_server,
        f"""SELECT ?owner ?span WHERE {{ ?owner pg:evidence ?span .
              ?span oa:hasSource <{source}> }}""",
    )
    table = re.search(r'<table class="cited">(.*?)</table>', markup, re.S).group(1)
    assert len(re.findall(r"<tr><td", table)) == len(spans) > 50
    assert 'href="/edition/sh-fintech-2020/task/15"' in table


# --- languages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "accept_language", "expected"),
    [
        ("", "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("", "en-GB,en;q=0.9", "en"),
        ("", "fr-FR", "zh"),
        ("?lang=en", "zh-CN", "en"),
        ("?lang=zh", "en-US", "zh"),
    ],
)
def test_language_by_parameter_or_accept_language(
    live_server: Server, query: str, accept_language: str, expected: str
) -> None:
    response = page(
        live_server, "/edition/sh-fintech-2020" + query, **{"Accept-Language": accept_language}
    )
    assert f'<html lang="{expected}">' in response.text
    assert response.headers["Content-Language"] == expected
    assert "Accept-Language" in response.headers["Vary"]
    title = re.search(r"<h1>(.*?)</h1>", response.text, re.S).group(1)
    first = "加快推进上海金融科技中心建设实施方案" if expected == "zh" else "Implementation Plan"
    assert title.startswith(first)


def test_language_switch_keeps_the_page(live_server: Server) -> None:
    markup = page(live_server, "/institution/pboc?lang=zh").text
    assert 'href="/institution/pboc?lang=en"' in markup
    # links inside a page chosen by ?lang= keep that language
    assert 'href="/edition/' in markup and "?lang=zh" in markup


# --- links to data and queries -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/edition/bj-jinke-2020",
        "/edition/bj-jinke-2020/task/1",
        "/institution/pboc",
        "/zone/bj-core",
        "/theme/blockchain",
        "/plan/bj-jinke",
        "/source/bj-jinke-2020-text",
    ],
)
def test_every_page_links_to_its_data_and_the_queries_behind_it(
    live_server: Server, path: str
) -> None:
    markup = page(live_server, path).text
    for fmt, media in [("turtle", "text/turtle"), ("jsonld", "application/ld+json")]:
        href = html.unescape(re.search(rf'href="([^"]*format={fmt})"', markup).group(1))
        data = requests.get(live_server.url + href, timeout=30)
        assert data.headers["Content-Type"].startswith(media)
    editor_links = [html.unescape(h) for h in re.findall(r'href="(/sparql#[^"]+)"', markup)]
    assert editor_links, "no query behind the page"
    for link in editor_links:
        fragment = parse_qs(urlparse(link).fragment)
        query = fragment["query"][0]
        result = requests.post(
            live_server.sparql,
            data={"query": query},
            headers={"Accept": "application/sparql-results+json, application/n-triples"},
            timeout=30,
        )
        assert result.status_code == 200, (fragment["tabTitle"], result.text[:300])
        rows = (
            result.json()["results"]["bindings"]
            if "json" in result.headers["Content-Type"]
            else result.text.splitlines()
        )
        assert rows, f"{fragment['tabTitle']} returns nothing for {path}"
    assert "<script" not in without_structured_data(markup), "readable without scripts"


def test_editor_offers_named_queries_and_preloads_prefixes(live_server: Server) -> None:
    markup = page(live_server, "/sparql").text
    assert '/static/vendor/yasgui/yasgui.min.js"' in markup
    for path in sorted((REPO / "queries").glob("*.rq")):
        assert f'data-name="{path.stem}"' in markup
    assert "PREFIX pg: <https://w3id.org/plangraph/ontology#>" in unquote(markup)
    assert '/static/editor.js"' in markup
    script = requests.get(live_server.url + "/static/editor.js", timeout=30).text
    assert '"variables", "prefixes"' in script  # no LOV completers


def test_named_queries_page_lists_them_all(live_server: Server) -> None:
    markup = page(live_server, "/queries").text
    for path in sorted((REPO / "queries").glob("*.rq")):
        assert f'id="{path.stem}"' in markup


# --- escaping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/edition/test-mini-2020",
        "/edition/test-mini-2020/task/3",
        "/institution/script-test",
    ],
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_markup_in_the_data_is_shown_never_run(script_server: Server, path: str, lang: str) -> None:
    markup = without_structured_data(page(script_server, f"{path}?lang={lang}").text)
    assert "<script" not in markup.lower()
    assert "<img src=x" not in markup
    assert "&lt;script&gt;alert(" in markup
    assert "</title><script>" not in markup


def test_void_page_has_no_script(script_server: Server) -> None:
    assert "<script" not in without_structured_data(page(script_server, "/.well-known/void").text)


def without_structured_data(markup: str) -> str:
    """The page without its JSON-LD blocks, which are data (never run), checked on their own:
    a data value cannot close the block, as `tojson` writes `<` as \\u003c."""
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', markup, re.S)
    for block in blocks:
        assert "<" not in block
    return re.sub(r'<script type="application/ld\+json">.*?</script>', "", markup, flags=re.S)


def test_not_found_page_escapes_the_path(script_server: Server) -> None:
    response = requests.get(
        script_server.url + "/x%3Cscript%3Ealert(1)%3C/script%3E",
        headers={"Accept": "text/html"},
        timeout=30,
    )
    assert response.status_code == 404
    assert "<script" not in response.text
    assert "&lt;script&gt;" in response.text


# --- headers a browser needs to stay safe (issue 10, item 7) ---------------------------------


@pytest.mark.parametrize("path", ["/", "/sparql", "/edition/sh-fintech-2020", "/search?q=上海"])
def test_every_page_forbids_sniffing_framing_and_foreign_scripts(
    live_server: Server, path: str
) -> None:
    headers = page(live_server, path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    policy = dict(
        part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";")
    )
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline script, nothing from elsewhere
    assert policy["object-src"] == "'none'"


def test_no_page_has_an_inline_script(live_server: Server) -> None:
    """The policy allows no inline script, so none may be relied on (JSON blocks are data)."""
    for path in ["/", "/sparql", "/edition/sh-fintech-2020", "/queries"]:
        markup = page(live_server, path).text
        for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", markup, re.S):
            assert "src=" in attrs or "application/" in attrs, (path, attrs, body[:80])


def test_errors_and_data_answers_carry_nosniff(live_server: Server) -> None:
    for response in (
        requests.get(live_server.url + "/no/such/thing", timeout=30),
        requests.get(live_server.sparql, params={"query": "ASK {}"}, timeout=30),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_iris_with_other_schemes_never_become_links(script_server: Server, lang: str) -> None:
    """tests/data/script-label/javascript-iri.ttl: javascript:, data: and vbscript: IRIs are
    shown as text; an https IRI next to them is still a link."""
    markup = page(script_server, f"/edition/test-mini-2020/task/3?lang={lang}").text
    hrefs = re.findall(r'href="([^"]*)"', markup)
    assert not [h for h in hrefs if re.match(r"\s*(javascript|data|vbscript):", h, re.I)]
    assert "https://example.org/a-safe-page" in hrefs
    assert "javascript:alert(5)" in html.unescape(markup)  # shown, as text


# --- results as a page for browsers ---------------------------------------------------------

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_gets_sparql_results_as_a_table(live_server: Server) -> None:
    query = f"PREFIX pg: <{PG}> SELECT ?e WHERE {{ ?e a pg:PlanEdition }} ORDER BY ?e"
    response = requests.get(
        live_server.sparql, params={"query": query}, headers={"Accept": BROWSER_ACCEPT}, timeout=30
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    editions = select(live_server, "SELECT ?e WHERE { ?e a pg:PlanEdition }")
    markup = response.text
    assert f"<strong>{len(editions)}</strong>" in markup
    for row in editions:  # IRIs link to the pages of this server
        assert f'href="{local(row["e"])}"' in markup
    downloads = dict(
        (name, href)
        for href, name in re.findall(r'<a class="fmt" href="([^"]+)">(\w+)</a>', markup)
    )
    assert set(downloads) == {"CSV", "TSV", "JSON", "XML"}
    csv = requests.get(live_server.url + html.unescape(downloads["CSV"]), timeout=30)
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == len(editions) + 1


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/sparql-results+json", "text/csv", "application/xml"]
)
def test_programs_keep_their_negotiated_results(live_server: Server, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = requests.get(
        live_server.sparql, params={"query": "ASK {}"}, headers=headers, timeout=30
    )
    assert response.status_code == 200
    assert not response.headers["Content-Type"].startswith("text/html")


def test_named_query_page_has_its_description_a_form_and_results(live_server: Server) -> None:
    response = requests.get(
        live_server.url + "/queries/tasks-by-institution",
        params={"institution": BASE + "institution/pboc"},
        headers={"Accept": BROWSER_ACCEPT},
        timeout=30,
    )
    assert response.status_code == 200
    markup = response.text
    assert '<form class="params" method="get"' in markup
    assert 'name="institution" value="https://w3id.org/plangraph/institution/pboc"' in markup
    program = requests.get(
        live_server.url + "/queries/tasks-by-institution",
        params={"institution": BASE + "institution/pboc", "format": "json"},
        timeout=30,
    ).json()
    rows = program["results"]["bindings"]
    assert rows
    assert f"<strong>{len(rows)}</strong>" in markup
    assert "?lang=en" not in markup or "lang" not in program["head"]["vars"]


def test_lang_is_not_a_query_parameter(live_server: Server) -> None:
    response = requests.get(
        live_server.url + "/queries/plan-summary",
        params={"lang": "en"},
        headers={"Accept": BROWSER_ACCEPT},
        timeout=30,
    )
    assert response.status_code == 200
    assert '<html lang="en">' in response.text


# --- index pages, named graphs, source texts ------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/edition", "PlanEdition"),
        ("/institution", "Institution"),
        ("/place", "Place"),
        ("/theme", "Theme"),
        ("/target", "Target"),
        ("/zone", "Zone"),
    ],
)
def test_index_page_lists_every_resource_of_its_kind(
    live_server: Server, path: str, kind: str
) -> None:
    expected = select(
        live_server, f"SELECT DISTINCT ?r WHERE {{ ?r a/rdfs:subClassOf* pg:{kind} }}"
    )
    markup = page(live_server, path).text
    body = markup.split("<tbody>", 1)[1]
    for row in expected:
        assert f'href="{local(row["r"])}"' in body, row["r"]
    assert body.count("<tr>") == len(expected)


def test_index_page_sorts_by_links(live_server: Server) -> None:
    markup = page(live_server, "/institution?sort=links&order=desc").text
    counts = [int(n) for n in re.findall(r'<td class="n">(\d+)</td></tr>', markup)]
    assert counts == sorted(counts, reverse=True) and len(counts) > 3
    assert requests.get(live_server.url + "/institution?sort=x", timeout=30).status_code == 400


@pytest.mark.parametrize("name", ["institutions", "places", "plans", "sources", "themes"])
def test_named_graph_iris_resolve(live_server: Server, name: str) -> None:
    markup = page(live_server, f"/graph/{name}").text
    count = select(
        live_server,
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BASE}graph/{name}> {{ ?s ?p ?o }} }}",
    )[0]["n"]
    assert f"<strong>{count}</strong>" in markup
    turtle = requests.get(
        live_server.url + f"/graph/{name}", headers={"Accept": "text/turtle"}, timeout=30
    )
    assert turtle.status_code == 200 and turtle.headers["Content-Type"].startswith("text/turtle")


def test_source_page_numbers_lines_highlights_the_span_and_checks_the_sha256(
    live_server: Server,
) -> None:
    span = select(
        live_server,
        """SELECT ?quote ?start ?end WHERE {
             ?span oa:hasSource <https://w3id.org/plangraph/source/sh-fintech-2020-text> ;
               oa:hasSelector [ oa:exact ?quote ] , [ oa:start ?start ; oa:end ?end ] }
           ORDER BY DESC(?start) LIMIT 1""",
    )[0]
    path = f"/source/sh-fintech-2020-text?char={span['start']},{span['end']}"
    markup = page(live_server, path).text
    marked = re.findall(r'<mark id="char=(\d+),(\d+)">(.*?)</mark>', markup, re.S)
    assert marked and marked[0][:2] == (span["start"], span["end"])
    shown = "".join(html.unescape(m) for m in re.findall(r"<mark[^>]*>(.*?)</mark>", markup))
    assert shown == span["quote"].replace("\n", "")
    text = (REPO / "graph" / "sources" / "sh-fintech-2020.txt").read_bytes()
    import hashlib

    assert hashlib.sha256(text).hexdigest() in markup
    assert 'class="ok"' in markup
    lines = text.decode().splitlines()
    assert f'id="L{len(lines)}"' in markup and f'id="L{len(lines) + 1}"' not in markup
    plain = requests.get(live_server.url + "/source/sh-fintech-2020-text?format=text", timeout=30)
    assert plain.headers["Content-Type"].startswith("text/plain")
    assert plain.content == text


def test_every_quote_links_to_its_span_in_the_source(live_server: Server) -> None:
    markup = page(live_server, "/edition/sh-fintech-2020/task/15").text
    links = re.findall(r'class="quote-link" href="([^"]+)"', markup)
    assert links
    for link in links:
        link = html.unescape(link)
        assert re.search(r"\?char=(\d+),(\d+)#char=\1,\2$", link), link
        assert "<mark id=" in page(live_server, link.split("#")[0]).text


# --- search engines, citation, caching ------------------------------------------------------


def test_robots_and_sitemap(live_server: Server) -> None:
    robots = requests.get(live_server.url + "/robots.txt", timeout=30)
    assert robots.status_code == 200 and "Sitemap: " in robots.text
    sitemap = requests.get(live_server.url + "/sitemap.xml", timeout=30)
    assert sitemap.status_code == 200
    import xml.etree.ElementTree as ET

    root = ET.fromstring(sitemap.content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [loc.text for loc in root.findall("s:url/s:loc", ns)]
    assert live_server.url + "/edition/sh-fintech-2020" in locs
    assert live_server.url + "/institution/pboc" in locs
    for loc in locs[:40]:  # a sample resolves
        assert requests.get(loc, headers=HTML, timeout=30).status_code == 200, loc


def test_favicon_answers(live_server: Server) -> None:
    response = requests.get(live_server.url + "/favicon.ico", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("image/svg+xml")


def test_pages_name_their_canonical_address_and_language_versions(live_server: Server) -> None:
    markup = page(live_server, "/institution/pboc?lang=en").text
    assert f'<link rel="canonical" href="{live_server.url}/institution/pboc?lang=en">' in markup
    for code in ("zh", "en"):
        assert (
            f'<link rel="alternate" hreflang="{code}" '
            f'href="{live_server.url}/institution/pboc?lang={code}">'
        ) in markup
    assert 'hreflang="x-default"' in markup


def test_descriptions_have_etag_and_cache_control(live_server: Server) -> None:
    for headers in (HTML, {"Accept": "text/turtle"}):
        first = requests.get(live_server.url + "/institution/pboc", headers=headers, timeout=30)
        assert first.headers["Cache-Control"].startswith("public")
        etag = first.headers["ETag"]
        again = requests.get(
            live_server.url + "/institution/pboc",
            headers={**headers, "If-None-Match": etag},
            timeout=30,
        )
        assert again.status_code == 304


def test_edition_and_dataset_pages_say_how_to_cite_them(live_server: Server) -> None:
    for path in ("/edition/sh-fintech-2020", "/.well-known/void"):
        markup = page(live_server, path).text
        assert '<section class="cite" id="cite">' in markup
        bibtex = html.unescape(
            re.search(r'<pre class="bibtex"><code>(.*?)</code>', markup, re.S)[1]
        )
        assert bibtex.startswith("@misc{plangraph-") and bibtex.count("{") == bibtex.count("}")
        assert "version = {" in bibtex


def test_footer_shows_the_dataset_version_and_date(live_server: Server) -> None:
    version = select(
        live_server,
        f"""PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dcterms: <http://purl.org/dc/terms/>
            SELECT ?v ?m WHERE {{ <{BASE}> dcat:version ?v ; dcterms:modified ?m }}""",
    )[0]
    markup = page(live_server, "/institution/pboc").text
    assert f"<strong>{version['v']}</strong>" in markup
    assert f'<time datetime="{version["m"]}">' in markup


def test_layout_diagram_on_every_edition_with_a_layout(live_server: Server) -> None:
    rows = select(
        live_server,
        """SELECT ?edition (COUNT(DISTINCT ?zone) AS ?zones) WHERE {
             ?layout a pg:SpatialLayout ; pg:inEdition ?edition . ?zone pg:inLayout ?layout }
           GROUP BY ?edition""",
    )
    assert len(rows) == 3
    for row in rows:
        markup = page(live_server, local(row["edition"])).text
        svg = re.search(r"<svg .*?</svg>", markup, re.S)
        assert svg, row["edition"]
        assert svg[0].count('<g class="zone') == int(row["zones"])


@pytest.mark.parametrize(
    ("path", "schema_type"),
    [
        ("/", "Dataset"),
        ("/.well-known/void", "Dataset"),
        ("/edition/sh-fintech-2020", "Legislation"),
        ("/edition/xc-jinke-2021", "Legislation"),
        ("/institution/pboc", "GovernmentOrganization"),
        ("/plan/bj-jinke", "CreativeWork"),
    ],
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_structured_data_is_json_ld_that_rdflib_reads(
    live_server: Server, path: str, schema_type: str, lang: str
) -> None:
    import json

    import rdflib

    markup = page(live_server, f"{path}?lang={lang}").text
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', markup, re.S)
    document = json.loads(block)
    assert document["@context"] == {"@vocab": "https://schema.org/"}  # inline: read offline
    graph = rdflib.Graph().parse(data=block, format="json-ld")
    schema = rdflib.Namespace("https://schema.org/")
    (subject,) = graph.subjects(rdflib.RDF.type, schema[schema_type])
    iri = BASE + path.strip("/") if path not in {"/", "/.well-known/void"} else BASE
    assert str(subject) == iri
    names = {str(n) for n in graph.objects(subject, schema.name)}
    expected = select(
        live_server,
        f"""SELECT ?l WHERE {{ {{ <{iri}> rdfs:label ?l }} UNION
             {{ <{iri}> <http://purl.org/dc/terms/title> ?l }} FILTER(LANG(?l) = "{lang}") }}""",
    )
    if not expected:  # no name in this language: the other one stands in
        expected = select(live_server, f"SELECT ?l WHERE {{ <{iri}> rdfs:label ?l }}")
    assert names & {row["l"] for row in expected}, (names, expected)
    if schema_type == "Dataset":
        downloads = list(graph.objects(subject, schema.distribution))
        assert len(downloads) == 6
        assert graph.value(subject, schema.version) is not None
        assert graph.value(subject, schema.dateModified) is not None


def test_dcat_states_each_dumps_size_and_sha256(live_server: Server) -> None:
    import hashlib

    import rdflib

    response = requests.get(live_server.url + "/.well-known/void", params={"format": "turtle"})
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    spdx = rdflib.Namespace("http://spdx.org/rdf/terms#")
    distributions = list(graph.subjects(rdflib.RDF.type, dcat.Distribution))
    assert len(distributions) == 6
    for distribution in distributions:
        url = str(graph.value(distribution, dcat.downloadURL))
        body = requests.get(url, timeout=60).content
        assert int(graph.value(distribution, dcat.byteSize)) == len(body)
        checksum = graph.value(distribution, spdx.checksum)
        assert graph.value(checksum, spdx.algorithm) == spdx.checksumAlgorithm_sha256
        assert str(graph.value(checksum, spdx.checksumValue)) == hashlib.sha256(body).hexdigest()


# The walkthrough "Adding a plan edition by hand" / "Validating" names an edition that is not in
# the shipped data, on purpose (it is what a reader would add): these IRIs are not expected.
HYPOTHETICAL = ("example", "sh-fintech-2024")


def test_every_iri_the_readme_names_resolves(live_server: Server) -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    iris = sorted(set(re.findall(r"https://w3id\.org/plangraph/[^\s)`>\"'|,]*", text)))
    iris = [i for i in iris if not any(h in i for h in HYPOTHETICAL)]
    assert BASE + "graph/institutions" in iris
    for iri in [*iris, *(BASE + f"graph/{g}" for g in ("places", "plans", "sources", "themes"))]:
        response = requests.get(live_server.url + "/" + iri[len(BASE) :], headers=HTML, timeout=30)
        assert response.status_code == 200, iri


def test_a_406_says_it_varies_on_accept(live_server: Server) -> None:
    for path in ("/institution/pboc", "/sparql?query=ASK%7B%7D"):
        response = requests.get(live_server.url + path, headers={"Accept": "image/png"}, timeout=30)
        assert response.status_code == 406
        assert "Accept" in response.headers.get("Vary", "")
