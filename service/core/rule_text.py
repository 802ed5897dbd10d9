"""How rules see words: one tokeniser shared by queries and stories.

A token is a run of letters or digits of any script, with inner apostrophes kept
("don't"). Each token has three forms: its surface with a possessive stripped
("NATO's" -> "NATO", for case-sensitive terms), that surface case-folded (for
wildcards and stemming) and that folded form with English plural folding applied
(for ordinary terms). Queries and stories go through the same functions, so a
term matches a word exactly when their forms agree.
"""

from __future__ import annotations

import re
from functools import lru_cache

from service.core.text import fold

# A word, then the separator up to the next word (used to decide compounds).
PAIRS = re.compile(r"(\w+(?:'\w+)*)(\W*)")
WORD = re.compile(r"\w+(?:'\w+)*")

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
    case = surface[:-2] if surface.endswith(("'s", "'S")) and len(surface) > 2 else surface
    folded = case.casefold()
    return case, folded, plural_fold(folded)


def query_words(text: str) -> list[tuple[str, str]]:
    """Tokens of a query term with the separator after each, like a story's."""
    return [(m.group(1), m.group(2)) for m in PAIRS.finditer(fold(text))]


def is_acronym(surface: str) -> bool:
    """An all-capitals token of two or more characters ("NATO", "G7", "НАТО")."""
    return len(surface) >= 2 and surface.isupper()


def joinable(left: str, separator: str, right: str) -> bool:
    """Whether two neighbouring tokens may also be read as one compound word.

    A hyphen always joins ("cease-fire", "e-mail"); plain whitespace joins only
    words of four letters or more each ("cease fire"), so "the rapist" never
    reads as "therapist".
    """
    if not separator:
        return False
    stripped = separator.strip()
    if stripped == "-":
        return True
    return not stripped and len(left) >= 4 and len(right) >= 4
