"""What a destination is asked to send: one alert per (story, destination)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Copy:
    """One outlet's copy of a story."""

    outlet: str
    url: str | None
    seen_at: datetime
    credits: str | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """Everything a sender needs; built when the alert is sent, so it names every
    outlet known at that moment."""

    delivery_id: str
    story_id: str
    destination: str
    title: str
    link: str | None
    snippet: str
    outlets: tuple[str, ...]
    rules: tuple[str, ...]
    matched_terms: tuple[str, ...]
    published: datetime | None
    first_seen: datetime
    copies: tuple[Copy, ...] = ()


def delivery_id_for(story_id: str, destination: str) -> str:
    """The stable id of the one delivery of a story to a destination.

    It is also the `webhook-id`, so receivers can drop repeats across retries.
    """
    digest = hashlib.sha256(f"{story_id}\x00{destination}".encode()).hexdigest()[:24]
    return "msg_" + digest
