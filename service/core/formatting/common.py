"""What every chat format shares: highlights, times, the labels of the context line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from service.core.alerts import Alert
from service.core.formatting.markup import Span, find_highlights

UNTITLED = "(untitled story)"


def highlights_of(alert: Alert, highlights: Sequence[Span] | None) -> tuple[Span, ...]:
    """Spans of matched terms in the snippet: given, else on the alert, else found.

    Works before `Alert` carries a `highlights` field (then it defaults to searching
    the snippet for the matched terms).
    """
    if highlights is not None:
        return tuple(highlights)
    own: tuple[Span, ...] = getattr(alert, "highlights", ())
    if own:
        return own
    return find_highlights(alert.snippet, alert.matched_terms)


def utc(value: datetime) -> datetime:
    """Aware UTC; a naive time is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso_utc(value: datetime | None) -> str | None:
    return utc(value).isoformat().replace("+00:00", "Z") if value else None


def human_utc(value: datetime) -> str:
    return utc(value).strftime("%Y-%m-%d %H:%M UTC")
