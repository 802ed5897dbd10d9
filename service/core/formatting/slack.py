"""Slack Block Kit messages for alerts, within Slack's limits."""

from __future__ import annotations

from typing import Any

from service.core.alerts import Alert

HEADER_MAX = 150
SECTION_MAX = 3000
CONTEXT_MAX = 3000
FALLBACK_MAX = 3000


def escape_mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _truncate_escaped(text: str, limit: int) -> str:
    """Escape, then cut without splitting an entity such as `&amp;`."""
    escaped = escape_mrkdwn(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def slack_message(alert: Alert) -> dict[str, Any]:
    title = alert.title or "(untitled story)"
    if alert.link:
        linked = f"*<{alert.link}|{_truncate_escaped(title, 300)}>*"
    else:
        linked = f"*{_truncate_escaped(title, 300)}*"
    section = truncate(linked + "\n" + _truncate_escaped(alert.snippet, SECTION_MAX), SECTION_MAX)
    context = " · ".join(
        part
        for part in (
            "Outlets: " + ", ".join(alert.outlets) if alert.outlets else "",
            "Published " + alert.published.strftime("%Y-%m-%d %H:%M UTC")
            if alert.published
            else "",
            "Rules: " + ", ".join(alert.rules),
            "Matched: " + ", ".join(alert.matched_terms) if alert.matched_terms else "",
        )
        if part
    )
    return {
        "text": truncate(f"{title} ({', '.join(alert.outlets)})", FALLBACK_MAX),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": truncate(title, HEADER_MAX)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": section}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": _truncate_escaped(context, CONTEXT_MAX)}],
            },
        ],
    }
