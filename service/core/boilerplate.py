"""Syndication boilerplate that must not count toward a story's identity.

Footers, datelines and bylines differ between copies of one story; stripping them
lets the copies fingerprint alike, and tells which outlet a copy credits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FOOTER_LINES = [
    re.compile(r"^this (?:content|article|story) is courtesy of\b.*$", re.I | re.M),
    re.compile(r"^the post\b.{1,300}\bappeared first on\b.*$", re.I | re.M),
    re.compile(r"^(?:copyright|\(c\)|©)\s*\d{4}\b.*$", re.I | re.M),
    re.compile(r"^(?:read more|related|see also|more on this)\s*:.*$", re.I | re.M),
]
_DATELINE = re.compile(
    r"^\s*[A-ZА-ЯЁІЇЄҐ][A-ZА-ЯЁІЇЄҐ .,'-]{1,60}\((?:AP|Reuters|AFP|TASS|RT)\)\s*[-—–:]+\s*",
)
_SOURCE_TAG = re.compile(r"^\s*\((?:AP|Reuters|AFP)\)\s*[-—–:]+\s*")
_CREDIT = re.compile(
    r"courtesy of,?(?: and owned and copyrighted by,)?\s+(?:https?://)?(?:www\.)?"
    r"([\w.-]+\.[a-z]{2,})",
    re.I,
)
_WIRE_CREDIT = re.compile(r"\((AP|Reuters|AFP|TASS)\)")


@dataclass(frozen=True, slots=True)
class Stripped:
    text: str
    credits: str | None


def strip_boilerplate(text: str) -> Stripped:
    """Remove footers, datelines and link lines from folded plain text."""
    credit = _CREDIT.search(text)
    wire = _WIRE_CREDIT.search(text[:300])
    credits = credit.group(1).lower() if credit else (wire.group(1) if wire else None)
    for pattern in _FOOTER_LINES:
        text = pattern.sub("", text)
    text = _DATELINE.sub("", text, count=1)
    text = _SOURCE_TAG.sub("", text, count=1)
    return Stripped(text=text.strip(), credits=credits)
