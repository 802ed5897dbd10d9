"""The rule query language: Lucene syntax (parsed by luqum) narrowed to what rules mean.

`parse_query` turns a query into a small tree of `Text`, `Outlet`, `Tag`, `And`,
`Or` and `Not` nodes, or raises `QueryError` with a 1-based column. The syntax is
documented for users in docs/rules.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from luqum import tree as lq  # type: ignore[import-untyped]
from luqum.exceptions import (  # type: ignore[import-untyped]
    IllegalCharacterError,
    ParseSyntaxError,
)
from luqum.thread import parse as luqum_parse  # type: ignore[import-untyped]

from service.core.rule_text import HYPHENS, forms, hyphenated, is_acronym, query_words

MAX_PROXIMITY = 20
MIN_WILDCARD_PREFIX = 3
TEXT_FIELDS = frozenset({"title", "body"})
FIELDS = ("title", "body", "outlet", "tag", "case")


class QueryError(ValueError):
    """A query that cannot be compiled; `column` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} at column {column}")
        self.message = message
        self.column = column


@dataclass(frozen=True, slots=True)
class Text:
    """A term, a phrase or a proximity group, matched against story words.

    `words` are the query's tokens as written; `slop` is None for a term or an
    exact phrase and N for `"a b"~N`; `prefix` marks a trailing wildcard (one
    word only); `joined` is the single-word reading of a hyphenated term
    ("cease-fire" -> "ceasefire"), which also matches.
    """

    words: tuple[str, ...]
    text: str
    column: int
    field: str | None = None
    case: bool = False
    prefix: bool = False
    slop: int | None = None
    joined: str | None = None
    acronyms: tuple[bool, ...] = ()


@dataclass(frozen=True, slots=True)
class Outlet:
    host: str
    column: int


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    column: int


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node = Text | Outlet | Tag | And | Or | Not

_POSITION = re.compile(r"at position (\d+)")
_UNEXPECTED = re.compile(r"unexpected\s+'(.*)' at position")


def _unclosed_paren(query: str) -> int | None:
    """Column of the first '(' left open, ignoring quoted text."""
    stack: list[int] = []
    quoted = escaped = False
    for i, ch in enumerate(query):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            stack.append(i + 1)
        elif not quoted and ch == ")" and stack:
            stack.pop()
    return stack[0] if stack else None


def _syntax_error(query: str, error: Exception) -> QueryError:
    message = str(error)
    found = _POSITION.search(message)
    if isinstance(error, IllegalCharacterError) and found:
        pos = int(found.group(1))
        if query[pos : pos + 1] == '"':
            return QueryError("unbalanced quote", pos + 1)
        return QueryError(f"unexpected character {query[pos : pos + 1]!r}", pos + 1)
    if found:
        pos = int(found.group(1))
        token = _UNEXPECTED.search(message)
        what = token.group(1) if token else query[pos : pos + 1]
        if what in ("AND", "OR"):
            return QueryError(f"{what} needs a term on each side", pos + 1)
        if what == ")":
            return QueryError("')' without a matching '('", pos + 1)
        return QueryError(f"unexpected {what!r}", pos + 1)
    column = _unclosed_paren(query)
    if column is not None:
        return QueryError("unclosed parenthesis", column)
    if not query.strip():
        return QueryError("empty query", 1)
    return QueryError("query ends where a term was expected", len(query.rstrip()) + 1)


def _escaped_positions(raw: str) -> set[int]:
    """Indices of characters escaped with a backslash (taken literally)."""
    escaped: set[int] = set()
    i = 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw):
            escaped.add(i + 1)
            i += 2
        else:
            i += 1
    return escaped


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


@dataclass(frozen=True, slots=True)
class _Context:
    field: str | None = None
    case: bool = False


