"""Bind a query's parameters with a VALUES block at the start of its WHERE group.

pyoxigraph's `substitutions` bind the variables after the query is planned, so the plan does not
start from the bound IRI: at a million triples the edition page's source query took 91 s bound
that way and 6 ms with the same IRI in a VALUES block. The block is built from terms that
pyoxigraph's own parser read (`parse_term`), never from the raw request text, so a value cannot
change the query's meaning; it goes right after the `{` that opens the outermost WHERE group,
found by a scanner that skips comments, IRIs and strings. A query where no such place is found
keeps `substitutions` (correct, only slower).
"""

from __future__ import annotations

import re

from plangraph.sparql import parse_term

_SKIP = re.compile(
    r'#[^\n]*|<[^<>"{}|^`\\\s]*>|"""(?:[^"\\]|\\.|"(?!""))*"""|'
    r"'''(?:[^'\\]|\\.|'(?!''))*'''|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'",
    re.DOTALL,
)
_WHERE = re.compile(r"(?i)\bWHERE\s*$")
_FORM = re.compile(r"(?i)\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b")


def where_brace(query: str) -> int | None:
    """The index of the `{` that opens the outermost WHERE group, or None."""
    depth = 0
    code: list[str] = []  # the text so far, comments and strings blanked out
    form = None
    i = 0
    while i < len(query):
        match = _SKIP.match(query, i) if query[i] in "#<\"'" else None
        if match is not None and match.end() > i:
            code.append(" " * (match.end() - i))
            i = match.end()
            continue
        char = query[i]
        if char == "{":
            text = "".join(code)
            if form is None:
                found = _FORM.search(text)
                form = found.group(1).upper() if found else ""
            if depth == 0 and (_WHERE.search(text) or form in {"SELECT", "ASK"}):
                return i
            depth += 1
        elif char == "}":
            depth -= 1
        code.append(char)
        i += 1
    return None


def with_values(query: str, terms: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The query with `terms` (variable -> N-Triples term) bound; what is left to substitute."""
    if not terms:
        return query, {}
    at = where_brace(query)
    if at is None:
        return query, terms
    names = sorted(terms)
    variables = " ".join(f"?{name}" for name in names)
    values = " ".join(str(parse_term(terms[name])) for name in names)
    block = f" VALUES ({variables}) {{ ({values}) }}"
    return query[: at + 1] + block + query[at + 1 :], {}
