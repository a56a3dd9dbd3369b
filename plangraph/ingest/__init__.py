"""Draft a plan edition from its text: reading, structure, extraction, Turtle.

One call does it all, as the CLI and the HTTP API do: `ingest(path_or_text, "bj-jinke-2023")`.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from plangraph.config import BASE_IRI, Config
from plangraph.errors import InputError
from plangraph.files import read_capped
from plangraph.ingest import gazetteer as _gazetteer
from plangraph.ingest.draft import Draft, write
from plangraph.ingest.extract import extract
from plangraph.ingest.reading import Source, read_bytes
from plangraph.ingest.structure import parse

__all__ = ["Draft", "ingest", "read"]

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CJK = re.compile(r"[\u4e00-\u9fff]")
# A plan text is tens of kilobytes; a read stops here, so a device or a stream cannot fill memory.
MAX_TEXT_BYTES = Config.max_body_bytes


def _is_date(text: str) -> bool:
    """YYYY-MM-DD and a day that exists: 2023-13-01 and 2023-02-30 would be ill-typed xsd:date."""
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return bool(DATE.fullmatch(text))


def read(
    text_or_path: str | bytes | Path, name: str | None = None, *, max_bytes: int = MAX_TEXT_BYTES
) -> Source:
    """A Path is read from disk (at most `max_bytes`), bytes are decoded (any supported
    encoding), str is the text."""
    if isinstance(text_or_path, Path):
        data = read_capped(text_or_path, max_bytes, what="plan text")
        return read_bytes(data, name or str(text_or_path))
    if isinstance(text_or_path, str):
        text_or_path = text_or_path.encode("utf-8")
    return read_bytes(text_or_path, name or "<input>")


def ingest(
    text_or_path: str | bytes | Path,
    edition_id: str,
    *,
    title: str | None = None,
    issuer: str | list[str] | None = None,
    date: str | None = None,
    gazetteer: _gazetteer.Gazetteer | None = None,
    name: str | None = None,
    max_bytes: int = MAX_TEXT_BYTES,
) -> Draft:
    """Read a plan's text and return a draft edition in the project's ontology.

    `issuer` is an institution slug or IRI the registry knows, or a body's Chinese name (a new
    one is minted and listed for review); several as a list or with commas. `date` the issue date
    (YYYY-MM-DD). The gazetteer defaults to the shipped ontology and graph. Raises InputError
    for unreadable input, bad arguments, or a text with no recognisable plan structure."""
    if not SLUG.fullmatch(edition_id):
        raise InputError(
            f"edition id {edition_id!r} is not a slug (lower-case ASCII and hyphens, e.g. "
            "bj-jinke-2023) / 版本标识须为小写字母、数字和连字符"
        )
    if date is not None and not _is_date(date):
        raise InputError(
            f"date {date!r} is not a calendar date YYYY-MM-DD / 日期应为有效的 YYYY-MM-DD 日期"
        )
    gaz = gazetteer or _gazetteer.default()
    if f"{BASE_IRI}edition/{edition_id}" in gaz.editions:
        raise InputError(
            f"edition id {edition_id!r} is already an edition of the graph; choose a new one "
            "(e.g. add the year) / 版本标识与已有版本重复"
        )
    issuers, names = [], []
    for one in [issuer] if isinstance(issuer, str) else list(issuer or []):
        for slug in filter(None, (s.strip() for s in one.split(","))):
            if CJK.search(slug):  # a name: the registry's body of that name, or a new one
                names.append(slug)
                continue
            iri = (
                slug
                if slug.startswith(("http://", "https://"))
                else (f"{BASE_IRI}institution/{slug}")
            )
            if iri not in gaz.institution_types:
                raise InputError(
                    f"issuer {slug!r} is not an institution of the registry / "
                    "发布机构不在机构登记表中"
                )
            issuers.append(iri)
    source = read(text_or_path, name, max_bytes=max_bytes)
    structure = parse(source)
    if not any(structure.of(k) for k in ("task", "goal", "principle")):
        raise InputError(
            "no plan structure found: no numbered tasks, goals or principles (一、 （一） 1. …) / "
            "未识别出规划结构（没有编号的任务、目标或原则）",
            file=source.name,
        )
    facts = extract(source, structure, gaz, BASE_IRI, issuers, names)
    return write(source, structure, facts, edition_id, title=title, date=date)
