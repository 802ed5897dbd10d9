"""Slack Block Kit messages for alerts, within Slack's limits whatever the input.

Layout: a header (plain text title), a section with the linked title and the
snippet (matched terms in bold), a context line (outlets, published time in the
reader's own time zone, rules, matched terms), and a plain `text` fallback that
notifications show.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.core.alerts import Alert
from service.core.formatting import limits
from service.core.formatting.common import UNTITLED, highlights_of, human_utc, utc
from service.core.formatting.markup import (
    Span,
    escape_plain,
    escape_slack,
    join_limited,
    one_line,
    render,
    safe_url,
    units,
)

_SEP = " · "


def escape_mrkdwn(text: str) -> str:
    """Slack mrkdwn escaping: `&`, `<` and `>` are its only control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _linked_title(title: str, link: str | None) -> str:
    shown = render(title, limits.SLACK_TITLE_IN_SECTION_MAX, escaper=escape_slack)
    url = safe_url(link, limits.SLACK_LINK_MAX)
    if url is None:
        return f"*{shown}*"
    return f"*<{escape_mrkdwn(url)}|{shown}>*"


def _published(alert: Alert) -> str:
    if alert.published is None:
        return ""
    when = utc(alert.published)
    # Slack shows a <!date> in each reader's own time zone, the fallback text elsewhere.
    return (
        f"Published <!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}"
        f"|{human_utc(when)}>"
    )


def _context(alert: Alert) -> str:
    parts = []
    if alert.outlets:
        parts.append("Outlets: " + join_limited(alert.outlets, 1200, escaper=escape_slack))
    published = _published(alert)
    if published:
        parts.append(published)
    if alert.rules:
        parts.append("Rules: " + join_limited(alert.rules, 600, escaper=escape_slack))
    if alert.matched_terms:
        parts.append("Matched: " + join_limited(alert.matched_terms, 600, escaper=escape_slack))
    return _SEP.join(parts) or "feedwatch alert"


def slack_message(alert: Alert, *, highlights: Sequence[Span] | None = None) -> dict[str, Any]:
    """A Block Kit message; `highlights` are spans of the snippet to show in bold
    (by default the alert's own, else where the matched terms occur)."""
    title = one_line(alert.title) or UNTITLED
    linked = _linked_title(title, alert.link)
    snippet = alert.snippet.strip()
    section = linked
    if snippet:
        room = limits.SLACK_SECTION_MAX - units(linked) - 1
        body = render(
            alert.snippet,
            room,
            escaper=escape_slack,
            highlights=highlights_of(alert, highlights),
            bold=("*", "*"),
        ).strip()
        if body:
            section = linked + "\n" + body
    outlets = join_limited(alert.outlets, 500, escaper=escape_slack)
    fallback_title = render(title, limits.SLACK_TITLE_IN_SECTION_MAX, escaper=escape_slack)
    return {
        "text": f"{fallback_title} ({outlets})" if outlets else fallback_title,
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": render(title, limits.SLACK_HEADER_MAX, escaper=escape_plain),
                },
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": section}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": _context(alert)}],
            },
        ],
    }
