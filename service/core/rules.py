"""Keyword rules: compiled once, matched against every story through a term index.

The engine follows Lucene Monitor and the Elasticsearch percolator: each rule is
indexed under a set of anchor terms, at least one of which a story must contain
for the rule to match (every branch of an OR, a wildcard's first letters, a
stem); a rule that needs several unstemmed words (a phrase, proximity, an AND)
is indexed under two of them, and a story must contain both. A story is
tokenised once; its distinct words select the candidate rules, and only those
are evaluated in full. The cost per story therefore grows
with the story and its candidates, not with the number of rules.

The language is documented for users in docs/rules.md and parsed by
service/core/query_language.py.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator, KeysView, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import accumulate, chain, compress, islice, repeat
from operator import eq, itemgetter, sub
from typing import Any, TypeVar, overload

import snowballstemmer  # type: ignore[import-untyped]

from service.core.query_language import (
    MAX_PROXIMITY,
    And,
    Node,
    Not,
    Or,
    Outlet,
    QueryError,
    Tag,
    Text,
    parse_query,
)
from service.core.rule_text import (
    TOKEN_SPLIT,
    clean_text,
    folded_forms,
    forms,
    hyphenated,
    joinable,
    plural_fold,
)

__all__ = [
    "Document",
    "Match",
    "QueryError",
    "RuleSet",
    "RuleSpec",
    "compile_rules",
    "parse_query",
    "validate_query",
]

_T = TypeVar("_T")

STEM_LANGUAGES = frozenset(snowballstemmer.algorithms())
_GAP = MAX_PROXIMITY + 2  # empty positions between title and body: no phrase spans both
_GAP_STEM = "\x00"  # the gap's stem: no token holds a NUL
_SNIPPET_BEFORE = 60
_SNIPPET_WIDTH = 220
_FIRST_THREE = itemgetter(slice(3))

# Anchor namespaces: plain keys are bare; the others carry a control-character prefix.
_PREFIX = "\x03\x00"
_OUTLET = "\x04\x00"
_TAG = "\x05\x00"
_STEM = "\x06"  # then the language, "\x00" and the stem

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "he",
        "her",
        "his",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "will",
        "with",
        "you",
        "said",
        "says",
        "not",
        "no",
        "new",
        "after",
        "over",
        "more",
        "than",
        "who",
        "which",
        "also",
        "one",
        "two",
    ]
)


@dataclass(frozen=True, slots=True)
class Document:
    """A story's text as rules see it. `body` may be HTML."""

    title: str
    body: str
    outlet: str | None = None
    feed_id: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One configured rule. `feeds` holds feed ids; `tags` feed tags; empty means all.

    `stem` turns on Snowball stemming for the rule's words in `language`
    (acronyms and case-sensitive terms are never stemmed).
    """

    name: str
    query: str
    notify: tuple[str, ...]
    feeds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    stem: bool = False
    language: str = "english"


Highlights = tuple[tuple[int, int], ...]


class Match:
    """A rule that matched a story.

    `terms` are the query's terms that were found, as written in the query, in
    the order they first occur; `highlights` are (start, end) character spans in
    `snippet` of the matched words, for each destination to mark up its own way.

    The engine makes `snippet` and `highlights` on first read (a story matches
    many rules, and an alert shows one snippet per destination); reading them
    gives the same values whenever it happens.
    """

    __slots__ = ("_excerpt", "_highlights", "_snippet", "destinations", "rule", "terms")

    def __init__(
        self,
        rule: str,
        destinations: tuple[str, ...],
        terms: tuple[str, ...],
        snippet: str = "",
        highlights: Highlights = (),
        *,
        excerpt: Callable[[], tuple[str, Highlights]] | None = None,
    ) -> None:
        self.rule = rule
        self.destinations = destinations
        self.terms = terms
        self._snippet = snippet
        self._highlights = highlights
        self._excerpt = excerpt

    def _made(self) -> None:
        excerpt = self._excerpt
        if excerpt is not None:
            self._snippet, self._highlights = excerpt()
            self._excerpt = None

    @property
    def snippet(self) -> str:
        self._made()
        return self._snippet

    @property
    def highlights(self) -> Highlights:
        self._made()
        return self._highlights

    def _fields(self) -> tuple[object, ...]:
        return (self.rule, self.destinations, self.terms, self.snippet, self.highlights)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Match):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"Match(rule={self.rule!r}, destinations={self.destinations!r}, "
            f"terms={self.terms!r}, snippet={self.snippet!r}, highlights={self.highlights!r})"
        )


def validate_query(query: str, *, stem: bool = False, language: str = "english") -> None:
    """Raise QueryError if the query (or its stemming language) cannot be compiled."""
    tree = parse_query(query)
    if stem and language not in STEM_LANGUAGES:
        raise QueryError(f"no stemmer for language {language!r}", 1)
    del tree


# ---- the story, tokenised once ------------------------------------------------


class _Positions(Mapping[str, list[int]]):
    """Positions of each form in `arr` (a form per token; `gap` is the form of the
    title-body gap's positions, "" unless a real form may be "").

    Which forms occur, and where first, is one dict built at C speed; a form's
    full list of positions is found when first asked for (most words of a story
    are never asked about, and most occur once)."""

    __slots__ = ("_first", "_found", "_gap", "_last", "arr")

    def __init__(self, arr: list[str], gap: str = "") -> None:
        self.arr = arr
        self._gap = gap
        self._first: dict[str, int] | None = None
        self._last: dict[str, int] | None = None
        self._found: dict[str, list[int]] = {}

    @property
    def first(self) -> dict[str, int]:
        """Each form's first position (built when first needed)."""
        first = self._first
        if first is None:
            arr = self.arr
            first = dict(zip(reversed(arr), range(len(arr) - 1, -1, -1), strict=True))
            first.pop(self._gap, None)
            self._first = first
        return first

    def __getitem__(self, form: str) -> list[int]:
        found = self._found.get(form)
        if found is not None:
            return found
        p = self.first[form]
        if self._last is None:
            self._last = dict(zip(self.arr, range(len(self.arr)), strict=True))
        last = self._last[form]
        found = [p]
        if last != p:
            index = self.arr.index
            while p != last:
                p = index(form, p + 1)
                found.append(p)
        self._found[form] = found
        return found

    @overload
    def get(self, form: str, /) -> list[int] | None: ...
    @overload
    def get(self, form: str, /, default: list[int] | _T) -> list[int] | _T: ...
    def get(self, form: str, /, default: object = None) -> object:
        if form in self.first:
            return self[form]
        return default

    def __contains__(self, form: object) -> bool:
        return form in self.first

    def keys(self) -> KeysView[str]:
        return self.first.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self.first)

    def __len__(self) -> int:
        return len(self.first)


