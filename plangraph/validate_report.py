"""Render a validation report for people (text), programs (JSON) or RDF tools (Turtle).

Text and JSON group results by edition, then by severity; the text report also gathers the
results of one shape under its message, so 25 tasks without a stated responsible institution
read as one finding with 25 places, not 25 paragraphs.
"""

from __future__ import annotations

import json
from itertools import groupby

from plangraph.validate import SEVERITIES, Report, Result, pick_language

HEADINGS = {
    "zh": {
        "Violation": "违规（数据有误）",
        "Warning": "警告（数据不完整）",
        "Info": "提示",
        "validated": "已校验",
        "context": "一并加载（不报告）",
        "none": "没有发现问题。",
        "path": "路径",
        "value": "值",
        "summary": "合计：{Violation} 项违规，{Warning} 项警告，{Info} 项提示；{triples} 个三元组，"
        "{seconds:.2f} 秒。",
        "pass": "通过（退出码 0）",
        "pass_lenient": "通过（退出码 0；警告只在 --strict 时导致失败）",
        "fail": "未通过（退出码 1）",
        "registry": "共享登记表",
    },
    "en": {
        "Violation": "Violations (the data is wrong)",
        "Warning": "Warnings (the data is incomplete)",
        "Info": "Info",
        "validated": "Validated",
        "context": "Loaded alongside (not reported)",
        "none": "No problems found.",
        "path": "path",
        "value": "value",
        "summary": "Total: {Violation} violations, {Warning} warnings, {Info} infos; "
        "{triples} triples, {seconds:.2f} s.",
        "pass": "Passes (exit status 0)",
        "pass_lenient": "Passes (exit status 0; warnings fail only with --strict)",
        "fail": "Fails (exit status 1)",
        "registry": "shared registry",
    },
}


def render(report: Report, fmt: str, lang: str = "zh", strict: bool = False) -> str:
    if fmt == "json":
        return render_json(report, lang, strict)
    if fmt == "turtle":
        return render_turtle(report)
    return render_text(report, lang, strict)


def render_text(report: Report, lang: str = "zh", strict: bool = False) -> str:
    words = HEADINGS[lang]
    lines = [f"{words['validated']}: {', '.join(report.validated)}"]
    if report.context:
        lines.append(f"{words['context']}: {', '.join(report.context)}")
    lines.append("")
    if not report.results:
        lines.append(words["none"])
    for edition, in_edition in groupby(report.results, key=lambda r: r.edition):
        label = _group_label(report, edition, lang)
        lines.append(f"■ {label} <{edition}>" if label else f"■ <{edition}>")
        results = list(in_edition)
        for severity in SEVERITIES:
            of_severity = [r for r in results if r.severity == severity]
            if not of_severity:
                continue
            lines.append(f"  {words[severity]} ({len(of_severity)})")
            for shape, of_shape in groupby(of_severity, key=lambda r: r.shape):
                lines.extend(_finding(list(of_shape), shape, lang))
        lines.append("")
    counts = {s: report.count(s) for s in SEVERITIES}
    lines.append(words["summary"].format(**counts, triples=report.triples, seconds=report.seconds))
    if not report.passes(strict):
        lines.append(words["fail"])
    elif report.count("Warning") and not strict:
        lines.append(words["pass_lenient"])
    else:
        lines.append(words["pass"])
    return "\n".join(lines) + "\n"


def _finding(results: list[Result], shape: str, lang: str) -> list[str]:
    """One shape's results: its message and path once, then each focus node (and its value)."""
    words = HEADINGS[lang]
    shared_message = len({r.message(lang) for r in results}) == 1
    shared_path = len({r.path for r in results}) == 1
    header = results[0].message(lang) if shared_message else shape
    tags = [shape, results[0].component]
    if shared_path and results[0].path:
        tags.append(f"{words['path']} {results[0].path}")
    lines = [f"    ▸ {header}  [{' · '.join(tags)}]"]
    for r in results:
        label = r.label(lang)
        lines.append(f"      - {label} <{r.focus}>" if label else f"      - <{r.focus}>")
        details = []
        if r.path and not shared_path:
            details.append(f"{words['path']} {r.path}")
        if r.value is not None:
            details.append(f"{words['value']} {r.value}")
        if details:
            lines.append("        " + " · ".join(details))
        if not shared_message:
            lines.append(f"        {r.message(lang)}")
    return lines


def _group_label(report: Report, edition: str, lang: str) -> str:
    labels = report.groups.get(edition) or {}
    if labels:
        return pick_language(labels, lang)
    if "/graph/" in edition:
        return f"{HEADINGS[lang]['registry']} {edition.rpartition('/')[2]}"
    return ""


def render_json(report: Report, lang: str = "zh", strict: bool = False) -> str:
    return json.dumps(as_json(report, lang, strict), ensure_ascii=False, indent=2) + "\n"


def as_json(report: Report, lang: str = "zh", strict: bool = False) -> dict[str, object]:
    """The report as plain data, grouped by edition; `message` in `lang`, `messages` in all."""
    editions = []
    for edition, in_edition in groupby(report.results, key=lambda r: r.edition):
        results = list(in_edition)
        editions.append(
            {
                "edition": edition,
                "label": _group_label(report, edition, lang),
                "counts": {s: sum(1 for r in results if r.severity == s) for s in SEVERITIES},
                "results": [_result_json(r, lang) for r in results],
            }
        )
    return {
        "conforms": report.conforms,
        "passes": report.passes(strict),
        "strict": strict,
        "counts": {s: report.count(s) for s in SEVERITIES},
        "validated": report.validated,
        "context": report.context,
        "triples": report.triples,
        "seconds": round(report.seconds, 3),
        "editions": editions,
    }


def _result_json(result: Result, lang: str) -> dict[str, object]:
    return {
        "severity": result.severity,
        "focusNode": result.focus,
        "focusLabel": result.label(lang),
        "path": result.path,
        "value": result.value,
        "message": result.message(lang),
        "messages": result.messages,
        "sourceConstraintComponent": result.component,
        "sourceShape": result.shape,
    }


def render_turtle(report: Report) -> str:
    """The standard sh:ValidationReport (sh:conforms in SHACL's sense: no result of any kind)."""
    return report.graph.serialize(format="turtle")
