"""POST /ingest: a plan's text in, a draft edition in Turtle out (the library's `ingest`).

The text is the request body (text/plain, any encoding the reader detects) or a form field
`text` / file `file`; parameters edition-id (required), title, issuer and date come from the
query string or the form. `report=json` answers JSON with the draft and its review list,
`report=md` the review list as Markdown. Bad input answers 400 with one line, a body over the
limit 413.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request

from plangraph.errors import InputError, PayloadTooLarge
from plangraph.ingest import gazetteer, ingest, review

from .state import state

blueprint = Blueprint("ingest", __name__)
_GAZETTEERS: dict[int, gazetteer.Gazetteer] = {}


def _gazetteer() -> gazetteer.Gazetteer:
    """The served graph's gazetteer, read once: the store is read-only while serving."""
    graph = state().graph
    if id(graph) not in _GAZETTEERS:
        _GAZETTEERS[id(graph)] = gazetteer.from_store(graph)
    return _GAZETTEERS[id(graph)]


def _text() -> bytes | str:
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        upload = request.files.get("file")
        if upload is not None:
            return upload.read()
        text = request.form.get("text")
        if text is None:
            raise InputError(
                "no plan text: send it as the body, a 'text' field or a 'file' / 缺少规划文本"
            )
        return text
    return request.get_data(cache=False)


@blueprint.post("/ingest")
def ingest_text() -> Response:
    limit = state().config.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"request body over the limit of {limit} bytes / 请求体过大")
    edition_id = request.values.get("edition-id")
    if not edition_id:
        raise InputError(
            "parameter edition-id is required, e.g. ?edition-id=bj-jinke-2023 / 缺少 edition-id"
        )
    report = request.values.get("report")
    fmt = review.report_format(report) if report else None
    text = _text()
    if len(text) > limit:
        raise PayloadTooLarge(f"plan text over the limit of {limit} bytes / 文本过大")
    draft = ingest(
        text,
        edition_id,
        title=request.values.get("title") or None,
        issuer=request.values.get("issuer") or None,
        date=request.values.get("date") or None,
        gazetteer=_gazetteer(),
        name="<request body>",
    )
    counts = ", ".join(f"{k}={v}" for k, v in draft.counts.items())
    if fmt == "json":
        body = json.loads(review.render(draft, "json")) | {"turtle": draft.turtle}
        return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")
    if fmt == "md":
        return Response(review.render(draft, "md"), mimetype="text/markdown")
    return Response(
        draft.turtle,
        mimetype="text/turtle",
        headers={"X-PlanGraph-Counts": counts, "X-PlanGraph-Warnings": str(len(draft.warnings))},
    )