class _View:
    """One form of every token: `pos` maps a form to its positions, `jpos` a
    two-token compound's form to its start positions, `arr[p]`/`jarr[p]` the
    forms at position p (built on first use, for phrases)."""

    __slots__ = ("_arr", "_arr_of", "_sorted", "_words", "has", "jarr", "jpos", "pos")

    def __init__(
        self,
        pos: Mapping[str, list[int]],
        joins: dict[int, str],
        arr_of: Callable[[], list[str]],
    ) -> None:
        self.pos = pos
        self.has: Callable[[object], bool] = (
            pos._first.__contains__
            if isinstance(pos, _Positions) and pos._first is not None
            else pos.__contains__
        )
        self.jarr = joins
        jpos: dict[str, list[int]] = {}
        for i, form in joins.items():
            jpos.setdefault(form, []).append(i)
        self.jpos = jpos
        self._arr_of = arr_of
        self._arr: list[str] | None = None
        self._sorted: list[str] | None = None
        self._words: str | None = None

    @property
    def arr(self) -> list[str]:
        if self._arr is None:
            self._arr = self._arr_of()
        return self._arr

    def has_prefix(self, prefix: str) -> bool:
        """Whether any form starts with `prefix` (no form holds a space)."""
        if self._words is None:
            self._words = " " + " ".join(self.pos)
        return " " + prefix in self._words

    def starting_with(self, prefix: str) -> list[str]:
        """Forms that start with `prefix`."""
        if self._sorted is None:
            self._sorted = sorted(self.pos)
        forms_ = self._sorted
        found = []
        i = bisect_left(forms_, prefix)
        while i < len(forms_) and forms_[i].startswith(prefix):
            found.append(forms_[i])
            i += 1
        return found


class _CasePositions(Mapping[str, list[int]]):
    """Positions of case-sensitive forms, looked up through the key forms' index
    (a case-sensitive term is rare: indexing every surface form is not worth it).
    A token whose case form is F has the key form of F folded."""

    def __init__(self, key_positions: _Positions, surfaces: list[str]) -> None:
        self._key_positions = key_positions
        self._surfaces = surfaces
        self._all: dict[str, list[int]] | None = None

    def _found(self, form: str) -> list[int]:
        key = _key(form.casefold())
        if key not in self._key_positions.first:
            return []
        surfaces = self._surfaces
        return [p for p in self._key_positions[key] if _case(surfaces[p]) == form]

    def __getitem__(self, form: str) -> list[int]:
        found = self._found(form)
        if not found:
            raise KeyError(form)
        return found

    def _every(self) -> dict[str, list[int]]:
        if self._all is None:
            self._all = dict(_Positions(list(map(_case, self._surfaces))))
        return self._all

    def __contains__(self, form: object) -> bool:
        return isinstance(form, str) and bool(self._found(form))

    def __iter__(self) -> Iterator[str]:
        return iter(self._every())

    def __len__(self) -> int:
        return len(self._every())


# What a RuleSet knows of a token, keyed by its surface (see RuleSet._records):
# its folded and key forms, whether it can start or end a compound some query
# word spells, and its stem in each stemming language of the rules.
_R_FOLDED = itemgetter(0)
_R_KEY = itemgetter(1)
_R_HEAD = itemgetter(2)
_R_TAIL = itemgetter(3)
_R_STEM_HEAD = itemgetter(4)
_R_WILD = itemgetter(5)
_R_STEMS = 6
_MEMO_MAX = 1 << 17  # words; about 400 bytes each (measured), so at most ~50 MB
# (folded, key, can head a compound, can end one, can head a stemmed one,
#  begins with a wildcard's letters, stem, ...)
_Record = tuple[Any, ...]


def _key_of_folded(folded: str) -> str:
    return plural_fold(folded) if folded[-1:] == "s" else folded


def _is_none(value: object) -> bool:
    return value is None


@lru_cache(maxsize=1 << 17)
def _case(surface: str) -> str:
    return forms(surface)[0]


@lru_cache(maxsize=1 << 17)
def _key(folded: str) -> str:
    return plural_fold(folded)


