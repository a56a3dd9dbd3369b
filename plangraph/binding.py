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
_UNION = re.compile(r"(?i)\bUNION\s*$")
_SUBQUERY = re.compile(r"(?i)\s*SELECT\b")


def group_braces(query: str) -> list[int]:
    """Where a VALUES block binds the query: the `{` that opens the outermost WHERE group, and
    those of the groups nested in it through plain groups and UNION branches only.

    Oxigraph does not push a VALUES block into the branches of a UNION, so a block only at the
    top leaves each branch to run unbound (the resource page's describe query: 1.2 s at a
    million triples, 1 ms per branch). A join distributes over a union and over a plain group,
    so a copy of the block inside those changes no answer; OPTIONAL, MINUS, EXISTS, GRAPH,
    SERVICE, sub-SELECTs and VALUES data are left alone (a copy there could)."""
    stack: list[bool] = []  # per open group: may the block go inside?
    found: list[int] = []
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
            text = "".join(code).rstrip()
            if form is None:
                found_form = _FORM.search(text)
                form = found_form.group(1).upper() if found_form else ""
            if not stack:
                plain = bool(_WHERE.search(text)) or (form in {"SELECT", "ASK"} and not found)
            else:
                plain = (
                    stack[-1]
                    and (text.endswith(("{", "}", ".")) or bool(_UNION.search(text)))
                    and not _SUBQUERY.match(query, i + 1)
                )
            if plain:
                found.append(i)
            stack.append(plain)
        elif char == "}" and stack:
            stack.pop()
        code.append(char)
        i += 1
    return found


def where_brace(query: str) -> int | None:
    """The index of the `{` that opens the outermost WHERE group, or None."""
    braces = group_braces(query)
    return braces[0] if braces else None


def with_values(query: str, terms: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The query with `terms` (variable -> N-Triples term) bound; what is left to substitute."""
    if not terms:
        return query, {}
    braces = group_braces(query)
    if not braces:
        return query, terms
    names = sorted(terms)
    variables = " ".join(f"?{name}" for name in names)
    values = " ".join(str(parse_term(terms[name])) for name in names)
    block = f" VALUES ({variables}) {{ ({values}) }}"
    for at in reversed(braces):
        query = query[: at + 1] + block + query[at + 1 :]
    return query, {}