class _Builder:
    def __init__(self, query: str) -> None:
        self.query = query

    def build(self, node: lq.Item, ctx: _Context) -> Node:
        col = int(getattr(node, "pos", 0) or 0) + 1
        if isinstance(node, lq.SearchField):
            return self._field(node, ctx, col)
        if isinstance(node, lq.Group | lq.FieldGroup):
            return self.build(node.expr, ctx)
        if isinstance(node, lq.AndOperation | lq.UnknownOperation):
            return And(tuple(self.build(c, ctx) for c in node.children))
        if isinstance(node, lq.OrOperation):
            return Or(tuple(self.build(c, ctx) for c in node.children))
        if isinstance(node, lq.Not | lq.Prohibit):
            return Not(self.build(node.a, ctx))
        if isinstance(node, lq.Plus):
            return self.build(node.a, ctx)
        if isinstance(node, lq.Proximity):
            return self._proximity(node, ctx, col)
        if isinstance(node, lq.Fuzzy):
            tilde = col + len(str(node.term).strip())
            raise QueryError('"~" applies to a quoted phrase: "a b"~N', tilde)
        if isinstance(node, lq.Boost):
            raise QueryError("boosting (^) is not supported", col + len(str(node.expr).strip()))
        if isinstance(node, lq.Range):
            raise QueryError("ranges are not supported", col)
        if isinstance(node, lq.Regex):
            raise QueryError("regular expressions are not supported", col)
        if isinstance(node, lq.Phrase):
            return self._leaf(node.value[1:-1], ctx, col + 1, quoted=True, written=node.value)
        if isinstance(node, lq.Word):
            return self._leaf(node.value, ctx, col, quoted=False, written=node.value)
        raise QueryError(f"unsupported syntax {str(node).strip()!r}", col)

    def _field(self, node: lq.SearchField, ctx: _Context, col: int) -> Node:
        name = node.name.lower()
        if name not in FIELDS:
            known = ", ".join(f"{f}:" for f in FIELDS)
            raise QueryError(f"unknown field {node.name!r} (fields are {known})", col)
        if name == "case":
            return self.build(node.expr, _Context(ctx.field, True))
        if ctx.field is not None:
            raise QueryError(f"{name}: inside {ctx.field}:", col)
        return self.build(node.expr, _Context(name, ctx.case))

    def _proximity(self, node: lq.Proximity, ctx: _Context, col: int) -> Node:
        tilde = col + len(str(node.term).strip())
        degree = node.degree
        if not isinstance(degree, int) or degree < 0:
            raise QueryError("proximity must be a whole number of words", tilde)
        if degree > MAX_PROXIMITY:
            raise QueryError(f"proximity is at most ~{MAX_PROXIMITY}", tilde)
        leaf = self.build(node.term, ctx)
        if isinstance(leaf, Text) and len(leaf.words) > 1:
            return Text(
                leaf.words,
                f"{leaf.text}~{degree}",
                leaf.column,
                leaf.field,
                leaf.case,
                slop=degree,
                acronyms=leaf.acronyms,
            )
        return leaf

    def _leaf(self, raw: str, ctx: _Context, col: int, *, quoted: bool, written: str) -> Node:
        value = _unescape(raw)
        if ctx.field in ("outlet", "tag"):
            return self._meta(value, ctx.field, col)
        escaped = _escaped_positions(raw)
        for i, ch in enumerate(raw):
            if i in escaped:
                continue
            if ch == '"' and not quoted:
                raise QueryError("unbalanced quote", col + i)
            if ch in "*?" and (quoted or ch == "?" or i != len(raw) - 1):
                where = "inside a phrase" if quoted else "except at the end of a word"
                raise QueryError(f"wildcards are not supported {where}", col + i)
        prefix = False
        if not quoted and raw.endswith("*") and len(raw) - 1 not in escaped:
            prefix = True
            value = value[:-1]
        tokens = query_words(value)
        if not tokens:
            raise QueryError(f"{written!r} has no letters or digits", col)
        words = tuple(t.rstrip(HYPHENS) for t in tokens)
        acronyms = tuple(is_acronym(w) for w in words)
        text = written
        if prefix:
            if len(words) != 1 or hyphenated(tokens[0]):
                raise QueryError("a wildcard ends a single word", col)
            # Counted as the word is matched: a possessive ("it's*") is not part of it.
            if len(forms(words[0])[0]) < MIN_WILDCARD_PREFIX:
                raise QueryError(
                    f"a wildcard needs at least {MIN_WILDCARD_PREFIX} letters before it", col
                )
            return Text(words, text, col, ctx.field, ctx.case, prefix=True, acronyms=acronyms)
        joined = None
        if len(words) > 1 and all(hyphenated(t) for t in tokens[:-1]):
            joined = "".join(words)
        return Text(words, text, col, ctx.field, ctx.case, joined=joined, acronyms=acronyms)

    def _meta(self, value: str, field: str, col: int) -> Node:
        value = value.strip().lower()
        if not value:
            raise QueryError(f"{field}: needs a value", col)
        if "*" in value or "?" in value:
            raise QueryError(f"wildcards are not supported in {field}:", col)
        if field == "outlet":
            host = value.split("://", 1)[-1].split("/", 1)[0]
            return Outlet(host.removeprefix("www."), col)
        return Tag(value, col)


def parse_query(query: str) -> Node:
    """Parse a rule query; raises QueryError naming the 1-based column."""
    if not query.strip():
        raise QueryError("empty query", 1)
    try:
        tree = luqum_parse(query)
    except (IllegalCharacterError, ParseSyntaxError) as error:
        raise _syntax_error(query, error) from None
    except ValueError:
        tilde = query.find("~")
        raise QueryError("proximity must be a whole number of words", tilde + 1) from None
    return _Builder(query).build(tree, _Context())
