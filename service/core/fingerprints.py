"""Exact fingerprints of an entry: the first stage of story identity.

Two entries share a story when they share any fingerprint: a normalised URL, a
GUID, or a hash of the normalised body text.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from service.core.boilerplate import strip_boilerplate
from service.core.entries import Entry
from service.core.text import plain_text, words

_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "cmpid",
     "ref", "ref_src", "rss", "feed", "from", "ocid", "smid", "cid", "yclid", "_ga"}
)  # fmt: skip
_MIN_WORDS_FOR_TEXT_HASH = 12


def normalise_url(url: str) -> str:
    """Scheme-less, `www.`-less, lower-case host, no fragment, no tracking parameters."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_PARAMS
    ]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("", host, path, urlencode(sorted(query)), ""))[2:]


def _digest(kind: str, value: str) -> str:
    return kind + ":" + hashlib.sha256(value.encode()).hexdigest()[:32]


def identity_text(entry: Entry) -> str:
    """The entry's body as folded text with boilerplate removed."""
    return strip_boilerplate(plain_text(entry.body)).text


def _prints(entry: Entry, tokens: list[str]) -> list[str]:
    prints: list[str] = []
    if entry.link:
        prints.append(_digest("u", normalise_url(entry.link)))
    if entry.guid and entry.guid != entry.link:
        prints.append(_digest("g", entry.guid.strip()))
    if len(tokens) >= _MIN_WORDS_FOR_TEXT_HASH:
        prints.append(_digest("t", " ".join(tokens)))
    return prints


def exact_keys(entry: Entry, tokens: list[str]) -> list[int]:
    """Exact fingerprints as 64-bit keys, from the entry's identity tokens."""
    return [int(p.partition(":")[2][:16], 16) for p in _prints(entry, tokens)]


def exact_fingerprints(entry: Entry, text: str | None = None) -> list[str]:
    """Fingerprints that mark the same story across feeds; `text` is `identity_text`."""
    return _prints(entry, words(identity_text(entry) if text is None else text))
