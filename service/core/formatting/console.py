"""One line per alert, for local runs."""

from __future__ import annotations

from service.core.alerts import Alert


def console_line(alert: Alert) -> str:
    outlets = ", ".join(alert.outlets) or "?"
    terms = ", ".join(alert.matched_terms)
    return (
        f"ALERT [{', '.join(alert.rules)}] {alert.title} — {outlets} — {alert.link or ''}"
        f" (matched: {terms}) id={alert.delivery_id}"
    )
