"""A crawl of the site from `/`, as a reader's browser would follow it: every internal link
answers (no 4xx or 5xx), and no page shows a raw prefixed vocabulary name (`rdf:type`,
`prov:wasRevisionOf` …) as text — labels are the text, prefixed names only tooltips. Names in
<code>, <pre> and <textarea> (query text, identifiers shown as such) are not reader text.
Bounded in pages and time; loopback only."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from typing import ClassVar
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
import requests

from tests.conftest import Server

ACCEPT = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8",
}
MAX_PAGES = 10_000
MAX_SECONDS = 800
WORKERS = 4
PREFIXED = re.compile(
    r"(?<![\w/:.])(rdf|rdfs|owl|xsd|prov|void|dcterms|dcat|skos|foaf|vann|sd|spdx|oa|org|eli"
    r"|qudt|geo|schema|pg):[A-Za-z][\w-]*"
)


class Page(HTMLParser):
    """Links (href, src) and the text a reader sees, outside code, pre, textarea and script."""

    HIDDEN: ClassVar[set[str]] = {"code", "pre", "textarea", "script", "style", "title"}

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"href", "src", "action"} and value and tag != "form":
                self.links.append(value)
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.text.append(data)


def _same_as_seen(url: str) -> bool:
    """`?lang=zh` is the page the crawler already gets by Accept-Language. English is kept,
    except for the variants of one page by a highlighted span (`char=`) or of one results page
    (`query=`): those are the same page with the same labels."""
    query = urlparse(url).query
    if "lang=zh" in query:
        return True
    return "lang=en" in query and ("char=" in query or "query=" in query)


HIGHLIGHTS_PER_TEXT = 25


def _enough_highlights(url: str, seen: dict[str, int]) -> bool:
    """A source text highlighted at one span (`?char=`) is the same page for every span: the
    crawl follows the first HIGHLIGHTS_PER_TEXT of each text (hundreds exist, each renders the
    whole text); test_pages checks every quote link of a task resolves to its highlight."""
    parts = urlparse(url)
    if "char=" not in parts.query:
        return False
    seen[parts.path] = seen.get(parts.path, 0) + 1
    return seen[parts.path] > HIGHLIGHTS_PER_TEXT


def fetch(session: requests.Session, url: str) -> tuple[int, str | None]:
    """One GET; a 503 with Retry-After (the server shedding load on a busy machine) is asked
    again after the time it names, as a polite client would, up to three times."""
    for _ in range(3):
        response = session.get(url, headers=ACCEPT, timeout=60, allow_redirects=True)
        if response.status_code != 503 or "Retry-After" not in response.headers:
            break
        time.sleep(min(float(response.headers["Retry-After"] or 1), 5))
    html_text = (
        response.text if response.headers.get("Content-Type", "").startswith("text/html") else None
    )
    return response.status_code, html_text


def crawl(server: Server) -> tuple[dict[str, int], dict[str, list[str]], int, bool]:
    """Status of every internal URL reached, raw prefixed names per page, pages parsed, and
    whether the crawl finished (every link followed) within its bounds. Breadth first, a few
    requests at a time."""
    origin = urlparse(server.url).netloc
    seen = {server.url + "/"}
    frontier = [server.url + "/"]
    statuses: dict[str, int] = {}
    names: dict[str, list[str]] = {}
    parsed = 0
    highlights: dict[str, int] = {}
    started = time.monotonic()
    with requests.Session() as session, ThreadPoolExecutor(WORKERS) as pool:
        while frontier:
            if len(statuses) >= MAX_PAGES or time.monotonic() - started > MAX_SECONDS:
                return statuses, names, parsed, False
            batch, frontier = frontier[:200], frontier[200:]
            for url, (status, markup) in zip(
                batch, pool.map(lambda u: fetch(session, u), batch), strict=True
            ):
                statuses[url] = status
                if markup is None:
                    continue
                parsed += 1
                page = Page()
                page.feed(markup)
                found = sorted({m.group(0) for m in PREFIXED.finditer(" ".join(page.text))})
                if found:
                    names[url] = found
                for link in page.links:
                    target, _ = urldefrag(urljoin(url, link))
                    if urlparse(target).netloc != origin or target in seen:
                        continue
                    if _same_as_seen(target) or _enough_highlights(target, highlights):
                        continue
                    seen.add(target)
                    frontier.append(target)
    return statuses, names, parsed, True


@pytest.mark.timeout(900)
def test_crawl_from_home_finds_no_broken_link_and_no_raw_vocabulary_name(
    live_server: Server,
) -> None:
    statuses, names, parsed, finished = crawl(live_server)
    broken = {url: code for url, code in statuses.items() if code >= 400}
    assert finished, f"the crawl did not finish: {len(statuses)} URLs, {parsed} pages"
    assert not broken, f"{len(broken)} broken of {len(statuses)}: {list(broken.items())[:20]}"
    assert not names, f"raw prefixed names on {len(names)} pages: {list(names.items())[:10]}"
