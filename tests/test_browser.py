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
