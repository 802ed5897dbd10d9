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
    highlights: tuple[tuple[int, int], ...] = ()  # spans of matched terms in `snippet`


def delivery_id_for(story_id: str, destination: str) -> str:
    """The stable id of the one delivery of a story to a destination.

    It is also the `webhook-id`, so receivers can drop repeats across retries.
    """
    digest = hashlib.sha256(f"{story_id}\x00{destination}".encode()).hexdigest()[:24]
    return "msg_" + digest


DIGEST_LISTED = 25


def digest_id_for(destination: str, window_end: int) -> str:
    digest = hashlib.sha256(f"digest\x00{destination}\x00{window_end}".encode()).hexdigest()
    return "msg_" + digest[:24]


def digest_alert(
    delivery_id: str, destination: str, alerts: list[Alert], window_seconds: float
) -> Alert:
    """One message standing for the alerts the flood guard held back in a window."""
    count = len(alerts)
    minutes = max(1, round(window_seconds / 60))
    lines = [
        f"• {a.title} — {', '.join(a.outlets)}" + (f" {a.link}" if a.link else "")
        for a in alerts[:DIGEST_LISTED]
    ]
    if count > DIGEST_LISTED:
        lines.append(f"… and {count - DIGEST_LISTED} more")
    return Alert(
        delivery_id=delivery_id,
        story_id="digest",
        destination=destination,
        title=f"{count} more alert{'s' if count != 1 else ''} in {minutes} min (flood guard)",
        link=None,
        snippet="\n".join(lines),
        outlets=tuple(dict.fromkeys(o for a in alerts for o in a.outlets)),
        rules=tuple(dict.fromkeys(r for a in alerts for r in a.rules)),
        matched_terms=tuple(dict.fromkeys(t for a in alerts for t in a.matched_terms)),
        published=None,
        first_seen=min(a.first_seen for a in alerts),
    )