class _Story:
    __slots__ = (
        "_distinct",
        "_flat",
        "_fold_of_",
        "_folded",
        "_parts",
        "_prefixes",
        "_records",
        "_starts",
        "_stem_firsts",
        "_stem_keys",
        "_views",
        "_wild_words",
        "_wpos",
        "body_offset",
        "body_start",
        "doc",
        "joins",
        "kfirst",
        "kjpos",
        "kpos",
        "length",
        "rules",
        "surfaces",
        "text",
    )

    def __init__(self, rules: RuleSet, doc: Document) -> None:
        self.rules = rules
        self.doc = doc
        title = clean_text(doc.title).replace("\n", " ")
        body = clean_text(doc.body)
        self.body_offset = len(title) + 1
        self.text = title + "\n" + body
        # Split, not findall: the pieces between tokens give each token's offset
        # (for snippets) by one running sum, with no match object per token.
        self._parts = title_parts, body_parts = TOKEN_SPLIT.split(title), TOKEN_SPLIT.split(body)
        title_tokens = title_parts[1::2]
        self.body_start = len(title_tokens) + _GAP
        surfaces = title_tokens + [""] * _GAP + body_parts[1::2]
        self.surfaces = surfaces  # a hyphen joining a word to the next stays on its end
        self.length = len(surfaces)
        # Each distinct surface is looked up in the rules' memo once; tokens then
        # map through this story's own small dicts.
        self._distinct = distinct = list(dict.fromkeys(surfaces))
        self._records = records = rules._records(distinct)
        self._fold_of_: dict[str, str] | None = None
        key_of = dict(zip(distinct, map(_R_KEY, records), strict=True))
        karr: list[str] = list(map(key_of.__getitem__, surfaces))
        kpos = _Positions(karr)
        self._folded: list[str] | None = None
        self._prefixes: set[str] | None = None
        self._wild_words: list[str] | None = None
        self.joins = joins = self._find_joins(distinct, records, karr)
        self._starts: list[int] | None = None
        self._wpos: _Positions | None = None
        fold_of = self._fold_of if joins else {}
        key_joins = {p: _key(fold_of[surfaces[p]] + fold_of[surfaces[p + 1]]) for p in joins}
        k = _View(kpos, key_joins, lambda: karr)
        self.kpos = kpos
        self.kfirst = kpos.first
        self.kjpos = k.jpos
        self._views: dict[str, _View] = {"k": k}
        self._flat: str | None = None
        self._stem_keys: dict[str, AbstractSet[str]] = {}
        self._stem_firsts: dict[str, tuple[dict[str, int], dict[str, list[int]]]] = {}

    @property
    def _fold_of(self) -> dict[str, str]:
        """The folded form of each distinct surface (built when first needed)."""
        fold_of = self._fold_of_
        if fold_of is None:
            records = self._records
            fold_of = dict(zip(self._distinct, map(_R_FOLDED, records), strict=True))
            self._fold_of_ = fold_of
        return fold_of

    @property
    def wild_words(self) -> list[str]:
        """The folded form of each distinct word that begins with the letters of
        some wildcard of the rules (most stories have few or none)."""
        if self._wild_words is None:
            records = self._records
            self._wild_words = list(compress(map(_R_FOLDED, records), map(_R_WILD, records)))
        return self._wild_words

    def prefixes(self) -> set[str]:
        """The first three letters of the words in `wild_words` (what wildcards are
        indexed by)."""
        if self._prefixes is None:
            self._prefixes = set(map(_FIRST_THREE, self.wild_words))
        return self._prefixes

    def has_wild_prefix(self, prefix: str) -> bool:
        """Whether a word's folded form begins with `prefix`, the letters of one
        of the rules' wildcards (folded)."""
        return any(word.startswith(prefix) for word in self.wild_words)

    @property
    def folded(self) -> list[str]:
        """The folded form of every token ("" for the title-body gap)."""
        if self._folded is None:
            self._folded = list(map(self._fold_of.__getitem__, self.surfaces))
        return self._folded

    def _find_joins(
        self, distinct: list[str], records: list[_Record], karr: list[str]
    ) -> list[int]:
        """Positions p where the words at p and p + 1 may also be read as one
        compound that spells (the start of) a query word ("cease-fire")."""
        pairs = zip(distinct, records, strict=True)
        heads = dict(compress(pairs, map(_R_HEAD, records)))  # surface -> record
        pairs = zip(distinct, records, strict=True)
        stem_heads = dict(compress(pairs, map(_R_STEM_HEAD, records)))
        if not heads and not stem_heads:
            return []
        tails = self.rules._join_tails
        # Heads that some word of this story could complete, checked once per
        # distinct word: most stories have none, and then no token is scanned.
        viable: dict[str, _Record] = {}
        if heads:
            tails_here = list(compress(records, map(_R_TAIL, records)))
            if tails_here:
                ends = set(map(_R_FOLDED, tails_here)).union(map(_R_KEY, tails_here))
                for h, r in heads.items():
                    if not ends.isdisjoint(tails[r[0]][0]):
                        viable[h] = r
        # A stemmed compound's tail is only known by how it begins: the scan below
        # checks the word after each of its heads.
        viable.update(stem_heads)
        if not viable:
            return []
        fold_of = self._fold_of
        surfaces = self.surfaces
        starts = compress(range(self.length - 1), map(viable.__contains__, surfaces))
        joins = []
        for p in starts:
            head = viable[surfaces[p]][0]
            exact, prefixes = tails[head]
            tail = fold_of[surfaces[p + 1]]
            if not (
                tail in exact or karr[p + 1] in exact or (prefixes and tail.startswith(prefixes))
            ):
                continue
            if joinable(head, hyphenated(surfaces[p]), tail):
                joins.append(p)
        return joins

    @property
    def wpos(self) -> _Positions:
        """Positions of each folded form (for wildcards)."""
        if self._wpos is None:
            self._wpos = _Positions(self.folded)
        return self._wpos

    def view(self, name: str) -> _View:
        got = self._views.get(name)
        if got is not None:
            return got
        if name == "w":
            got = _View(self.wpos, {}, lambda: self.folded)
        elif name == "c":
            surfaces = self.surfaces
            joins = {p: _case(surfaces[p]) + _case(surfaces[p + 1]) for p in self.joins}
            got = _View(
                _CasePositions(self.kpos, surfaces), joins, lambda: list(map(_case, surfaces))
            )
        else:
            got = self._stem_view(name[2:])
        self._views[name] = got
        return got

    def _stem_view(self, language: str) -> _View:
        """The stem of every token, from the stems the records hold."""
        column = self.rules._stem_column(language)
        stem_of = dict(zip(self._distinct, map(itemgetter(column), self._records), strict=True))
        arr = list(map(stem_of.__getitem__, self.surfaces))
        joins: dict[int, str] = {}
        if self.joins:
            stem, folded = self.rules._stemmer(language), self.folded
            joins = {p: stem(folded[p] + folded[p + 1]) for p in self.joins}
        return _View(_Positions(arr, _GAP_STEM), joins, lambda: arr)

    def _stem_words(self, language: str) -> tuple[dict[str, int], dict[str, list[int]]]:
        """Each stem's first word, as its index among the distinct words (which
        come in order of first occurrence), and each compound stem's positions:
        what candidates and the first hits of stemmed terms need, without a
        stem for every token."""
        got = self._stem_firsts.get(language)
        if got is None:
            stems = list(map(itemgetter(self.rules._stem_column(language)), self._records))
            first = dict(zip(reversed(stems), range(len(stems) - 1, -1, -1), strict=True))
            del first[_GAP_STEM]
            joined: dict[str, list[int]] = {}
            if self.joins:
                stem, folded = self.rules._stemmer(language), self.folded
                for p in self.joins:
                    joined.setdefault(stem(folded[p] + folded[p + 1]), []).append(p)
            got = self._stem_firsts[language] = (first, joined)
        return got

    def stem_keys(self, language: str) -> AbstractSet[str]:
        """Every stem in the story, of words and of two-word compounds."""
        keys = self._stem_keys.get(language)
        if keys is None:
            first, joined = self._stem_words(language)
            keys = first.keys() | joined.keys() if joined else first.keys()
            self._stem_keys[language] = keys
        return keys

    def first_stem(self, language: str, form: str) -> Hit | None:
        """The first hit of a stem, as a word or a compound."""
        first, joined = self._stem_words(language)
        hit: Hit | None = None
        i = first.get(form)
        if i is not None:
            p = self.surfaces.index(self._distinct[i])
            hit = (p, p + 1)
        at = joined.get(form)
        if at and (hit is None or (at[0], at[0] + 2) < hit):
            hit = (at[0], at[0] + 2)
        return hit

    def outlet_host(self) -> str:
        return (self.doc.outlet or "").lower().removeprefix("www.")

    def in_field(self, p: int, field: str | None) -> bool:
        if field is None:
            return True
        return (p < self.body_start) == (field == "title")

    def flat(self) -> str:
        """`text` with line breaks, tabs and no-break spaces as plain spaces (same offsets)."""
        if self._flat is None:
            text = self.text.replace("\n", " ").replace("\t", " ").replace("\r", " ")
            self._flat = text.replace("\xa0", " ")
        return self._flat

    def starts(self) -> list[int]:
        """Character offset in `text` of the token at each position (-1 in the gap)."""
        starts = self._starts
        if starts is None:
            title_parts, body_parts = self._parts
            # Pieces alternate between text and token: token j is piece 2j + 1.
            title = list(accumulate(map(len, title_parts), initial=0))
            body = list(accumulate(map(len, body_parts), initial=self.body_offset))
            starts = self._starts = title[1:-1:2] + [-1] * _GAP + body[1:-1:2]
        return starts

    def end(self, p: int) -> int:
        """Character offset in `text` just past the word at position p (its joining
        hyphen, which the token keeps, is not part of the word)."""
        surface = self.surfaces[p]
        return self.starts()[p] + len(surface) - hyphenated(surface)


