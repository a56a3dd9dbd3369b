"""The 对照 page in a real browser: it renders side by side in zh and en, marks rewordings with
<ins>/<del>, and shows labels that look like scripts as text. Screenshots: test-output/browser/."""

from __future__ import annotations

import pytest

from tests.conftest import DATA, REPO, Server
from tests.test_browser import Browser, shoot
from tests.test_browser import browser as browser
from tests.test_browser import nothing_leaves_the_machine as nothing_leaves_the_machine

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def diff_server(server_factory) -> Server:
    return server_factory("--data", str(REPO / "ontology"), str(REPO / "graph"), str(DATA / "diff"))


def test_comparison_page_shows_pairs_side_by_side_in_zh_and_en(
    browser: Browser, diff_server: Server
) -> None:
    page = browser.page(diff_server, width=1400)
    page.goto(diff_server.url + "/compare/bj-jinke-2020/bj-jinke-2023")
    assert page.locator("html").get_attribute("lang") == "zh"
    assert page.locator("table.side-by-side tbody tr").count() >= 40
    assert page.locator("table.side-by-side del").count() >= 3
    assert page.locator("table.side-by-side ins").count() >= 3
    assert page.locator("table.targets tbody tr").count() >= 5
    page.locator("table.side-by-side tr:has(del)").nth(1).evaluate("e => e.scrollIntoView()")
    shoot(page, "compare")
    page.locator("table.targets").evaluate("e => e.scrollIntoView()")
    shoot(page, "compare-targets")
    page.click("text=English")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Comparing editions" in page.locator("h1").inner_text()
    shoot(page, "compare-en")


def test_the_real_pair_beijing_2020_to_xicheng_2021_renders(
    browser: Browser, diff_server: Server
) -> None:
    page = browser.page(diff_server, lang="en-GB", width=1400)
    page.goto(diff_server.url + "/compare/bj-jinke-2020/xc-jinke-2021")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("table.targets tbody tr").count() >= 4
    page.locator("table.targets").evaluate("e => e.scrollIntoView()")
    shoot(page, "compare-xicheng-targets")


def test_cross_plan_page_renders(browser: Browser, diff_server: Server) -> None:
    page = browser.page(diff_server, width=1400)
    page.goto(diff_server.url + "/compare?editions=bj-jinke-2020,sh-fintech-2020,xc-jinke-2021")
    assert page.locator("#themes table.matrix tbody tr").count() >= 10
    shoot(page, "compare-editions")


def test_labels_that_look_like_scripts_do_not_run_on_the_comparison_page(
    browser: Browser, diff_server: Server
) -> None:
    browser.dialogs.clear()
    page = browser.page(diff_server)
    page.goto(diff_server.url + "/compare/bj-jinke-2020/script-2099")
    page.wait_for_timeout(300)
    assert browser.dialogs == []
    assert "<script>alert(1)</script>" in page.locator("body").inner_text()
