"""Named queries: the `queries/*.rq` files, their grlc-style headers, and safe parameter binding.

Parameters are bound as RDF terms, in a VALUES block built from parsed terms at the start of the
WHERE group (plangraph/binding.py; pyoxigraph's `substitutions` where no such place is found): a
request's text is never pasted into the query, so it cannot change the query's meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from plangraph.config import data_dir
from plangraph.errors import InputError

QUERIES_DIR = data_dir("queries")
_HEADER = re.compile(r"^#\+\s*(\w+)\s*:\s*(.*)$")
_PARAM = re.compile(r"\s*(\w+)\s*\(\s*(\w+)\s*(?:,\s*e\.g\.\s*([^)]*))?\)\s*")
XSD = "http://www.w3.org/2001/XMLSchema#"
PARAM_TYPES = {"IRI", "string", "integer", "year", "date", "decimal", "literal"}


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    example: str | None = None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    text: str
    summary: str
    description: str = ""
    tags: tuple[str, ...] = ()
    params: tuple[Param, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "summary": self.summary,
            "description": self.description,
            "tags": list(self.tags),
            "params": [{"name": p.name, "type": p.type, "example": p.example} for p in self.params],
            "query": self.text,
        }


def load_all(folder: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    """Every `*.rq` directly in the folder, by name."""
    if not folder.is_dir():
        return {}
    return {p.stem: parse(p) for p in sorted(folder.glob("*.rq"))}


def parse(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if match:
            header[match.group(1).lower()] = match.group(2).strip()
        elif line.strip() and not line.startswith("#"):
            break
    if "summary" not in header:
        raise InputError("named query has no '#+ summary:' header / 缺少摘要", file=str(path))
    tags = tuple(t.strip() for t in header.get("tags", "").strip("[]").split(",") if t.strip())
    return NamedQuery(
        name=path.stem,
        path=path,
        text=text,
        summary=header["summary"],
        description=header.get("description", ""),
        tags=tags,
        params=tuple(_params(header.get("params", ""), path)),
    )


def _params(spec: str, path: Path) -> list[Param]:
    params = []
    for part in _split_top_level(spec):
        match = _PARAM.fullmatch(part)
        if not match or match.group(2) not in PARAM_TYPES:
            raise InputError(
                f"bad '#+ params:' entry {part.strip()!r}; write 'name (TYPE, e.g. value)' "
                f"with TYPE in {sorted(PARAM_TYPES)}",
                file=str(path),
            )
        params.append(Param(match.group(1), match.group(2), (match.group(3) or "").strip() or None))
    return params


def _split_top_level(spec: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in spec:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return parts


def bind(query: NamedQuery, values: dict[str, str]) -> dict[str, str]:
    """Turn request values into N-Triples terms by each parameter's declared type."""
    known = {p.name: p for p in query.params}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InputError(
            f"unknown parameter(s) {', '.join(unknown)} for query {query.name}; it takes "
            f"{', '.join(known) or 'none'} / 未知参数"
        )
    return {name: to_term(known[name], value) for name, value in values.items() if value != ""}


def to_term(param: Param, value: str) -> str:
    if param.type == "IRI":
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|^`\\]*", value):
            raise InputError(
                f"parameter {param.name} must be an absolute IRI, got {value!r} / "
                "参数必须是绝对 IRI"
            )
        return f"<{value}>"
    checks = {
        "integer": (r"[+-]?\d+", "integer"),
        "decimal": (r"[+-]?(\d+\.?\d*|\.\d+)", "decimal"),
        "year": (r"-?\d{4}", "gYear"),
        "date": (r"\d{4}-\d{2}-\d{2}", "date"),
    }
    if param.type in checks:
        pattern, datatype = checks[param.type]
        if not re.fullmatch(pattern, value.strip()):
            raise InputError(
                f"parameter {param.name} must be a {param.type}, got {value!r} / "
                f"参数类型应为 {param.type}"
            )
        return f'"{value.strip()}"^^<{XSD}{datatype}>'
    return '"' + _escape(value) + '"'


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