# ---- compiled rules ----------------------------------------------------------

Hit = tuple[int, int]  # token positions [start, end)


class _Leaf:
    """A Text node compiled: each word as (view, form) for this rule's options."""

    __slots__ = ("field", "plain_phrase", "prefix", "slop", "stemmed_word", "text", "words")

    def __init__(
        self,
        words: tuple[tuple[str, str], ...],
        text: str,
        field: str | None,
        prefix: bool,
        slop: int | None,
    ) -> None:
        self.words = words
        self.text = text
        self.field = field
        self.prefix = prefix
        self.slop = slop
        self.stemmed_word = (
            len(words) == 1
            and field is None
            and not prefix
            and slop is None
            and words[0][0].startswith("s:")
        )
        # Words in sequence in the key view, nothing else: found by position alone.
        self.plain_phrase = (
            len(words) > 1
            and field is None
            and not prefix
            and slop is None
            and all(name == "k" for name, _ in words)
        )

    def first_stemmed(self, story: _Story) -> Hit | None:
        """The first hit of a stemmed word."""
        name, form = self.words[0]
        return story.first_stem(name[2:], form)

    def first_phrase(self, story: _Story) -> Hit | None:
        """The first hit of a plain phrase in a story with no compounds."""
        first = self.words[0][1]
        kfirst = story.kfirst
        for _, form in self.words:
            if form not in kfirst:
                return None
        arr = story.kpos.arr
        size = len(self.words)
        limit = story.length - size
        rest = self.words[1:]
        for p in story.kpos[first]:
            if p <= limit and all(arr[p + i] == f for i, (_, f) in enumerate(rest, 1)):
                return (p, p + size)
        return None

    def _starts(self, story: _Story, i: int) -> list[Hit]:
        name, form = self.words[i]
        view = story.view(name)
        if self.prefix:
            return sorted((p, p + 1) for key in view.starting_with(form) for p in view.pos[key])
        hits = [(p, p + 1) for p in view.pos.get(form, ())]
        joined = view.jpos.get(form)
        if joined:
            hits.extend((p, p + 2) for p in joined)
        return hits

    def _extend(self, story: _Story, i: int, p: int) -> int | None:
        """End of the phrase from word i at position p, or None."""
        if i == len(self.words):
            return p
        if p >= story.length:
            return None
        name, form = self.words[i]
        view = story.view(name)
        if view.arr[p] == form:
            end = self._extend(story, i + 1, p + 1)
            if end is not None:
                return end
        if view.jarr.get(p) == form:
            return self._extend(story, i + 1, p + 2)
        return None

    def hits(self, story: _Story, first_only: bool) -> list[Hit]:
        field = self.field
        if self.slop is not None:
            return self._near(story, first_only)
        found: list[Hit] = []
        for start, end in self._starts(story, 0):
            if field is not None and not story.in_field(start, field):
                continue
            if len(self.words) > 1:
                end_ = self._extend(story, 1, end)
                if end_ is None:
                    continue
                end = end_
            found.append((start, end))
            if first_only:
                break
        return found

    def _near(self, story: _Story, first_only: bool) -> list[Hit]:
        """Every word within `slop` other words of the others, in any order.

        A sliding window over the words' positions; a word the phrase names twice
        ("a a"~3) must occur twice in the window."""
        distinct = list(dict.fromkeys(self.words))
        wanted = [self.words.count(w) for w in distinct]
        events: list[tuple[int, int, int]] = []
        for i, word in enumerate(distinct):
            at = self.words.index(word)
            starts = [h for h in self._starts(story, at) if story.in_field(h[0], self.field)]
            if len(starts) < wanted[i]:
                return []
            events.extend((a, b, i) for a, b in starts)
        events.sort()
        size = len(self.words)
        counts = [0] * len(distinct)
        satisfied = 0
        left = 0
        found: list[Hit] = []
        for right in range(len(events)):
            which = events[right][2]
            counts[which] += 1
            if counts[which] == wanted[which]:
                satisfied += 1
            while satisfied == len(distinct):
                first, last = events[left], events[right]
                if last[0] - first[0] - (size - 1) <= self.slop:  # type: ignore[operator]
                    found.append((first[0], max(e[1] for e in events[left : right + 1])))
                    if first_only:
                        return found
                gone = events[left][2]
                if counts[gone] == wanted[gone]:
                    satisfied -= 1
                counts[gone] -= 1
                left += 1
        return found


Test = Callable[[_Story], bool]


def _simple_key(leaf: _Leaf | None) -> str | None:
    """The form of a plain one-word leaf (no field, wildcard or proximity), else None."""
    if leaf is None or leaf.slop is not None or leaf.prefix or leaf.field is not None:
        return None
    if len(leaf.words) != 1 or leaf.words[0][0] != "k":
        return None
    return leaf.words[0][1]


def _required_keys(leaf: _Leaf) -> tuple[str, ...]:
    """Key forms a story must hold (as a word or a compound) for the leaf to match:
    a cheap test to run before finding positions, and (see _required_all) what
    rules needing several words are indexed under. A case-sensitive word's key is
    its folded, plural-folded form; a stemmed word or a wildcard has none."""
    if leaf.prefix:
        return ()
    keys = []
    for name, form in leaf.words:
        if name == "k":
            keys.append(form)
        elif name == "c":
            keys.append(plural_fold(form.casefold()))
    return tuple(dict.fromkeys(keys))


def _required_stems(leaf: _Leaf) -> tuple[str, tuple[str, ...]] | None:
    """The language and the stems a story must hold (as a word or a compound) for a
    stemmed leaf to match, or None when it has no stemmed word."""
    stemmed = [(name[2:], form) for name, form in leaf.words if name.startswith("s:")]
    if leaf.prefix or not stemmed:
        return None
    return stemmed[0][0], tuple(dict.fromkeys(form for _, form in stemmed))


def _leaf_test(leaf: _Leaf) -> Test:
    test = _leaf_test_alone(leaf)
    required = _required_keys(leaf)
    stems = _required_stems(leaf)
    simple = leaf.slop is None and not leaf.prefix and leaf.field is None
    if (simple and len(leaf.words) == 1) or not (required or stems):
        return test  # a single word (plain, case-sensitive or stemmed) checks its presence first
    if simple and all(name == "k" for name, _ in leaf.words):
        return test  # so does a plain phrase
    language, stem_forms = stems if stems is not None else ("", ())

    def present_first(s: _Story) -> bool:
        kfirst, kjpos = s.kfirst, s.kjpos
        for key in required:
            if key not in kfirst and key not in kjpos:
                return False
        if stem_forms:
            # Stem keys are far cheaper than the stems' positions (a view of the story).
            stem_keys = s.stem_keys(language)
            for form in stem_forms:
                if form not in stem_keys:
                    return False
        return test(s)

    return present_first


