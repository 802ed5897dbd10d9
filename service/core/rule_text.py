"""How rules see words: one tokeniser shared by queries and stories.

A token is a run of letters or digits of any script, with apostrophes kept
("don't"; a trailing one, as in "students'", is dropped from its forms). Each
token has three forms: its surface with a possessive stripped ("NATO's" ->
"NATO", for case-sensitive terms), that surface case-folded (for wildcards and
stemming) and that folded form with English plural folding applied (for
ordinary terms). Queries and stories go through the same functions, so a
term matches a word exactly when their forms agree.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

# A word (letters or digits of any script, inner apostrophes kept), with a hyphen
# that joins it to the next word kept on the end ("cease-" of "cease-fire").
HYPHENS = "-\u2010\u2011\u00ad"
TOKEN = re.compile(r"\w[\w'\u2019\u02bc]*[" + HYPHENS + "]?")
TOKEN_SPLIT = re.compile("(" + TOKEN.pattern + ")")  # text and tokens, alternating
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})

_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "tr",
        "td",
        "th",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "figure",
        "figcaption",
        "pre",
        "hr",
        "dd",
        "dt",
        "dl",
    ]
)
_HIDDEN = re.compile(
    r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.DOTALL | re.IGNORECASE
)
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9:-]*)[^>]*>")


_BLANK_LINES = re.compile(r"\n\s+")


def _tag(m: re.Match[str]) -> str:
    return "\n" if m.group(1).lower() in _BLOCK_TAGS else ""


def clean_text(markup: str) -> str:
    """Story text as rules read it: tags dropped (a block tag is a line break),
    entities decoded, NFKC-normalised. Offsets into it are what highlights use."""
    text = markup
    if "<" in text:
        text = _TAG.sub(_tag, _HIDDEN.sub("", text))
        text = _BLANK_LINES.sub("\n", text)
    if "&" in text:
        text = html.unescape(text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text


# Words ending in "s" that are not plurals, and "-ie" nouns whose plural ends in "ies".
_NOT_PLURAL = frozenset(
    [
        "news",
        "series",
        "species",
        "means",
        "always",
        "perhaps",
        "whereas",
        "lens",
        "atlas",
        "alias",
        "bias",
        "canvas",
        "chaos",
        "pathos",
        "thanks",
        "politics",
        "physics",
        "economics",
        "ethics",
        "mathematics",
    ]
)
_IE_NOUNS = frozenset(
    [
        "movies",
        "cookies",
        "zombies",
        "rookies",
        "selfies",
        "calories",
        "hippies",
        "brownies",
        "goalies",
        "prairies",
        "aussies",
    ]
)


def plural_fold(word: str) -> str:
    """Light English plural folding (Harman's S-stemmer, with sibilant plurals).

    Applied to both the query and the story, so "ceasefires" and "ceasefire"
    meet at "ceasefire". Words of three letters or fewer are left alone.
    """
    if len(word) <= 3 or word[-1] != "s" or word in _NOT_PLURAL:
        return word
    if word.endswith("ies"):
        if len(word) <= 4 or word in _IE_NOUNS or word.endswith(("eies", "aies")):
            return word[:-1]
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("es"):
        return word if word.endswith(("aes", "ees", "oes")) else word[:-1]
    if word.endswith(("us", "ss", "is", "'s")):
        return word
    return word[:-1]


@lru_cache(maxsize=1 << 17)
def forms(surface: str) -> tuple[str, str, str]:
    """(case form, folded form, key form) of one token."""
    surface = surface.rstrip(HYPHENS)
    if "\u2019" in surface or "\u02bc" in surface:
        surface = surface.translate(_APOSTROPHES)
    if surface[-1:] == "'":
        surface = surface.rstrip("'")  # the plural possessive: "students'"
    case = surface[:-2] if surface.endswith(("'s", "'S")) and len(surface) > 2 else surface
    folded = case.casefold()
    return case, folded, plural_fold(folded)


# What forms() strips from a token's end, found in many tokens joined by "\x00": a
# possessive ("'s" after at least one character, then any apostrophes), trailing
# apostrophes, a joining hyphen. Each branch starts with an apostrophe or a hyphen,
# so the regex engine skips straight to them.
_TAIL = re.compile("(?:(?<=[^\x00])'[sS]'*|'+)[" + HYPHENS + "]?(?=\x00)|[" + HYPHENS + "](?=\x00)")


def folded_forms(tokens: list[str]) -> list[str]:
    """`forms(t)[1]` of each token from TOKEN, for all of them in a few C-speed
    passes over their joined text (a story brings tens of words not seen before)."""
    joined = "\x00".join(tokens) + "\x00"
    if "\u2019" in joined or "\u02bc" in joined:
        joined = joined.translate(_APOSTROPHES)
    if "'" in joined or any(h in joined for h in HYPHENS):
        joined = _TAIL.sub("", joined)
    return joined.casefold().split("\x00")[:-1]


def hyphenated(token: str) -> bool:
    """Whether a token (from TOKEN) is joined to the next by a hyphen."""
    return bool(token) and token[-1] in HYPHENS


def query_words(text: str) -> list[str]:
    """Tokens of a query term, read exactly as a story's are (see TOKEN)."""
    return TOKEN.findall(clean_text(text))


def is_acronym(surface: str) -> bool:
    """An all-capitals token of two or more characters ("NATO", "G7", "НАТО")."""
    return len(surface) >= 2 and surface.isupper()


def joinable(left: str, hyphen: bool, right: str) -> bool:
    """Whether two neighbouring words may also be read as one compound word.

    A hyphen always joins ("cease-fire", "e-mail"); otherwise only words of four
    letters or more each join ("cease fire"), so "the rapist" never reads as
    "therapist".
    """
    return bool(right) and (hyphen or (len(left) >= 4 and len(right) >= 4))
