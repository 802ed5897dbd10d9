"""Syndication boilerplate that must not count toward a story's identity.

Footers, datelines and bylines differ between copies of one story; stripping them
lets the copies fingerprint alike, and tells which outlet a copy credits. Works
line by line on folded text (see `service.core.text.fold`), in English, Russian
and Ukrainian. Sentences that one outlet repeats on many of its items are found
by counting (`edge_sentences`, `sentence_key`, `drop_sentences`); the counts live
in Redis, the decision here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass

from service.core.text import sentences, words

_UP = "A-ZА-ЯЁІЇЄҐ"
_WIRES = r"AP|Reuters|AFP|TASS|RT|UPI|Bloomberg|ТАСС|РИА Новости|Интерфакс|Укрінформ|УНІАН|УНИАН"

_FOOTERS = [
    # "This content is courtesy of, and owned and copyrighted by, https://www.rt.com ..."
    r"^(?:this|the) (?:content|article|story|post) (?:is|was) courtesy of\b.*$",
    r"^the post\b.{1,300}\bappeared first on\b.*$",
    r"^(?:this (?:article|story|post) (?:was |is )?(?:originally |first )?"
    r"(?:published|appeared) (?:on|by|in|at)\b|originally published (?:on|by|at)\b).*$",
    r"^(?:copyright|\(c\)|©)\s*(?:\d{4}\b)?.*$",
    r"^.{0,80}\ball rights reserved\b.*$|^this material may not be published\b.*$",
    r"^(?:read more|related|see also|more on this|recommended|more|also read|read also"
    r"|watch|listen|source|читайте также|читайте також|подробнее|по теме|смотрите также"
    r"|источник|джерело|дивіться також)\s*[:>»-].*$",
    r"^(?:continue reading|read the full (?:article|story)|read more)\b.{0,80}$",
    r"^(?:posted|published|updated|опубликовано|обновлено|оновлено)\s*:?\s+[^\n]{0,60}$",
]
# One pass over the text for every footer and link line, case-insensitive.
_FOOTER_LINES = re.compile("|".join(f"(?:{p})" for p in _FOOTERS), re.I | re.M)
_BYLINE = re.compile(
    rf"^(?:By|BY|Автор|Авторка):?\s+[{_UP}][\w.'-]*(?:\s+(?:[{_UP}][\w.'-]*|and|&|и|і))*"
    rf"\s*(?:,\s*(?:[{_UP}][\w.'-]*\s*){{1,4}})?$",
    re.M,
)
# "MOSCOW (AP) — ", "LONDON, Nov 24 (Reuters) - ", "KYIV, Ukraine — ", "МОСКВА, 25 ноября. /ТАСС/. "
_DATELINE = re.compile(
    rf"^\s*[{_UP}][{_UP} .'-]{{1,40}}(?:,[^\n(/—–-]{{1,40}})?\s*"
    rf"(?:\((?:{_WIRES})\)\s*[-—–:]+|/(?:{_WIRES})/\.?|[-—–]+\s*(?:{_WIRES})\.|[-—–]+)\s+",
)
_SOURCE_TAG = re.compile(rf"^\s*\((?:{_WIRES})\)\s*[-—–:]+\s*")
_ELLIPSES = ("[...]", "[…]", "...", "…")
_CREDIT = re.compile(
    r"courtesy of,?(?: and owned and copyrighted by,)?\s+(?:https?://)?(?:www\.)?"
    r"([\w.-]+\.[a-z]{2,})",
    re.I,
)
_APPEARED_ON = re.compile(
    r"\bappeared first on\s+(?:https?://)?(?:www\.)?([^\n]{2,60}?)\.?\s*$", re.I | re.M
)
_ORIGINALLY = re.compile(
    r"\boriginally (?:published|appeared) (?:on|by|at|in)\s+(?:https?://)?(?:www\.)?"
    r"([^\n,;]{2,60}?)\.?\s*$",
    re.I | re.M,
)
_WIRE_CREDIT = re.compile(rf"\(({_WIRES})\)|/({_WIRES})/|[—–-]\s*({_WIRES})\.")


@dataclass(frozen=True, slots=True)
class Stripped:
    text: str
    credits: str | None


def credited_outlet(text: str) -> str | None:
    """The outlet a copy names as its source, if it names one."""
    low = text.casefold()
    credit = _CREDIT.search(text) if "courtesy of" in low else None
    if credit:
        return credit.group(1).lower().rstrip(".")
    for needle, pattern in (("appeared first", _APPEARED_ON), ("originally", _ORIGINALLY)):
        found = pattern.search(text) if needle in low else None
        if found:
            return found.group(1).strip()
    wire = _WIRE_CREDIT.search(text[:300])
    if wire:
        return next(g for g in wire.groups() if g)
    return None


def strip_boilerplate(text: str) -> Stripped:
    """Remove footers, datelines, bylines and link lines from folded plain text."""
    credits = credited_outlet(text)
    text = _FOOTER_LINES.sub("", text)
    text = _BYLINE.sub("", text)
    text = text.strip()
    text = _DATELINE.sub("", text, count=1)
    text = _SOURCE_TAG.sub("", text, count=1)
    text = text.strip()
    for ellipsis in _ELLIPSES:
        if text.endswith(ellipsis):
            text = text[: -len(ellipsis)]
            break
    return Stripped(text=text.strip(), credits=credits)


_EDGE_HEAD = 2
_EDGE_TAIL = 3
_MIN_SENTENCE_WORDS = 3


def edge_sentences(text: str) -> list[str]:
    """The first and last sentences of stripped text: where an outlet puts its own lines.

    Only these are counted per outlet, which keeps the counts small in Redis.
    """
    found = [
        s for s in sentences(text) if len(s.split(None, _MIN_SENTENCE_WORDS)) >= _MIN_SENTENCE_WORDS
    ]
    if len(found) <= _EDGE_HEAD + _EDGE_TAIL:
        return found
    return found[:_EDGE_HEAD] + found[-_EDGE_TAIL:]


def sentence_key(outlet: str, sentence: str) -> int:
    """A stable 63-bit key for a sentence as one outlet writes it (words only)."""
    digest = hashlib.blake2b(
        (outlet.lower() + "\x00" + " ".join(words(sentence))).encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") >> 1


def drop_sentences(text: str, outlet: str, repeated: Collection[int]) -> str:
    """Text without the sentences whose `sentence_key` the outlet has repeated."""
    if not repeated:
        return text
    kept = [s for s in sentences(text) if sentence_key(outlet, s) not in repeated]
    return "\n".join(kept)