def _fielded_word_test(form: str, field: str) -> Test:
    """`title:word` or `body:word`: the word's first position answers most stories."""
    in_title = field == "title"

    def fielded(s: _Story) -> bool:
        p = s.kfirst.get(form)
        if p is not None:
            if in_title:
                if p < s.body_start:
                    return True
            elif p >= s.body_start or _occurs_from(s.kpos.arr, form, s.body_start):
                return True
        joined = s.kjpos.get(form)
        return joined is not None and any(s.in_field(q, field) for q in joined)

    return fielded


def _fielded_stem_test(leaf: _Leaf, language: str, form: str, field: str) -> Test:
    """A stemmed `title:word` or `body:word`: its first hit answers most stories."""
    in_title = field == "title"

    def fielded(s: _Story) -> bool:
        hit = s.first_stem(language, form)
        if hit is None:
            return False
        if (hit[0] < s.body_start) == in_title:
            return True
        # The first hit is in the body, so a title term has none; a body term's
        # first hit is in the title, and a later one may be in the body.
        return not in_title and bool(leaf.hits(s, True))

    return fielded


def _occurs_from(arr: list[str], form: str, start: int) -> bool:
    try:
        arr.index(form, start)
    except ValueError:
        return False
    return True


def _leaf_test_alone(leaf: _Leaf) -> Test:
    words = leaf.words
    simple = leaf.slop is None and not leaf.prefix and leaf.field is None
    if simple and len(words) == 1:
        name, form = words[0]
        if name == "k":
            return lambda s: form in s.kfirst or form in s.kjpos
        if name.startswith("s:"):
            language = name[2:]
            return lambda s: form in s.stem_keys(language)

        def single(s: _Story) -> bool:
            view = s.view(name)
            return form in view.pos or form in view.jpos

        return single
    if leaf.field is not None and leaf.slop is None and not leaf.prefix and len(words) == 1:
        name, form = words[0]
        if name == "k":
            return _fielded_word_test(form, leaf.field)
        if name.startswith("s:"):
            return _fielded_stem_test(leaf, name[2:], form, leaf.field)
    if leaf.prefix and leaf.field is None:
        (name, start), *_ = words  # a wildcard is one word: any form it begins is a hit
        folded = start.casefold()
        if name == "w":
            return lambda s: s.has_wild_prefix(folded)
        return lambda s: s.has_wild_prefix(folded) and s.view(name).has_prefix(start)
    names = {name for name, _ in words}
    if simple and len(names) == 1:
        name = names.pop()
        forms_ = tuple(form for _, form in words)
        first, rest = forms_[0], tuple(enumerate(forms_[1:], 1))
        size = len(forms_)

        def phrase(s: _Story) -> bool:
            view = s.view(name)
            starts = view.pos.get(first) if all(map(view.has, forms_)) else None
            if starts:
                arr = view.arr
                limit = s.length - size
                for p in starts:
                    if p <= limit and all(arr[p + i] == f for i, f in rest):
                        return True
            if view.jpos and any(f in view.jpos for f in forms_):
                return bool(leaf.hits(s, True))  # a compound may stand for one of the words
            return False

        return phrase
    return lambda s: bool(leaf.hits(s, True))


class _Compiled:
    """A rule's query tree with leaves compiled; `test` short-circuits."""

    __slots__ = ("children", "key", "keyed", "kind", "leaf", "test", "value")

    def __init__(
        self,
        kind: str,
        *,
        leaf: _Leaf | None = None,
        children: tuple[_Compiled, ...] = (),
        value: str = "",
    ) -> None:
        self.kind = kind
        self.leaf = leaf
        self.children = children
        self.value = value
        self.key = _simple_key(leaf)  # a plain one-word leaf: collected straight from kpos
        self.keyed = self._keyed()
        self.test: Test = self._tester()

    def _keyed(self) -> tuple[tuple[str, str], ...] | None:
        """(key, term) of every leaf `firsts` would visit, when each is a plain
        one-word leaf (so the terms are found by lookups alone), else None."""
        kind = self.kind
        if kind == "text":
            assert self.leaf is not None
            return None if self.key is None else ((self.key, self.leaf.text),)
        if kind in ("and", "or"):
            keyed: list[tuple[str, str]] = []
            for c in self.children:
                got = c.keyed
                if got is None:
                    return None
                keyed.extend(got)
            return tuple(keyed)
        return ()

    def _tester(self) -> Test:
        kind, value = self.kind, self.value
        tests = tuple(c.test for c in self.children)
        if kind == "text":
            assert self.leaf is not None
            return _leaf_test(self.leaf)
        if kind == "and":
            if len(tests) == 2:
                a, b = tests
                return lambda s: a(s) and b(s)
            return lambda s: all(t(s) for t in tests)
        if kind == "or":
            keys = tuple(k for c in self.children if (k := _simple_key(c.leaf)) is not None)
            if len(keys) > 1:
                others = tuple(c.test for c in self.children if _simple_key(c.leaf) is None)

                def any_word(s: _Story) -> bool:
                    if any(map(s.kfirst.__contains__, keys)):
                        return True
                    if s.kjpos and any(map(s.kjpos.__contains__, keys)):
                        return True
                    return any(t(s) for t in others)

                return any_word
            if len(tests) == 2:
                a, b = tests
                return lambda s: a(s) or b(s)
            return lambda s: any(t(s) for t in tests)
        if kind == "not":
            only = tests[0]
            return lambda s: not only(s)
        if kind == "outlet":
            suffix = "." + value

            def outlet(s: _Story) -> bool:
                host = s.outlet_host()
                return host == value or host.endswith(suffix)

            return outlet
        return lambda s: any(t.lower() == value for t in s.doc.tags)

    def firsts(self, story: _Story, out: dict[str, Hit]) -> None:
        """The first hit of each term `collect` would give (the terms' order)."""
        kind = self.kind
        if kind == "text":
            leaf = self.leaf
            assert leaf is not None
            key = self.key
            first: Hit | None = None
            if key is None:
                if leaf.plain_phrase and not story.joins:
                    first = leaf.first_phrase(story)
                elif leaf.stemmed_word:
                    first = leaf.first_stemmed(story)
                else:
                    # Hits come in text order, one per start, unless a compound adds more.
                    hits = leaf.hits(story, not story.joins)
                    if hits:
                        first = min(hits)
            else:
                p = story.kfirst.get(key)
                if p is not None:
                    first = (p, p + 1)
                if story.kjpos:
                    joined = story.kjpos.get(key)
                    if joined and (first is None or (joined[0], joined[0] + 2) < first):
                        first = (joined[0], joined[0] + 2)
            if first is not None:
                known = out.get(leaf.text)
                if known is None or first < known:
                    out[leaf.text] = first
        elif kind == "and":
            for c in self.children:
                c.firsts(story, out)
        elif kind == "or":
            for c in self.children:
                if c.key is not None or c.test(story):
                    c.firsts(story, out)

    def collect(self, story: _Story, out: list[tuple[Hit, str]]) -> None:
        kind = self.kind
        if kind == "text":
            leaf = self.leaf
            assert leaf is not None
            key = self.key
            if key is None:
                out.extend((h, leaf.text) for h in leaf.hits(story, False))
                return
            text = leaf.text
            out.extend([((p, p + 1), text) for p in story.kpos.get(key, ())])
            joined = story.kjpos.get(key)
            if joined:
                out.extend([((p, p + 2), text) for p in joined])
        elif kind == "and":
            for c in self.children:
                c.collect(story, out)
        elif kind == "or":
            for c in self.children:
                if c.key is not None or c.test(story):
                    c.collect(story, out)


