"""The generic webhook payload (Standard Webhooks envelope), version 1."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service.core.alerts import Alert

EVENT_TYPE = "story.matched"
PAYLOAD_VERSION = "1"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def webhook_payload(alert: Alert, sent_at: datetime) -> dict[str, Any]:
    return {
        "type": EVENT_TYPE,
        "version": PAYLOAD_VERSION,
        "timestamp": _iso(sent_at),
        "data": {
            "delivery_id": alert.delivery_id,
            "story_id": alert.story_id,
            "title": alert.title,
            "link": alert.link,
            "snippet": alert.snippet,
            "outlets": list(alert.outlets),
            "rules": list(alert.rules),
            "matched_terms": list(alert.matched_terms),
            "published": _iso(alert.published),
            "first_seen": _iso(alert.first_seen),
            "copies": [
                {
                    "outlet": c.outlet,
                    "url": c.url,
                    "seen_at": _iso(c.seen_at),
                    "credits": c.credits,
                }
                for c in alert.copies
            ],
        },
    }
