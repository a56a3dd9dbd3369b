"""The review report: what a curator must look at in a draft, each item with its source span.

Minted institutions and places, names read relative to the plan's jurisdiction, collective
actors, roles read from a verb, paragraphs no element holds, money amounts and low-confidence
items. The same list as Markdown (for people) or JSON (for tools); `plangraph ingest --report`
and `POST /ingest?report=` write it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from plangraph.errors import InputError

if TYPE_CHECKING:
    from plangraph.ingest import Draft

FORMATS = ("md", "json")
KINDS = {
    "new institution": ("新机构", "institutions the registry lacks, minted with draft IRIs"),
    "new place": ("新地点", "places the registry lacks, minted with draft IRIs"),
    "resolved": ("相对名称", "names read against the plan's own jurisdiction (市…, 本市…)"),
    "collective": ("集合主体", "collective actors (各区政府, 市有关部门): not linked"),
    "role from a verb": ("推断角色", "roles read from the verb before a name"),
    "addressees": ("主送", "the covering notice's addressees"),
    "unparsed": ("未解析段落", "paragraphs no element holds"),
    "amount": ("金额", "money amounts, recorded nowhere in the draft"),
    "low confidence": ("低置信度", "read with a default or an assumption"),
}


def report_format(path_or_name: str) -> str:
    """The report format a file name or format name asks for; anything else is an InputError."""
    name = path_or_name.rsplit(".", 1)[-1].lower() if "." in path_or_name else path_or_name
    if name not in FORMATS:
        raise InputError(
            f"report format {path_or_name!r}: use a .md or .json file (or md/json) / "
            "审核报告须为 .md 或 .json"
        )
    return name


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def items(draft: Draft) -> list[dict[str, object]]:
    text = draft.source.text
    out = []
    for item in draft.review:
        line, column = _position(text, item.span[0])
        out.append(
            {
                "kind": item.kind,
                "text": item.text,
                "why": item.why,
                "iri": item.iri,
                "element": item.element.path if item.element is not None else None,
                "start": item.span[0],
                "end": item.span[1],
                "line": line,
                "column": column,
            }
        )
    return out


def render(draft: Draft, fmt: str) -> str:
    listed = items(draft)
    if fmt == "json":
        body = {"edition": draft.edition, "source": draft.source.name, "counts": draft.counts}
        body |= {"warnings": draft.warnings, "review": listed}
        return json.dumps(body, ensure_ascii=False, indent=1) + "\n"
    lines = [
        f"# 审核清单 / Review list: {draft.edition}",
        "",
        f"Source `{draft.source.name}` (sha256 {draft.source.sha256[:12]}…, "
        f"{draft.source.encoding}). Each line gives the text, where it is (line:column, "
        "code-point offsets) and why it is listed.",
        "",
    ]
    for kind, (zh, en) in KINDS.items():
        mine = [i for i in listed if i["kind"] == kind]
        if not mine:
            continue
        lines += [f"## {zh} / {kind}: {en} ({len(mine)})", ""]
        for i in mine:
            where = f"{i['line']}:{i['column']} [{i['start']}, {i['end']})"
            iri = f" → <{i['iri']}>" if i["iri"] else ""
            element = f" in {i['element']}" if i["element"] else ""
            text = str(i["text"]).replace("\n", " ")
            lines.append(f"- 「{text}」 at {where}{element}: {i['why']}{iri}")
        lines.append("")
    if draft.warnings:
        lines += ["## 警告 / warnings", "", *(f"- {w}" for w in draft.warnings), ""]
    if not listed and not draft.warnings:
        lines += ["Nothing to review. / 无需审核的项目。", ""]
    return "\n".join(lines)
