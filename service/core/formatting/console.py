"""One line per alert, for local runs; safe to print to a terminal."""

from __future__ import annotations

from service.core.alerts import Alert
from service.core.formatting import limits
from service.core.formatting.markup import join_limited, one_line, render, safe_url


def console_line(alert: Alert) -> str:
    """One line whatever the input: line breaks folded, control characters (ANSI
    escapes included) dropped, the title and lists bounded."""
    title = render(one_line(alert.title) or "(untitled story)", limits.CONSOLE_TITLE_MAX)
    outlets = join_limited(alert.outlets, 200) or "?"
    rules = join_limited(alert.rules, 200)
    terms = join_limited(alert.matched_terms, 200)
    link = safe_url(alert.link, 2000) or ""
    return (
        f"ALERT [{rules}] {title} — {outlets} — {link}"
        f" (matched: {terms}) id={one_line(alert.delivery_id)}"
    )
