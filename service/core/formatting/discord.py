"""Discord webhook messages: one embed within Discord's limits whatever the input.

User text is markdown-escaped, and `allowed_mentions` parses nothing, so no
`@everyone` or `<@id>` in a feed can ever ping anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from service.core.alerts import Alert
from service.core.formatting import limits
from service.core.formatting.common import UNTITLED, highlights_of, iso_utc
from service.core.formatting.markup import (
    Span,
    escape_discord,
    escape_plain,
    join_limited,
    one_line,
    render,
    safe_url,
    units,
)

EMBED_COLOUR = 0xE8590C
_FIELD_BUDGETS = (("Outlets", 600), ("Rules", 300), ("Matched", 300))


def discord_url(url: str) -> str:
    """The webhook URL with `wait=true`, so Discord answers with the message (and
    a real error) instead of 204; other query parameters (`thread_id`) are kept."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "wait"]
    query.append(("wait", "true"))
    return urlunsplit(parts._replace(query=urlencode(query)))


def embed_size(embed: dict[str, Any]) -> int:
    """The characters Discord counts against its 6000 total."""
    total = units(embed.get("title", "")) + units(embed.get("description", ""))
    total += units(embed.get("footer", {}).get("text", ""))
    total += units(embed.get("author", {}).get("name", ""))
    for field in embed.get("fields", []):
        total += units(field["name"]) + units(field["value"])
    return total


def discord_message(alert: Alert, *, highlights: Sequence[Span] | None = None) -> dict[str, Any]:
    title = render(
        one_line(alert.title) or UNTITLED, limits.DISCORD_TITLE_MAX, escaper=escape_discord
    )
    fields = []
    values = (alert.outlets, alert.rules, alert.matched_terms)
    for (name, budget), items in zip(_FIELD_BUDGETS, values, strict=True):
        value = join_limited(items, budget, escaper=escape_discord)
        if value:
            fields.append({"name": name, "value": value, "inline": name != "Outlets"})
    footer = render(
        f"feedwatch · {alert.delivery_id}", limits.DISCORD_FOOTER_MAX, escaper=escape_plain
    )
    embed: dict[str, Any] = {
        "title": title,
        "color": EMBED_COLOUR,
        "fields": fields,
        "footer": {"text": footer},
    }
    url = safe_url(alert.link, limits.DISCORD_URL_MAX)
    if url:
        embed["url"] = url
    published = iso_utc(alert.published)
    if published:
        embed["timestamp"] = published
    room = min(limits.DISCORD_DESCRIPTION_MAX, limits.DISCORD_EMBED_TOTAL_MAX - embed_size(embed))
    description = render(
        alert.snippet,
        room,
        escaper=escape_discord,
        highlights=highlights_of(alert, highlights),
        bold=("**", "**"),
    ).strip()
    if description:
        embed["description"] = description
    return {"embeds": [embed], "allowed_mentions": {"parse": []}}
