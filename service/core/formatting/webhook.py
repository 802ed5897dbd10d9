"""The generic webhook payload, version 1 (docs/webhook-payload.v1.schema.json).

The shape is a contract with receivers: add optional fields in a minor change,
anything else is version 2. Text is cleaned (no control characters, no lone
surrogates) and the title and snippet are bounded, so a payload always encodes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service.core.alerts import Alert
from service.core.formatting import limits
from service.core.formatting.common import iso_utc
from service.core.formatting.markup import clean, one_line, render

EVENT_TYPE = "story.matched"
PAYLOAD_VERSION = "1"
SCHEMA_ID = "urn:feedwatch:schema:webhook-payload:1"


def _opt(text: str | None) -> str | None:
    return clean(text) if text is not None else None


def webhook_payload(alert: Alert, sent_at: datetime) -> dict[str, Any]:
    return {
        "type": EVENT_TYPE,
        "version": PAYLOAD_VERSION,
        "timestamp": iso_utc(sent_at),
        "data": {
            "delivery_id": alert.delivery_id,
            "story_id": alert.story_id,
            "title": render(one_line(alert.title), limits.WEBHOOK_TITLE_MAX),
            "link": _opt(alert.link),
            "snippet": render(alert.snippet, limits.WEBHOOK_SNIPPET_MAX),
            "outlets": [clean(o) for o in alert.outlets],
            "rules": [clean(r) for r in alert.rules],
            "matched_terms": [clean(t) for t in alert.matched_terms],
            "published": iso_utc(alert.published),
            "first_seen": iso_utc(alert.first_seen),
            "copies": [
                {
                    "outlet": clean(c.outlet),
                    "url": _opt(c.url),
                    "seen_at": iso_utc(c.seen_at),
                    "credits": _opt(c.credits),
                }
                for c in alert.copies
            ],
        },
    }
