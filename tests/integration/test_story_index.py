"""Story identity on a real Redis: one atomic claim per entry."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from service.adapters.story_index import StoryIndex, claim_entry
from service.core.boilerplate import sentence_key
from service.core.entries import Entry
from tests.unit import stories

WINDOW = 72 * 3600
T0 = 1_764_000_000.0


def _entry(body: str, link: str, title: str = "title") -> Entry:
    return Entry(feed_id="feed", guid=None, link=link, title=title, content=body)


ORIGINAL = _entry(
    "\n".join(f"<p>{p}</p>" for p in stories.ORIGINAL[1:]), "https://www.rt.com/news/1"
)


async def test_copy_with_syndication_footer_is_same_story(redis: aioredis.Redis) -> None:
    index = StoryIndex(redis, WINDOW)
    first, _ = await claim_entry(index, ORIGINAL, "s1", now=T0)
    copy = _entry("\n\n".join([*stories.ORIGINAL[1:], stories.FOOTER]), "https://ussanews.com/a/1")
    second, credits = await claim_entry(index, copy, "s2", now=T0 + 600)
    assert first.is_new
    assert second.story_id == "s1"
    assert not second.is_new
    assert credits == "rt.com"


async def test_copy_with_new_headline_and_dateline_is_same_story(redis: aioredis.Redis) -> None:
    index = StoryIndex(redis, WINDOW)
    await claim_entry(index, ORIGINAL, "s1", now=T0)
    body = "By Anna Marek\n\nISTANBUL (AP) — " + "\n\n".join(stories.ORIGINAL[1:])
    copy = _entry(body, "https://eveningledger.com/x", title="Grain deal within reach, says Lavrin")
    claim, credits = await claim_entry(index, copy, "s2", now=T0 + 60)
    assert claim.story_id == "s1"
    assert credits == "AP"


async def test_summary_only_copy_is_same_story_as_full_text(redis: aioredis.Redis) -> None:
    index = StoryIndex(redis, WINDOW)
    summary = _entry(stories.ORIGINAL[1] + " " + stories.ORIGINAL[2][:80] + "…", "https://x.net/1")
    await claim_entry(index, summary, "s1", now=T0)
    claim, _ = await claim_entry(index, ORIGINAL, "s2", now=T0 + 60)
    assert claim.story_id == "s1"


async def test_distinct_articles_sharing_a_long_quote_are_two_stories(
    redis: aioredis.Redis,
) -> None:
    index = StoryIndex(redis, WINDOW)
    a, _ = await claim_entry(
        index, _entry("\n".join(stories.QUOTED_A), "https://a.ua/1"), "s1", now=T0
    )
    b, _ = await claim_entry(
        index, _entry("\n".join(stories.QUOTED_B), "https://b.ua/2"), "s2", now=T0
    )
    assert (a.story_id, b.story_id) == ("s1", "s2")
    assert b.is_new


async def test_two_copies_racing_on_two_workers_make_one_story(
    redis: aioredis.Redis, redis_url: str
) -> None:
    one = aioredis.Redis.from_url(redis_url)
    two = aioredis.Redis.from_url(redis_url)
    try:
        copy = _entry(
            "\n\n".join([*stories.ORIGINAL[1:], stories.FOOTER]), "https://ussanews.com/a/1"
        )
        results = await asyncio.gather(
            claim_entry(StoryIndex(one, WINDOW), ORIGINAL, "from-worker-1", now=T0),
            claim_entry(StoryIndex(two, WINDOW), copy, "from-worker-2", now=T0),
        )
    finally:
        await one.aclose()
        await two.aclose()
    claims = [claim for claim, _ in results]
    assert claims[0].story_id == claims[1].story_id
    assert sorted(c.is_new for c in claims) == [False, True]


async def test_story_older_than_the_window_is_forgotten(redis: aioredis.Redis) -> None:
    window = 3600
    index = StoryIndex(redis, window)
    await claim_entry(index, ORIGINAL, "s1", now=T0)
    # every key the index wrote expires: the story record with the window, band
    # buckets at most one slice later
    keys = [k async for k in redis.scan_iter(match="fw:*")]
    ttls = {k: await redis.ttl(k) for k in keys if k != b"fw:sid:seq"}
    assert ttls
    assert all(0 < ttl <= window + index.slice_seconds for ttl in ttls.values())
    assert await redis.ttl("fw:sid:1") <= window
    within, _ = await claim_entry(index, ORIGINAL, "s2", now=T0 + window - 1)
    after, _ = await claim_entry(index, ORIGINAL, "s3", now=T0 + window + 1)
    assert within.story_id == "s1"
    assert after.story_id == "s3"
    assert after.is_new


async def test_cyrillic_copy_pair_is_one_story(redis: aioredis.Redis) -> None:
    index = StoryIndex(redis, WINDOW)
    original = _entry("\n".join(stories.CYRILLIC), "https://tass.ru/obschestvo/1")
    copy = _entry(
        "<p>МУРМАНСК, 25 ноября. /ТАСС/. " + "</p><p>".join(stories.CYRILLIC[:-1]) + "</p>"
        "<p>Читайте также: Снегопад в Мурманске - главное</p>",
        "https://regionews.ru/2",
    )
    await claim_entry(index, original, "s1", now=T0)
    claim, credits = await claim_entry(index, copy, "s2", now=T0 + 30)
    assert claim.story_id == "s1"
    assert credits == "ТАСС"


async def test_sentence_an_outlet_repeats_is_counted_and_dropped(redis: aioredis.Redis) -> None:
    index = StoryIndex(redis, WINDOW, repeated_sentence_threshold=2)
    keys = [101, 202]
    assert await index.sentences.repeated(keys, T0) == set()
    assert await index.sentences.repeated(keys, T0 + 1) == set()
    assert await index.sentences.repeated(keys, T0 + 2) == {101, 202}


async def test_outlet_sign_off_is_learned_from_counts_in_redis(redis: aioredis.Redis) -> None:
    index = StoryIndex(redis, WINDOW, repeated_sentence_threshold=3)
    sign_off = "Follow Daily Bulletin on Telegram for updates as they happen."
    key = sentence_key("dailybulletin.net", sign_off)
    for n, paragraph in enumerate(stories.ORIGINAL[1:4]):
        entry = _entry(f"{paragraph} {stories.QUOTED_A[n]}\n{sign_off}", f"https://dailybulletin.net/{n}")
        await claim_entry(index, entry, f"s{n}", now=T0 + n)
    assert index.sentences.known_repeated([key]) == {key}
    # a second process learns it from the same counts
    other = StoryIndex(redis, WINDOW, repeated_sentence_threshold=3)
    assert await other.sentences.repeated([key], T0 + 10) == {key}


async def test_sign_off_known_repeated_is_still_counted_for_other_workers(
    redis: aioredis.Redis,
) -> None:
    index = StoryIndex(redis, WINDOW, repeated_sentence_threshold=3)
    sign_off = "Follow Daily Bulletin on Telegram for updates as they happen."
    key = sentence_key("dailybulletin.net", sign_off)

    async def three_items(at: float, tag: str) -> None:
        for n, paragraph in enumerate(stories.ORIGINAL[1:4]):
            body = f"{paragraph} {stories.QUOTED_A[n]} {tag}\n{sign_off}"
            entry = _entry(body, f"https://dailybulletin.net/{tag}/{n}")
            await claim_entry(index, entry, f"{tag}{n}", now=at + n)

    await three_items(T0, "a")
    assert index.sentences.known_repeated([key]) == {key}
    # once the first counts are out of the window, this process (which knows the
    # sign-off and skips reading older counts) must still count it for the others
    later = T0 + WINDOW + index.slice_seconds
    await three_items(later, "b")
    other = StoryIndex(redis, WINDOW, repeated_sentence_threshold=3)
    assert await other.sentences.repeated([key], later + 10) == {key}
    assert index.sentences.known_repeated([key]) == {key}


async def test_every_index_key_expires_after_many_claims(redis: aioredis.Redis) -> None:
    # small capacity: few buckets, so later stories write into existing buckets
    index = StoryIndex(redis, WINDOW, capacity=10)
    paragraphs = [*stories.ORIGINAL[1:], *stories.QUOTED_A, *stories.QUOTED_B]
    for n in range(30):
        body = "\n".join(paragraphs[(n + k * 7) % len(paragraphs)] for k in range(4))
        entry = _entry(f"Item {n}.\n{body}", f"https://o{n % 3}.com/{n}")
        await claim_entry(index, entry, f"s{n}", now=T0 + n)
    keys = [k async for k in redis.scan_iter(match="fw:*") if k != b"fw:sid:seq"]
    ttls = [await redis.ttl(k) for k in keys]
    assert len(keys) > 10
    assert all(0 < ttl <= WINDOW + index.slice_seconds for ttl in ttls)