def _anchor_weight(anchor: str) -> int:
    if anchor.startswith(_PREFIX):
        return 40
    if anchor.startswith((_OUTLET, _TAG)):
        return 60
    word = anchor.rsplit("\x00", 1)[-1]
    if word in _STOPWORDS or len(word) <= 2:
        return 100
    return max(1, 12 - len(word))


class _Compiler:
    def __init__(self, spec: RuleSpec, stemmer: Callable[[str], Callable[[str], str]]) -> None:
        self.spec = spec
        self.stem = stemmer(spec.language) if spec.stem else None
        self.tails: dict[str, tuple[set[str], set[str]]] = {}
        self.keys: set[str] = set()  # the key of every query word
        self.stems: set[str] = set()  # the stem of every stemmed query word
        self.wild: set[str] = set()  # the letters of every wildcard, folded

    def word(self, surface: str, case: bool, acronym: bool) -> tuple[str, str]:
        case_form, folded, key = forms(surface)
        self.keys.add(key)
        for form in (folded, key):
            self._splits(form, exact=True)
        if case:
            return "c", case_form
        if self.stem is not None and not acronym:
            stemmed = self.stem(folded)
            self.stems.add(stemmed)
            self._splits(stemmed, exact=False)
            return "s:" + self.spec.language, stemmed
        return "k", key

    def _splits(self, form: str, *, exact: bool) -> None:
        """Record every way `form` splits in two, so a story's two-word compounds
        are only formed where they can spell a query word (see _Story.joins)."""
        for i in range(1, len(form)):
            full, start = self.tails.setdefault(form[:i], (set(), set()))
            (full if exact else start).add(form[i:])

    def anchor(self, view: str, form: str) -> str:
        if view == "c":
            # The key of a case form (already stripped of a possessive: forms()
            # would strip "Ab's's" twice), as _CasePositions finds it.
            return _key(form.casefold())
        if view.startswith("s:"):
            return f"{_STEM}{view[2:]}\x00{form}"
        return form

    def compile(self, node: Node) -> tuple[_Compiled, frozenset[str] | None]:
        if isinstance(node, Text):
            return self.text(node)
        if isinstance(node, Outlet):
            return _Compiled("outlet", value=node.host), frozenset({_OUTLET + node.host})
        if isinstance(node, Tag):
            return _Compiled("tag", value=node.name), frozenset({_TAG + node.name})
        if isinstance(node, Not):
            child, _ = self.compile(node.child)
            return _Compiled("not", children=(child,)), None
        parts = [self.compile(c) for c in node.children]
        children = tuple(p[0] for p in parts)
        if isinstance(node, Or):
            anchors: set[str] = set()
            for _, got in parts:
                if got is None:
                    return _Compiled("or", children=children), None
                anchors |= got
            return _Compiled("or", children=children), frozenset(anchors)
        assert isinstance(node, And)
        options = [got for _, got in parts if got is not None]
        best = min(options, key=lambda a: sum(map(_anchor_weight, a)), default=None)
        return _Compiled("and", children=children), best

    def text(self, node: Text) -> tuple[_Compiled, frozenset[str] | None]:
        acronyms = node.acronyms or (False,) * len(node.words)
        if node.prefix:
            view = "c" if node.case else "w"
            form = forms(node.words[0])[0 if node.case else 1]
            self.wild.add(form.casefold())
            leaf = _Leaf(((view, form),), node.text, node.field, True, None)
            return _Compiled("text", leaf=leaf), frozenset({_PREFIX + form.casefold()[:3]})
        words = tuple(self.word(w, node.case, a) for w, a in zip(node.words, acronyms, strict=True))
        leaf = _Leaf(words, node.text, node.field, False, node.slop)
        best = min((self.anchor(v, f) for v, f in words), key=_anchor_weight)
        compiled = _Compiled("text", leaf=leaf)
        if node.joined is None or node.slop is not None:
            return compiled, frozenset({best})
        single = self.word(node.joined, node.case, all(acronyms))
        alt = _Compiled("text", leaf=_Leaf((single,), node.text, node.field, False, None))
        anchors = frozenset({best, self.anchor(*single)})
        return _Compiled("or", children=(compiled, alt)), anchors


class _Rule:
    """A compiled rule, with what `report` reads for every match looked up once."""

    __slots__ = ("feeds", "index", "keyed", "name", "notify", "root", "single", "spec", "tags")

    def __init__(
        self,
        index: int,
        spec: RuleSpec,
        root: _Compiled,
        feeds: frozenset[str],
        tags: frozenset[str],
    ) -> None:
        self.index = index
        self.spec = spec
        self.root = root
        self.feeds = feeds
        self.tags = tags
        self.name = spec.name
        self.notify = spec.notify
        # A rule of one term that matched has found that term.
        self.single: tuple[str, ...] | None = None
        if root.kind == "text" and root.leaf is not None:
            self.single = (root.leaf.text,)
        self.keyed = root.keyed

    def applies_to(self, doc: Document) -> bool:
        if self.feeds and doc.feed_id not in self.feeds:
            return False
        return not (self.tags and not any(t.lower() in self.tags for t in doc.tags))

    def report(self, story: _Story, whole: bool = False) -> Match:
        terms: tuple[str, ...] | None = self.single
        if terms is None:
            keyed = self.keyed
            if keyed is not None and not story.kjpos:
                # No compounds: each term's first hit is its key's first position, and
                # sorting (position, term) pairs orders the terms by first hit.
                kfirst = story.kfirst
                found = [(p, text) for key, text in keyed if (p := kfirst.get(key)) is not None]
                if len(found) == 1:
                    terms = (found[0][1],)
                else:
                    found.sort()
                    terms = tuple(dict.fromkeys(text for _, text in found))
            else:
                terms = self._terms_by_first_hit(story)
        return Match(
            self.name, self.notify, terms, excerpt=partial(_excerpt, self.root, story, whole)
        )

    def _terms_by_first_hit(self, story: _Story) -> tuple[str, ...]:
        firsts: dict[str, Hit] = {}
        keyed = self.root.keyed
        if keyed is None:
            self.root.firsts(story, firsts)
        else:
            kfirst, kjpos = story.kfirst, story.kjpos
            for key, text in keyed:
                p = kfirst.get(key)
                hit = None if p is None else (p, p + 1)
                joined = kjpos.get(key)
                if joined and (hit is None or (joined[0], joined[0] + 2) < hit):
                    hit = (joined[0], joined[0] + 2)
                if hit is not None and (text not in firsts or hit < firsts[text]):
                    firsts[text] = hit
        return tuple(sorted(firsts, key=lambda text: (firsts[text], text)))


