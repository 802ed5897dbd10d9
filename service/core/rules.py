"""Keyword rules: a small boolean query language matched against stories.

Grammar (case-insensitive keywords):
    query  := or
    or     := and ("OR" and)*
    and    := unary (["AND"] unary)*        implicit AND between terms
    unary  := ("NOT" | "-") unary | atom
    atom   := WORD | '"' phrase '"' | "(" or ")"
A word matches a whole word, case-insensitively; a phrase matches its words in a row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from service.core.text import plain_text, words


class QueryError(ValueError):
    """A query that cannot be compiled; `column` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} at column {column}")
        self.message = message
        self.column = column


@dataclass(frozen=True, slots=True)
class Document:
    """A story's text as rules see it."""

    title: str
    body: str
    outlet: str | None = None
    feed_id: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSpec:
    name: str
    query: str
    notify: tuple[str, ...]
    feeds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    rule: str
    destinations: tuple[str, ...]
    terms: tuple[str, ...]
    snippet: str


# ---- query syntax tree -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Phrase:
    tokens: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Any_:
    children: tuple[Node, ...]


Node = Phrase | Not | All | Any_

_TOKEN = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<q>"[^"]*"?)|(?P<neg>-)(?=\S)|(?P<w>[^\s()"]+))'
)


def _lex(query: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if m is None or m.end() == pos:
            break
        kind = m.lastgroup or ""
        value = m.group(kind)
        column = m.start(kind) + 1
        if kind == "q" and (len(value) < 2 or not value.endswith('"')):
            raise QueryError("unbalanced quote", column)
        tokens.append((kind, value, column))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = _lex(query)
        self.i = 0
        self.end_column = len(query) + 1

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _is_keyword(self, word: str) -> bool:
        tok = self._peek()
        return tok is not None and tok[0] == "w" and tok[1] == word

    def parse(self) -> Node:
        if not self.tokens:
            raise QueryError("empty query", 1)
        node = self._or()
        tok = self._peek()
        if tok is not None:
            raise QueryError(f"unexpected {tok[1]!r}", tok[2])
        return node

    def _or(self) -> Node:
        children = [self._and()]
        while self._is_keyword("OR"):
            self.i += 1
            children.append(self._and())
        return children[0] if len(children) == 1 else Any_(tuple(children))

    def _and(self) -> Node:
        children = [self._unary()]
        while True:
            tok = self._peek()
            if tok is None or tok[0] == "rp" or self._is_keyword("OR"):
                break
            if self._is_keyword("AND"):
                self.i += 1
            children.append(self._unary())
        return children[0] if len(children) == 1 else All(tuple(children))

    def _unary(self) -> Node:
        tok = self._peek()
        if tok is not None and (tok[0] == "neg" or (tok[0] == "w" and tok[1] == "NOT")):
            self.i += 1
            return Not(self._unary())
        return self._atom()

    def _atom(self) -> Node:
        tok = self._peek()
        if tok is None:
            raise QueryError("query ends where a term was expected", self.end_column)
        kind, value, column = tok
        self.i += 1
        if kind == "lp":
            node = self._or()
            close = self._peek()
            if close is None or close[0] != "rp":
                raise QueryError("unclosed parenthesis", column)
            self.i += 1
            return node
        if kind == "rp":
            raise QueryError("unexpected ')'", column)
        if kind == "w" and value in ("AND", "OR", "NOT"):
            raise QueryError(f"{value} needs a term on each side", column)
        text = value[1:-1] if kind == "q" else value
        tokens = tuple(words(text))
        if not tokens:
            raise QueryError(f"{value!r} has no word in it", column)
        return Phrase(tokens, text)


def parse_query(query: str) -> Node:
    return _Parser(query).parse()


# ---- matching ----------------------------------------------------------------

@dataclass(slots=True)
class _Text:
    tokens: list[str]
    positions: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str) -> _Text:
        tokens: list[str] = []
        for tok in words(text):
            tokens.append(tok.split("'", 1)[0] if "'" in tok else tok)
        positions: dict[str, list[int]] = {}
        for i, tok in enumerate(tokens):
            positions.setdefault(tok, []).append(i)
        return cls(tokens, positions)

    def find(self, phrase: Phrase) -> int | None:
        first, rest = phrase.tokens[0], phrase.tokens[1:]
        for start in self.positions.get(first, ()):
            end = start + 1 + len(rest)
            if tuple(self.tokens[start + 1 : end]) == rest:
                return start
        return None


def _evaluate(node: Node, text: _Text, hits: list[tuple[int, Phrase]]) -> bool:
    if isinstance(node, Phrase):
        at = text.find(node)
        if at is None:
            return False
        hits.append((at, node))
        return True
    if isinstance(node, Not):
        return not _evaluate(node.child, text, [])
    if isinstance(node, All):
        return all(_evaluate(child, text, hits) for child in node.children)
    return any([_evaluate(child, text, hits) for child in node.children])


def _snippet(text: _Text, at: int, width: int = 30) -> str:
    start = max(0, at - width // 3)
    words_ = text.tokens[start : start + width]
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + width < len(text.tokens) else ""
    return prefix + " ".join(words_) + suffix


@dataclass(frozen=True, slots=True)
class CompiledRule:
    spec: RuleSpec
    tree: Node

    def applies_to(self, doc: Document) -> bool:
        if self.spec.feeds and doc.feed_id not in self.spec.feeds:
            return False
        return not (self.spec.tags and not set(self.spec.tags) & set(doc.tags))


class RuleSet:
    """Rules compiled once per config load, matched against each story."""

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        self.rules = tuple(rules)

    def match(self, doc: Document) -> list[Match]:
        text = _Text.of(doc.title + "\n" + plain_text(doc.body))
        matches: list[Match] = []
        for rule in self.rules:
            if not rule.applies_to(doc):
                continue
            hits: list[tuple[int, Phrase]] = []
            if _evaluate(rule.tree, text, hits):
                hits.sort(key=lambda h: h[0])
                terms = tuple(dict.fromkeys(p.text for _, p in hits))
                snippet = _snippet(text, hits[0][0]) if hits else ""
                matches.append(Match(rule.spec.name, rule.spec.notify, terms, snippet))
        return matches


def compile_rules(specs: Sequence[RuleSpec]) -> RuleSet:
    """Compile every rule; raises the first QueryError (config validation lists all)."""
    return RuleSet(CompiledRule(spec, parse_query(spec.query)) for spec in specs)
