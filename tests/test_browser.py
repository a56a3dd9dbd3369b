"""The pages and the query editor in a real browser: Debian's Chromium driven by Playwright.

Every request to a host other than the test server is refused and recorded, so a test fails if
YASGUI (or a page) tries to reach the internet. Screenshots go to test-output/browser/.
Never downloads a browser: without /usr/bin/chromium the tests skip, loudly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, Server

BASE = "https://w3id.org/plangraph/"

CHROMIUM = Path("/usr/bin/chromium")
# The flags of .library/env/machines/python.md: no sandbox as root, and no background
# connections (this machine's network is closed; they would fail by the dozen).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = REPO / "test-output" / "browser"

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(
        "SKIPPED LOUDLY: /usr/bin/chromium is missing (Debian package chromium; `make system-deps` "
        "installs it) — the browser tests did NOT run",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="SKIPPED LOUDLY: the playwright package is missing (pip install -e '.[test]')",
)


class Browser:
    """One Chromium for the module; each test gets a fresh page that refuses other hosts."""

    def __init__(self) -> None:
        self.playwright = sync_api.sync_playwright().start()
        self.chromium = self.playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

    def page(self, server: Server, lang: str = "zh-CN", width: int = 1280):
        context = self.chromium.new_context(
            locale=lang, viewport={"width": width, "height": 900}, device_scale_factor=1
        )
        page = context.new_page()

        def route(route) -> None:
            if route.request.url.startswith(server.url):
                route.continue_()
            else:
                self.outside.append(route.request.url)
                route.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        # A Content-Security-Policy violation is reported on the console: the policy and the
        # pages (and the vendored YASGUI) must agree.
        page.on(
            "console",
            lambda message: (
                self.errors.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        return page

    def close(self) -> None:
        self.chromium.close()
        self.playwright.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    chromium = Browser()
    yield chromium
    chromium.close()


@pytest.fixture(autouse=True)
def nothing_leaves_the_machine(browser: Browser) -> Iterator[None]:
    browser.outside.clear()
    browser.errors.clear()
    yield
    assert not browser.outside, f"requests to other hosts: {browser.outside}"
    assert not browser.errors, f"script errors: {browser.errors}"


def shoot(page, name: str, full_page: bool = False) -> Path:
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000
    return path


def test_home_page_lists_the_plans(browser: Browser, live_server: Server) -> None:
    page = browser.page(live_server)
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh"
    rows = page.locator("table.editions tbody tr")
    assert rows.count() >= 3
    assert page.locator("table.editions a[href='/edition/bj-jinke-2020']").is_visible()
    shoot(page, "home")
    page.click("text=English")
    assert page.locator("html").get_attribute("lang") == "en"
    shoot(page, "home-en")


def test_edition_page_shows_its_structure(browser: Browser, live_server: Server) -> None:
    page = browser.page(live_server)
    page.goto(live_server.url + "/edition/sh-fintech-2020")
    assert page.locator("h1").inner_text().startswith("加快推进上海金融科技中心建设实施方案")
    assert page.locator("ol.tasks li").count() == 25
    assert page.locator("table.targets tbody tr").count() == 3
    assert page.locator("table.layout tbody tr").count() == 4
    shoot(page, "edition")
    for section in ("Goal", "TaskArea", "SpatialLayout"):
        page.evaluate(f"document.getElementById('{section}').scrollIntoView()")
        shoot(page, f"edition-{section.lower()}")
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "edition-full", full_page=True)
    page.click("ol.tasks a[href='/edition/sh-fintech-2020/task/15']")
    page.wait_for_url("**/task/15")
    assert "积极探索金融科技监管创新" in page.locator("h1").inner_text()
    assert page.locator("figure.span blockquote").first.inner_text().startswith("15.")
    shoot(page, "task")


def test_institution_and_ontology_pages(browser: Browser, live_server: Server) -> None:
    page = browser.page(live_server, lang="en-GB")
    page.goto(live_server.url + "/institution/pboc")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("table.tasks tbody tr").count() >= 2
    shoot(page, "institution")
    page.goto(live_server.url + "/ontology#Task")
    assert page.locator("section.term#Task").is_visible()
    shoot(page, "ontology")
    page.goto(live_server.url + "/.well-known/void")
    assert page.locator("#dumps table tbody tr").count() == 6
    shoot(page, "void")


def test_query_editor_runs_an_example_against_this_endpoint(
    browser: Browser, live_server: Server
) -> None:
    page = browser.page(live_server, width=1400)
    page.goto(live_server.url + "/sparql")
    page.wait_for_selector(".yasqe .CodeMirror")
    editor = page.locator(".tabPanel.active .CodeMirror").first
    assert "PREFIX pg: <https://w3id.org/plangraph/ontology#>" in editor.inner_text()
    # The query itself is in view, not only prefixes (the box shows its first lines).
    body = page.locator(".tabPanel.active .CodeMirror-line", has_text="SELECT").first
    assert body.is_visible() and body.bounding_box()["y"] < editor.bounding_box()["y"] + 300
    assert page.locator(".tabPanel.active .autocompleteWrapper input").first.input_value() == (
        live_server.url + "/sparql"
    )
    shoot(page, "editor")
    page.click("a.example[data-name='tasks-by-institution']")
    page.wait_for_timeout(300)
    assert "tasks-by-institution" in page.locator(".tabsList .tab.active").inner_text()
    page.click(".tabPanel.active .yasqe_queryButton")
    rows = page.locator(".tabPanel.active .yasr table.dataTable tbody tr")
    rows.first.wait_for(timeout=20_000)
    assert rows.count() >= 2
    assert "pboc" in page.locator(".tabPanel.active .yasr table.dataTable").inner_text()
    shoot(page, "editor-results")
    # a result IRI of this dataset opens its page here, not at w3id.org
    link = page.locator(".tabPanel.active .yasr table.dataTable a[href*='/institution/pboc']").first
    link.hover()
    assert link.get_attribute("href") == "/institution/pboc"


def test_editor_opens_the_query_a_page_links_to(browser: Browser, live_server: Server) -> None:
    page = browser.page(live_server, width=1400)
    page.goto(live_server.url + "/zone/sh-lujiazui")
    link = page.locator("footer.about-page a", has_text="在编辑器中打开").first
    link.click()
    page.wait_for_selector(".yasqe .CodeMirror")
    assert "VALUES" in page.locator(".tabPanel.active .CodeMirror").first.inner_text()
    page.click(".tabPanel.active .yasqe_queryButton")
    page.locator(".tabPanel.active .yasr table.dataTable tbody tr").first.wait_for(timeout=20_000)


@pytest.mark.parametrize(
    "path",
    ["/", "/edition/test-mini-2020", "/edition/test-mini-2020/task/3", "/institution/script-test"],
)
def test_labels_that_look_like_scripts_do_not_run(
    browser: Browser, script_server: Server, path: str
) -> None:
    browser.dialogs.clear()
    page = browser.page(script_server)
    page.goto(script_server.url + path)
    page.wait_for_timeout(200)
    assert browser.dialogs == [], f"a script from the data ran on {path}"
    assert "<script>alert(1)</script>" in page.locator("body").inner_text()
    if path.endswith("task/3"):
        shoot(page, "escaped-label")


# --- issue 14: results in the page, search, source texts, layout, phones ----------------------


def test_a_run_link_shows_a_results_table_with_working_downloads(
    browser: Browser, live_server: Server
) -> None:
    page = browser.page(live_server)
    page.goto(live_server.url + "/institution/pboc")
    page.locator("footer.about-page li", has_text="tasks-by-institution").locator(
        "a", has_text="运行"
    ).first.click()
    page.wait_for_selector("table.results")
    rows = page.locator("table.results tbody tr")
    assert rows.count() >= 2
    assert page.locator("p.result-meta .rows strong").inner_text() == str(rows.count())
    shoot(page, "results")
    kinds = {
        "CSV": "text/csv",
        "TSV": "text/tab-separated-values",
        "JSON": "application/sparql-results+json",
        "XML": "application/sparql-results+xml",
    }
    for name, media in kinds.items():
        href = page.locator("p.downloads a", has_text=name).get_attribute("href")
        answer = page.request.get(live_server.url + href)
        assert answer.ok and answer.headers["content-type"].startswith(media), name
    csv = page.request.get(
        live_server.url + page.locator("p.downloads a", has_text="CSV").get_attribute("href")
    )
    assert len(csv.text().strip().splitlines()) == rows.count() + 1
    # IRIs in the table open this server's pages
    page.locator("table.results tbody a[href^='/edition/']").first.click()
    page.wait_for_load_state()
    assert page.url.startswith(live_server.url + "/edition/")


def test_a_named_query_form_runs_with_the_value_given(
    browser: Browser, live_server: Server
) -> None:
    page = browser.page(live_server, lang="en-GB")
    page.goto(live_server.url + "/queries/tasks-by-institution")
    page.fill("form.params input[name=institution]", BASE + "institution/pboc")
    page.click("form.params button")
    page.wait_for_selector("table.results tbody tr")
    assert "institution=https" in page.url
    assert page.locator("table.results tbody tr").count() >= 2
    assert "People's Bank of China" in page.locator("table.results").inner_text()
    shoot(page, "named-query-form")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("陆家嘴", "/place/lujiazui"),
        ("人民銀行", "/institution/pboc"),  # Traditional characters
        ("blockchain", "/theme/blockchain"),
    ],
)
def test_search_from_the_header_box_finds_the_element(
    browser: Browser, live_server: Server, text: str, expected: str
) -> None:
    page = browser.page(live_server)
    page.goto(live_server.url + "/edition/sh-fintech-2020")
    page.fill("header form.search input[name=q]", text)
    page.press("header form.search input[name=q]", "Enter")
    page.wait_for_selector("section.search-group")
    assert page.locator(f"ol.hits a[href='{expected}']").first.is_visible()
    if text == "人民銀行":
        shoot(page, "search")


def test_a_quote_opens_the_source_text_at_its_highlighted_span(
    browser: Browser, live_server: Server
) -> None:
    page = browser.page(live_server)
    page.goto(live_server.url + "/edition/sh-fintech-2020/task/15")
    quote = page.locator("figure.span blockquote").first.inner_text()
    page.locator("figure.span a.quote-link").first.click()
    page.wait_for_url("**/source/**#char=*")
    mark = page.locator("pre.source-text mark").first
    assert mark.is_visible()
    assert mark.evaluate("m => m.getBoundingClientRect().top") < 900  # scrolled into view
    shown = "".join(page.locator("pre.source-text mark").all_inner_texts())
    assert shown == quote.replace("\n", "")
    assert page.locator("pre.source-text .ln").count() > 50
    shoot(page, "source-highlight")


@pytest.mark.parametrize("edition", ["sh-fintech-2020", "bj-jinke-2020", "xc-jinke-2021"])
def test_layout_diagram_is_drawn_for_each_edition(
    browser: Browser, live_server: Server, edition: str
) -> None:
    page = browser.page(live_server)
    page.goto(live_server.url + f"/edition/{edition}")
    svg = page.locator("#SpatialLayout figure.layout-diagram svg")
    assert svg.count() == 1 and svg.is_visible()
    zones = page.locator("#SpatialLayout table.layout tbody tr").count()
    assert svg.locator("g.zone").count() == zones
    assert svg.bounding_box()["height"] > 150
    svg.scroll_into_view_if_needed()
    shoot(page, f"layout-{edition}")


PHONE_PAGES = [
    "/",
    "/edition/sh-fintech-2020",
    "/edition/bj-jinke-2020",
    "/edition/sh-fintech-2020/task/15",
    "/institution/pboc",
    "/institution",
    "/zone/sh-lujiazui",
    "/source/sh-fintech-2020-text?char=100,130",
    "/search?q=人民银行",
    "/queries",
    "/queries/tasks-by-institution",
    "/.well-known/void",
    "/ontology",
    "/sparql",
]


def test_no_page_is_wider_than_a_390_px_phone(browser: Browser, live_server: Server) -> None:
    page = browser.page(live_server, width=390)
    wide = {}
    for path in PHONE_PAGES:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
    assert not wide, f"wider than 390 px: {wide}"
    page.goto(live_server.url + "/edition/sh-fintech-2020")
    page.locator("table.targets").first.scroll_into_view_if_needed()
    shoot(page, "phone-edition-targets")


def test_the_favicon_loads(browser: Browser, live_server: Server) -> None:
    page = browser.page(live_server)
    answer = page.request.get(live_server.url + "/favicon.ico")
    assert answer.ok and answer.headers["content-type"].startswith("image/svg+xml")