def _excerpt(root: _Compiled, story: _Story, whole: bool) -> tuple[str, Highlights]:
    found: list[tuple[Hit, str]] = []
    root.collect(story, found)
    found.sort()
    return _snippet(story, [h for h, _ in found], whole)


def _snippet(
    story: _Story, hits: list[Hit], whole: bool = False
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A short piece of text around the first hit (or the whole text), and the
    (sorted) hits' spans within it."""
    text = story.flat()
    starts = story.starts()
    first, first_end = 0, 0
    if hits:
        a, b = hits[0]
        first, first_end = starts[a], story.end(b - 1)
    start = 0 if whole else max(0, first - _SNIPPET_BEFORE)
    if start > 0:
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else start
    end = len(text) if whole else max(min(len(text), start + _SNIPPET_WIDTH), first_end)
    if end < len(text):
        space = text.rfind(" ", first_end, end)
        end = space if space > first_end else end
    piece = text[start:end]
    marks: list[tuple[int, int]] = []
    for a_at, b_at in hits:
        a = starts[a_at]
        if a >= end:
            break  # hits are in text order: the rest lie past the snippet
        b = story.end(b_at - 1)
        if a < start or b > end:
            continue
        a, b = a - start, b - start
        if marks and a <= marks[-1][1]:
            marks[-1] = (marks[-1][0], max(b, marks[-1][1]))
        else:
            marks.append((a, b))
    if "  " in piece or piece[:1] == " " or piece[-1:] == " ":
        piece, marks = _collapse(piece, marks)
    lead = "… " if start > 0 else ""
    tail = " …" if end < len(text) else ""
    shift = len(lead)
    return lead + piece + tail, tuple((a + shift, b + shift) for a, b in marks)


_SPACE_RUN = re.compile(r" {2,}")


def _collapse(piece: str, marks: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Runs of spaces to one space (and trimmed), highlight offsets moved to match.

    Highlight ends are token boundaries, so never inside a run."""
    lead = len(piece) - len(piece.lstrip(" "))
    piece = piece.strip(" ")
    runs = [m.span() for m in _SPACE_RUN.finditer(piece)]

    def moved(offset: int) -> int:
        offset -= lead
        removed = 0
        for a, b in runs:
            if b > offset:
                break
            removed += b - a - 1
        return offset - removed

    return _SPACE_RUN.sub(" ", piece), [(moved(a), moved(b)) for a, b in marks]


def _required_all(node: _Compiled) -> frozenset[str]:
    """Key forms a story must hold, every one of them (as a word or a compound),
    for the node to match: the words of its phrases and of its AND's branches."""
    if node.kind == "text":
        assert node.leaf is not None
        return frozenset(_required_keys(node.leaf))
    if node.kind == "and":
        return frozenset().union(*map(_required_all, node.children))
    if node.kind == "or":
        return frozenset.intersection(*map(_required_all, node.children))
    return frozenset()  # NOT, outlet and tag need no word


def _any_word_of_index(root: _Compiled) -> bool:
    """Whether the rule matches exactly when one of its index keys is in the story
    (a plain word, or an OR of plain words): being a candidate is matching."""
    if root.kind == "text":
        return root.key is not None
    return root.kind == "or" and all(c.kind == "text" and c.key is not None for c in root.children)


def _selected(story: _Story) -> bool:
    return True


class RuleSet:
    """Rules compiled once per config load, matched against each story."""

    def __init__(self, specs: Sequence[RuleSpec]) -> None:
        self._stem_caches: dict[str, dict[str, str]] = {}
        self._stem_fns: dict[str, Callable[[str], str]] = {}
        self._stem_many: dict[str, Callable[[list[str]], list[str]]] = {}
        self._join_exact_tails: frozenset[str] = frozenset()
        self._memo: dict[str, _Record] = {}
        self._join_tails: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {}
        tails: dict[str, tuple[set[str], set[str]]] = {}
        rules: list[_Rule] = []
        self._by_key: dict[str, list[int]] = {}
        self._by_prefix: dict[str, list[int]] = {}
        self._by_stem: dict[str, dict[str, list[int]]] = {}
        self._by_outlet: dict[str, list[int]] = {}
        self._by_tag: dict[str, list[int]] = {}
        always: list[int] = []
        stem_languages: set[str] = set()
        vocabulary: set[str] = set()
        stem_vocabulary: dict[str, set[str]] = {}
        wild: set[str] = set()
        for i, spec in enumerate(specs):
            validate_query(spec.query, stem=spec.stem, language=spec.language)
            compiler = _Compiler(spec, self._stemmer)
            root, anchors = compiler.compile(parse_query(spec.query))
            vocabulary |= compiler.keys
            stem_vocabulary.setdefault(spec.language, set()).update(compiler.stems)
            wild |= compiler.wild
            for head, (full, start) in compiler.tails.items():
                known = tails.setdefault(head, (set(), set()))
                known[0].update(full)
                known[1].update(start)
            if spec.stem:
                stem_languages.add(spec.language)
            rules.append(
                _Rule(
                    i,
                    spec,
                    root,
                    frozenset(spec.feeds),
                    frozenset(t.lower() for t in spec.tags),
                )
            )
            required = _required_all(root)
            if len(required) > 1:
                # As Lucene Monitor's presearcher does: a rule that needs several
                # words is indexed under two of them (the most specific), and is a
                # candidate only where a story holds both.
                # Listed as i + len(specs), after every rule listed plainly.
                for key in sorted(required, key=lambda k: (_anchor_weight(k), k))[:2]:
                    self._by_key.setdefault(key, []).append(len(specs) + i)
                continue
            if anchors is None:
                always.append(i)
            else:
                for anchor in anchors:
                    self._index_for(anchor).setdefault(anchor.rsplit("\x00", 1)[-1], []).append(i)
        self._rules = tuple(rules)
        self._tests = tuple(
            _selected if _any_word_of_index(rule.root) else rule.root.test for rule in rules
        )
        self._scoped = frozenset(rule.index for rule in rules if rule.feeds or rule.tags)
        self._always = tuple(always)
        self._pairs_from = len(specs)
        self._join_tails = {
            head: (frozenset(full), tuple(sorted(start))) for head, (full, start) in tails.items()
        }
        self._join_exact_tails = frozenset(t for full, _ in tails.values() for t in full)
        self._vocabulary = frozenset(vocabulary)
        by_three: dict[str, list[str]] = {}
        for letters in sorted(wild):
            by_three.setdefault(letters[:3], []).append(letters)
        # Wildcards' letters by their first three (a wildcard has at least three).
        self._wild_starts = {three: tuple(starts) for three, starts in by_three.items()}
        self._stem_languages = tuple(sorted(stem_languages))
        self._stem_vocabularies = tuple(
            frozenset(stem_vocabulary[language]) for language in self._stem_languages
        )

    def _index_for(self, anchor: str) -> dict[str, list[int]]:
        if anchor.startswith(_PREFIX):
            return self._by_prefix
        if anchor.startswith(_OUTLET):
            return self._by_outlet
        if anchor.startswith(_TAG):
            return self._by_tag
        if anchor.startswith(_STEM):
            return self._by_stem.setdefault(anchor[1:].split("\x00", 1)[0], {})
        return self._by_key

    @property
    def rules(self) -> tuple[RuleSpec, ...]:
        """The compiled rules' specs, in config order."""
        return tuple(rule.spec for rule in self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def _stem_column(self, language: str) -> int:
        """Where a record holds the stem in `language` (one of the rules' own)."""
        return _R_STEMS + self._stem_languages.index(language)

    def _records(self, surfaces: list[str]) -> list[_Record]:
        """The record of each (distinct) surface; new ones are made together."""
        memo = self._memo
        if len(memo) > _MEMO_MAX:
            memo.clear()
        records = list(map(memo.get, surfaces))
        if None in records:
            where = list(compress(range(len(surfaces)), map(_is_none, records)))
            new = [surfaces[i] for i in where]
            made = self._make_records(new)
            memo.update(zip(new, made, strict=True))
            for i, record in zip(where, made, strict=True):
                records[i] = record
        return records  # type: ignore[return-value]  # no None is left

    def _make_records(self, surfaces: list[str]) -> list[_Record]:
        folded = folded_forms(surfaces)
        keys = list(map(_key_of_folded, folded))
        tails = self._join_tails
        # A compound needs a hyphen or a head of four letters or more (joinable).
        heads = [
            tails.get(f) if hyphenated(s) or len(f) >= 4 else None
            for s, f in zip(surfaces, folded, strict=True)
        ]
        exact = self._join_exact_tails
        head = [got is not None and bool(got[0]) for got in heads]
        stem_head = [got is not None and bool(got[1]) for got in heads]
        wild_starts = self._wild_starts
        wild = [
            (starts := wild_starts.get(f[:3])) is not None and f.startswith(starts) for f in folded
        ]
        tail = [f in exact or k in exact for f, k in zip(folded, keys, strict=True)]
        # A key no query word has can never be asked about, unless the word ends
        # a compound or a wildcard may match it (case-sensitive forms are found
        # through their keys): such words all get the gap's key "", so a story's
        # key index holds only the few words rules may ask for.
        vocabulary = self._vocabulary
        keys = [
            k if t or w or k in vocabulary else "" for k, t, w in zip(keys, tail, wild, strict=True)
        ]
        stems = []
        for language, known in zip(self._stem_languages, self._stem_vocabularies, strict=True):
            self._stemmer(language)  # makes the language's stem_many too
            # As with keys, a stem no query word has is the gap's.
            column = self._stem_many[language](folded)
            stems.append([s if s in known else _GAP_STEM for s in column])
        if stems and "" in surfaces:
            # The title-body gap's stem: a real word may stem to "" (Porter's "s").
            gap = surfaces.index("")
            for column in stems:
                column[gap] = _GAP_STEM
        return list(zip(folded, keys, head, tail, stem_head, wild, *stems, strict=True))

    def _stemmer(self, language: str) -> Callable[[str], str]:
        known = self._stem_fns.get(language)
        if known is not None:
            return known
        cache = self._stem_caches.setdefault(language, {})
        stemmer = snowballstemmer.stemmer(language)

        def stem(word: str) -> str:
            got = cache.get(word)
            if got is None:
                if len(cache) > 200_000:
                    cache.clear()
                got = cache[word] = stemmer.stemWord(word)
            return got

        self._stem_fns[language] = stem
        if hasattr(stemmer, "maxCacheSize"):
            stemmer.maxCacheSize = 0  # PyStemmer's own cache: slower than ours in front of it
        self._stem_many[language] = stemmer.stemWords
        return stem

    def candidates(self, doc: Document) -> list[int]:
        """Indices of the rules a story's words select (exposed for tests and bench)."""
        return self._candidates(_Story(self, doc))

    def _candidates(self, story: _Story) -> list[int]:
        found = set(self._always)
        index = self._by_key
        keys = index.keys() & story.kfirst.keys()
        if story.kjpos:
            keys |= index.keys() & story.kjpos.keys()
        ids = sorted(chain.from_iterable(map(index.__getitem__, keys)))
        pairs = bisect_left(ids, self._pairs_from)
        found.update(islice(ids, pairs))
        if pairs < len(ids):
            # A rule listed under both of its pair's keys comes twice, side by side.
            ids = ids[pairs:]
            twice = compress(islice(ids, 1, None), map(eq, ids, islice(ids, 1, None)))
            found.update(map(sub, twice, repeat(self._pairs_from)))
        if self._by_prefix:
            index = self._by_prefix
            found.update(*map(index.__getitem__, index.keys() & story.prefixes()))
        for language, index in self._by_stem.items():
            found.update(*map(index.__getitem__, index.keys() & story.stem_keys(language)))
        host = story.outlet_host()
        if host and self._by_outlet:
            labels = host.split(".")
            for i in range(len(labels)):
                found.update(self._by_outlet.get(".".join(labels[i:]), ()))
        for tag in story.doc.tags:
            found.update(self._by_tag.get(tag.lower(), ()))
        return sorted(found)

    def match(self, doc: Document, *, whole_text: bool = False) -> list[Match]:
        """The rules the story matches, in config order. With `whole_text`, each
        Match's snippet is the story's whole text (for `feedwatch rules test`)."""
        story = _Story(self, doc)
        matches: list[Match] = []
        rules, tests, scoped = self._rules, self._tests, self._scoped
        for i in self._candidates(story):
            if tests[i](story) and (i not in scoped or rules[i].applies_to(doc)):
                matches.append(rules[i].report(story, whole_text))
        return matches


def compile_rules(specs: Sequence[RuleSpec]) -> RuleSet:
    """Compile every rule; raises the first QueryError (config validation lists all)."""
    return RuleSet(specs)
