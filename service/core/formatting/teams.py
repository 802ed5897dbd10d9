"""Microsoft Teams messages: the Workflows webhook envelope with an Adaptive Card 1.4.

User text goes into `TextRun`s of `RichTextBlock`s, which Teams never parses as
markdown, so nothing needs escaping and matched terms are bold runs. The whole
serialised envelope stays under Teams' 28 KB message limit whatever the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.core.alerts import Alert
from service.core.formatting import limits
from service.core.formatting.common import UNTITLED, highlights_of, human_utc
from service.core.formatting.markup import (
    Span,
    join_limited,
    normalise_spans,
    one_line,
    render,
    safe_url,
)
from service.core.formatting.serialise import encode_json

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.4"
_SIZE_MARGIN = 512  # bytes kept free under the limit


def _runs(text: str, spans: Sequence[Span], limit: int) -> list[dict[str, Any]]:
    """`text` cut to `limit`, as plain runs alternating with bold ones."""
    marker = "\x00"  # cut with markers, then split on them; clean() drops any in the input
    cut = render(text, limit, highlights=spans, bold=(marker + "b", marker + "p"))
    runs: list[dict[str, Any]] = []
    bold = False
    for i, piece in enumerate(cut.split(marker)):
        if i:
            bold = piece[0] == "b"
            piece = piece[1:]
        if piece:
            run: dict[str, Any] = {"type": "TextRun", "text": piece}
            if bold:
                run["weight"] = "Bolder"
            runs.append(run)
    return runs


def _context(alert: Alert) -> str:
    parts = []
    if alert.outlets:
        parts.append("Outlets: " + join_limited(alert.outlets, limits.TEAMS_CONTEXT_ITEM_MAX))
    if alert.published is not None:
        parts.append("Published " + human_utc(alert.published))
    if alert.rules:
        parts.append("Rules: " + join_limited(alert.rules, limits.TEAMS_CONTEXT_ITEM_MAX))
    if alert.matched_terms:
        parts.append("Matched: " + join_limited(alert.matched_terms, limits.TEAMS_CONTEXT_ITEM_MAX))
    return " · ".join(parts)


def _card(alert: Alert, spans: Sequence[Span], snippet_max: int) -> dict[str, Any]:
    title = render(one_line(alert.title) or UNTITLED, limits.TEAMS_TITLE_MAX)
    body: list[dict[str, Any]] = [
        {
            "type": "RichTextBlock",
            "inlines": [{"type": "TextRun", "text": title, "size": "Large", "weight": "Bolder"}],
        }
    ]
    snippet_runs = _runs(alert.snippet, spans, snippet_max) if snippet_max > 0 else []
    if snippet_runs:
        snippet_runs[0]["text"] = snippet_runs[0]["text"].lstrip() or " "
        body.append({"type": "RichTextBlock", "inlines": snippet_runs})
    context = _context(alert)
    if context:
        body.append(
            {
                "type": "RichTextBlock",
                "inlines": [
                    {"type": "TextRun", "text": context, "isSubtle": True, "size": "Small"}
                ],
            }
        )
    card: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    url = safe_url(alert.link, limits.TEAMS_URL_MAX)
    if url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open story", "url": url}]
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


def teams_message(alert: Alert, *, highlights: Sequence[Span] | None = None) -> dict[str, Any]:
    spans = normalise_spans(highlights_of(alert, highlights), alert.snippet)
    snippet_max = limits.TEAMS_SNIPPET_MAX
    budget = limits.TEAMS_MESSAGE_MAX_BYTES - _SIZE_MARGIN
    while True:
        message = _card(alert, spans, snippet_max)
        # Measured as the sender may encode it at worst: ASCII-escaped JSON.
        if len(encode_json(message, ascii_only=True)) <= budget or snippet_max <= 0:
            return message
        snippet_max = snippet_max // 2 if snippet_max > 100 else 0
