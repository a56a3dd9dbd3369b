"""POST /validate: a plan edition in Turtle, TriG or JSON-LD in, the SHACL validation report out.

The body is validated as `plangraph validate FILE` validates a file: together with the served
ontology and shared registries, reporting only what the body describes. The report is JSON by
default, the standard sh:ValidationReport in Turtle for Accept: text/turtle, or the text report
for Accept: text/plain; ?lang=zh|en picks the messages' language and ?strict=true counts warnings
as failures in "passes". A validation that finds violations is still a 200: the request worked.
Errors answer one line: 400 for a body that cannot be parsed (with line and column), 413 over
the size limit, 415 for another Content-Type, 406 for an Accept nothing matches.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, request

from plangraph.errors import InputError, PayloadTooLarge, PlanGraphError
from plangraph.jobs import ValidateJob, ValidateOutcome
from plangraph.sparql import choose_media

from .state import state

blueprint = Blueprint("validate", __name__)

BODY_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}
REPORT_FORMATS = [
    ("application/json", "json"),
    ("text/turtle", "turtle"),
    ("text/plain", "text"),
]
REPORT_MEDIA = {key: media for media, key in REPORT_FORMATS}


@blueprint.route("/validate", methods=["POST", "OPTIONS"])
def validate() -> Response:
    if request.method == "OPTIONS":
        return Response(status=204)
    app_state = state()
    config = app_state.config
    limit = min(config.max_body_bytes, config.validate_max_bytes)
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"request body over the limit of {limit} bytes / 请求体过大")
    fmt = _body_format()
    report_format = _report_format()
    lang = request.args.get("lang") or app_state.config.default_lang
    if lang not in {"zh", "en"}:
        raise InputError(f"lang must be zh or en, not {lang!r} / lang 只能是 zh 或 en")
    strict = (request.args.get("strict") or "").lower() in {"1", "true", "yes"}
    body = request.get_data(cache=False)
    if len(body) > limit:
        raise PayloadTooLarge(f"request body over the limit of {limit} bytes / 请求体过大")
    # pySHACL's cost grows faster than the body: it runs in a worker, killed at its time limit
    # or when the client leaves, never in the server's own process.
    job = ValidateJob(
        body,
        _media_of(fmt),
        list(config.data),
        lang=lang,
        report_format=report_format,
        strict=strict,
        max_depth=config.max_depth,
    )
    outcome = app_state.perform(job, config.validate_timeout)
    assert isinstance(outcome, ValidateOutcome)
    response = Response(outcome.body, mimetype=REPORT_MEDIA[report_format])
    response.headers["Vary"] = "Accept"
    return response


def _media_of(fmt: ox.RdfFormat) -> str:
    return fmt.media_type


def _body_format() -> ox.RdfFormat:
    media = (request.mimetype or "").lower()
    if not media:
        raise InputError(
            "POST without a Content-Type; send text/turtle, application/trig or "
            "application/ld+json / 请求缺少 Content-Type"
        )
    charset = (request.mimetype_params.get("charset") or "utf-8").lower()
    if charset not in {"utf-8", "utf8"}:
        raise InputError(f"the body must be UTF-8, not {charset} / 请求体必须为 UTF-8")
    if media not in BODY_FORMATS:
        raise PlanGraphError(
            f"unsupported Content-Type {media}; send {', '.join(BODY_FORMATS)} / "
            "不支持的 Content-Type",
            status=415,
        )
    return BODY_FORMATS[media]


def _report_format() -> str:
    asked = request.args.get("format")
    if asked:
        if asked not in REPORT_MEDIA:
            raise PlanGraphError(
                f"unknown format {asked!r}; use json, turtle or text / 不支持的格式", status=406
            )
        return asked
    return choose_media(request.headers.get("Accept"), REPORT_FORMATS, what="reports")
