"""The process stage: story identity, rule matching, one delivery per destination."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from service.adapters.story_index import claim_entry
from service.core.alerts import Copy, delivery_id_for
from service.core.entries import Entry, outlet_of
from service.core.rule_text import clean_text
from service.core.rules import Document, Match
from service.pipeline.context import Pipeline

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProcessReport:
    story_id: str
    is_new_story: bool
    matched_rules: tuple[str, ...]
    deliveries_created: tuple[str, ...]


def candidate_story_id(entry: Entry) -> str:
    """Deterministic, so processing the same entry twice proposes the same story."""
    digest = hashlib.sha256(f"{entry.feed_id}\x00{entry.key()}".encode()).hexdigest()
    return "st_" + digest[:20]


@dataclass(frozen=True, slots=True)
class _PerDestination:
    rules: tuple[str, ...]
    terms: tuple[str, ...]
    snippet: str
    highlights: tuple[tuple[int, int], ...]


def _group_by_destination(matches: list[Match]) -> dict[str, _PerDestination]:
    grouped: dict[str, _PerDestination] = {}
    for match in matches:
        for dest in match.destinations:
            prev = grouped.get(dest)
            if prev is None:
                grouped[dest] = _PerDestination(
                    (match.rule,), match.terms, match.snippet, match.highlights
                )
            else:
                grouped[dest] = _PerDestination(
                    (*prev.rules, match.rule),
                    tuple(dict.fromkeys(prev.terms + match.terms)),
                    prev.snippet,
                    prev.highlights,
                )
    return grouped


async def process_entry(p: Pipeline, entry: Entry, feed_url: str | None = None) -> ProcessReport:
    now = p.clock()
    outlet = (
        outlet_of(entry.link)
        or outlet_of(feed_url)
        or p.routing.feed_hosts.get(entry.feed_id)
        or entry.feed_id
    )
    claim, credits = await claim_entry(
        p.index, entry, candidate_story_id(entry), now=now, outlet=outlet
    )
    story_id = claim.story_id
    # Written for every entry, not only a new story's (it sets only fields not
    # set yet): a process job that died after its claim and before this line
    # runs again and finds the claim made, and the story must still get a record.
    await p.stories.create(
        story_id,
        # As rules read it: a title the feed marks up as HTML shows as text.
        title=" ".join(clean_text(entry.title).split()),
        link=entry.link,
        outlet=outlet,
        first_seen=now,
        published=entry.published.timestamp() if entry.published else None,
    )
    if claim.is_new:
        p.metrics.stories_new.inc()
        log.info("new story", extra={"story": story_id, "feed": entry.feed_id, "outlet": outlet})
    copy = Copy(
        outlet=outlet, url=entry.link, seen_at=datetime.fromtimestamp(now, tz=UTC), credits=credits
    )
    added = await p.stories.add_copy(story_id, copy)
    if not claim.is_new and added:
        p.metrics.story_copies.inc()
        log.info(
            "copy of a known story",
            extra={"story": story_id, "feed": entry.feed_id, "outlet": outlet},
        )
    routing = p.routing
    doc = Document(
        title=entry.title,
        body=entry.body,
        outlet=outlet,
        feed_id=entry.feed_id,
        tags=routing.feed_tags.get(entry.feed_id, ()),
    )
    matches = routing.rules.match(doc)
    for match in matches:
        p.metrics.rule_matches.labels(match.rule).inc()
    created: list[str] = []
    for destination, info in _group_by_destination(matches).items():
        if destination not in routing.senders:
            continue  # configured but disabled (its URL is empty)
        delivery_id = delivery_id_for(story_id, destination)
        is_new = await p.deliveries.create(
            delivery_id,
            story_id=story_id,
            destination=destination,
            rules=info.rules,
            terms=info.terms,
            snippet=info.snippet,
            highlights=info.highlights,
            now=now,
        )
        if is_new:
            # A short hold lets copies fetched in the same cycle join the alert.
            await p.queue.enqueue_deliver(delivery_id, delay=p.settings.delivery.hold)
            created.append(delivery_id)
            log.info(
                "alert queued",
                extra={"story": story_id, "destination": destination, "delivery": delivery_id},
            )
    return ProcessReport(story_id, claim.is_new, tuple(m.rule for m in matches), tuple(created))
