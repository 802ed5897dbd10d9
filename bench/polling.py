"""One polling cycle over 10,000 feeds through the real scheduler and workers.

A feed server runs in a separate process (multiprocessing) and answers for
10,000 feeds spread over 2,000 hosts (distinct loopback addresses 127.1.x.y, all
on one port), so the per-host budget (2 in flight, 1 s apart by default) is
exercised as it would be in production without throttling the whole run:

- 80 % of feeds answer 304 to a conditional GET (stable ETag),
- 15 % send the same body again with no validators (a 200, not parsed again),
- 5 % have a new entry on every request (a changed body, parsed);
- on top of that 1 % are slow (1.5 s) and 1 % fail (HTTP 500).

The feedwatch side is `service.runtime.Service` (arq workers for the fetch,
process and deliver queues, and the scheduler tick loop) in this process, on the
embedded Redis (or REDIS_URL). Cycles:

1. first poll (every feed new: unconditional GET, parse, seen sets written);
2. steady: every feed comes due once over 20 s (500 feeds/s offered): the
   scheduler lag (first request at the server minus the due time) is measured;
3. burst: every feed due at once: feeds per second through a full cycle, and CPU
   seconds per feed of this process.

Then the naive baseline, in the same run: `feedparser.parse(url)` in a loop over
a 500-feed sample, no conditional GET.

Run: .venv/bin/python bench/polling.py [--feeds 10000] [--hosts 2000]
The last line is one JSON object with the figures the issue names.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import random
import socket
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feedparser
import redis.asyncio as aioredis
from aiohttp import ClientSession, web

from service.adapters import redis_keys as K
from service.adapters.feed_parser import parse_feed
from service.runtime import Roles, Service
from service.settings import Settings

SLOW_SECONDS = 1.5
ITEMS = 10
WORDS = (
    "ceasefire talks resumed monday negotiators both sides met geneva officials said "
    "proposal would include phased withdrawal troops humanitarian corridors market "
    "shares rose sharply after central bank held rates steady amid inflation worries"
).split()


def kind_of(i: int) -> tuple[str, str]:
    """(body kind, misbehaviour) of feed i, spread by a hash rather than by index."""
    h = zlib.crc32(f"feed-{i}".encode())
    share = h % 100
    kind = "304" if share < 80 else "same" if share < 95 else "new"
    extra = (h // 100) % 100
    return kind, "slow" if extra == 0 else "fail" if extra == 1 else ""


def host_of(i: int, hosts: int) -> str:
    h = i % hosts
    return f"127.1.{h // 250}.{h % 250 + 1}"


def feed_url(i: int, hosts: int, port: int) -> str:
    return f"http://{host_of(i, hosts)}:{port}/f/{i}.xml"


def render(i: int, version: int) -> bytes:
    rnd = random.Random(i * 7919 + version)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>Outlet {i}</title><link>https://outlet{i}.example/</link>",
        "<description>bench feed</description><ttl>5</ttl>",
    ]
    for n in range(version, version - ITEMS, -1):
        words = " ".join(rnd.choice(WORDS) for _ in range(60))
        link = f"https://outlet{i}.example/story/{n}"
        parts.append(
            f"<item><title>Story {n} of outlet {i}</title><link>{link}</link>"
            f'<guid isPermaLink="true">{link}</guid>'
            f"<pubDate>{formatdate(1_780_000_000 + n * 600, usegmt=True)}</pubDate>"
            f"<description>&lt;p&gt;{words}&lt;/p&gt;</description></item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode()


# ----------------------------------------------------------------- feed server


def serve(port: int, feeds: int, hosts: int, ready: Connection) -> None:
    """The feed server process: one port on every host address, plus /stats."""
    versions = [ITEMS] * feeds
    first_seen: dict[int, float] = {}
    requests = [0]

    async def feed(request: web.Request) -> web.Response:
        i = int(request.match_info["i"])
        requests[0] += 1
        first_seen.setdefault(i, time.time())
        kind, extra = kind_of(i)
        if extra == "slow":
            await asyncio.sleep(SLOW_SECONDS)
        if extra == "fail":
            return web.Response(status=500, text="internal error")
        if kind == "same":
            return web.Response(body=render(i, ITEMS), content_type="application/rss+xml")
        if kind == "new":
            versions[i] += 1
        etag = f'"{i}-{versions[i]}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        body = render(i, versions[i])
        return web.Response(body=body, headers={"ETag": etag}, content_type="application/rss+xml")

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(
            {"distinct": len(first_seen), "requests": requests[0], "cpu": time.process_time()}
        )

    async def first(request: web.Request) -> web.Response:
        return web.json_response(first_seen)

    async def reset(request: web.Request) -> web.Response:
        first_seen.clear()
        requests[0] = 0
        return web.json_response({})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/f/{i}.xml", feed)
        app.router.add_get("/stats", stats)
        app.router.add_get("/first", first)
        app.router.add_post("/reset", reset)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        addresses = {"127.0.0.1"} | {host_of(i, hosts) for i in range(min(feeds, hosts))}
        for address in sorted(addresses):
            await web.TCPSite(runner, address, port, backlog=512).start()
        ready.send("ready")
        await asyncio.Event().wait()

    asyncio.run(main())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ feedwatch


@contextmanager
def redis_server() -> Iterator[str]:
    external = os.environ.get("REDIS_URL")
    if external:
        yield external
        return
    from service.adapters.embedded_redis import EmbeddedRedis

    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp), appendonly=False) as s:
        yield s.url


def bench_settings(urls: list[str], feeds_per_job: int | None) -> Settings:
    polling: dict[str, Any] = {"connect_timeout": 5, "total_timeout": 10}
    if feeds_per_job is not None:
        polling["feeds_per_job"] = feeds_per_job
    return Settings.model_validate(
        {"http": {"port": 0}, "polling": polling, "feeds": [{"url": url} for url in urls]}
    )


class Cycle:
    def __init__(self, name: str, feeds: int) -> None:
        self.name = name
        self.feeds = feeds
        self.wall = 0.0
        self.cpu = 0.0
        self.redis_cpu = 0.0
        self.server_cpu = 0.0
        self.first: dict[str, float] = {}

    @property
    def feeds_per_s(self) -> float:
        return self.feeds / self.wall


async def redis_cpu(r: aioredis.Redis) -> float:
    info = await r.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def run_cycle(
    name: str,
    n: int,
    r: aioredis.Redis,
    http: ClientSession,
    control: str,
    dues: dict[str, float] | None,
) -> Cycle:
    """Make feeds due (None: they already are), wait until each was requested and
    every queue is empty."""
    cycle = Cycle(name, n)
    await http.post(f"{control}/reset")
    async with http.get(f"{control}/stats") as resp:
        server_cpu0 = (await resp.json())["cpu"]
    cpu0, rcpu0, t0 = time.process_time(), await redis_cpu(r), time.time()
    if dues is not None:
        await r.zadd(K.FEEDS_DUE, dues)
    while True:
        await asyncio.sleep(0.1)
        async with http.get(f"{control}/stats") as resp:
            stats: dict[str, Any] = await resp.json()
        if stats["distinct"] < n:
            continue
        pipe = r.pipeline(transaction=False)
        for queue in K.QUEUES.values():
            pipe.zcard(queue)
        if not any(await pipe.execute()):
            break
    cycle.wall = time.time() - t0
    cycle.server_cpu = stats["cpu"] - server_cpu0
    cycle.cpu = time.process_time() - cpu0
    cycle.redis_cpu = await redis_cpu(r) - rcpu0
    async with http.get(f"{control}/first") as resp:
        cycle.first = await resp.json()
    print(
        f"{name:>10}: {n} feeds in {cycle.wall:.2f} s = {cycle.feeds_per_s:.0f} feeds/s, "
        f"{cycle.cpu / n * 1000:.2f} ms CPU per feed (feedwatch), "
        f"{cycle.redis_cpu / n * 1000:.2f} ms (redis), "
        f"{cycle.server_cpu / n * 1000:.2f} ms (feed server), {stats['requests']} requests"
    )
    return cycle


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench(
    n: int,
    hosts: int,
    port: int,
    redis_url: str,
    window: float,
    fetch_workers: int,
    feeds_per_job: int | None,
) -> dict[str, Any]:
    urls = [feed_url(i, hosts, port) for i in range(n)]
    settings = bench_settings(urls, feeds_per_job)
    from service.core.entries import feed_id_for

    ids = [feed_id_for(u) for u in urls]
    r = aioredis.Redis.from_url(redis_url)
    await r.flushdb()
    memory0 = float((await r.info("memory"))["used_memory"])
    control = f"http://127.0.0.1:{port}"
    async with ClientSession() as http:
        queues = ("fetch",) * fetch_workers + ("process", "deliver")
        service = Service(settings, redis_url, roles=Roles(api=False, queues=queues))
        await service.start()
        try:
            first = await run_cycle("first poll", n, r, http, control, None)
            start = time.time() + 0.5
            due_at = {fid: start + random.random() * window for fid in ids}
            steady = await run_cycle("steady", n, r, http, control, due_at)
            lags = [
                steady.first[str(i)] - due_at[fid]
                for i, fid in enumerate(ids)
                if str(i) in steady.first
            ]
            now = time.time()
            burst = await run_cycle("burst", n, r, http, control, dict.fromkeys(ids, now))
            assert service.pipeline is not None
            sample = service.pipeline.metrics.registry.get_sample_value
            counters = {
                "unchanged": sample("feedwatch_fetch_unchanged_total"),
                "parsed_fast": sample("feedwatch_feed_parse_total", {"path": "fast"}),
                "parsed_feedparser": sample("feedwatch_feed_parse_total", {"path": "feedparser"}),
                "deferred_host_busy": sample(
                    "feedwatch_fetch_deferrals_total", {"reason": "host_busy"}
                ),
                "not_modified": sample(
                    "feedwatch_fetches_total", {"outcome": "not_modified", "status_class": "3xx"}
                ),
                "errors_5xx": sample(
                    "feedwatch_fetches_total", {"outcome": "http_error", "status_class": "5xx"}
                ),
            }
        finally:
            await service.stop()
    memory = float((await r.info("memory"))["used_memory"])
    feed_state = await polling_state_bytes(r)
    await r.aclose()
    return {
        "first": first,
        "steady": steady,
        "burst": burst,
        "lags": lags,
        "counters": counters,
        "redis_bytes_per_feed": (memory - memory0) / n,
        "redis_feed_state_bytes_per_feed": feed_state / n,
    }


async def polling_state_bytes(r: aioredis.Redis) -> float:
    """MEMORY USAGE of the polling state alone: feed hashes, seen sets, the due and
    known sets, host budgets. The rest of used_memory is the stories that the new
    entries made (their index is measured per story by bench/dedupe.py)."""
    total = 0.0
    batch: list[bytes] = []

    async def flush() -> float:
        pipe = r.pipeline(transaction=False)
        for key in batch:
            pipe.memory_usage(key)
        sizes = await pipe.execute()
        batch.clear()
        return float(sum(s or 0 for s in sizes))

    for pattern in ("fw:feed:*", "fw:feeds:*", "fw:host:*"):
        async for key in r.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                total += await flush()
    if batch:
        total += await flush()
    return total


def parse_ms_median(n: int) -> float:
    """Median time of the fetch stage's parse (`parse_feed`) on the changed bodies."""
    changed = [i for i in range(n) if kind_of(i)[0] == "new"][:200]
    times = []
    for i in changed:
        body = render(i, ITEMS + 3)
        t = time.perf_counter()
        parse_feed(body, "bench", "application/rss+xml")
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def naive(n: int, hosts: int, port: int, sample: int) -> float:
    """feedparser.parse(url) in a loop: no conditional GET, no concurrency."""
    picked = random.Random(1).sample(range(n), sample)
    t = time.time()
    for i in picked:
        feedparser.parse(feed_url(i, hosts, port))
    elapsed = time.time() - t
    rate = sample / elapsed
    print(f"     naive: {sample} feeds in {elapsed:.2f} s = {rate:.1f} feeds/s")
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=10_000)
    ap.add_argument("--hosts", type=int, default=2_000)
    ap.add_argument("--naive", type=int, default=500)
    ap.add_argument("--window", type=float, default=20.0, help="steady cycle spread, seconds")
    ap.add_argument(
        "--fetch-workers",
        type=int,
        default=1,
        help="arq fetch workers in the process (Roles.queues); 1 is what `feedwatch run` starts",
    )
    ap.add_argument(
        "--feeds-per-job", type=int, default=None, help="polling.feeds_per_job (default: default)"
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    random.seed(7)
    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(port, args.feeds, args.hosts, child), daemon=True)
    server.start()
    try:
        if not parent.poll(60):
            raise SystemExit("the feed server did not start")
        parent.recv()
        kinds = [kind_of(i) for i in range(args.feeds)]
        print(
            f"{args.feeds} feeds on {min(args.hosts, args.feeds)} hosts: "
            f"{sum(k == '304' for k, _ in kinds)} answer 304, "
            f"{sum(k == 'same' for k, _ in kinds)} the same body, "
            f"{sum(k == 'new' for k, _ in kinds)} new entries; "
            f"{sum(e == 'slow' for _, e in kinds)} slow, {sum(e == 'fail' for _, e in kinds)} fail"
        )
        with redis_server() as url:
            result = asyncio.run(
                bench(
                    args.feeds,
                    args.hosts,
                    port,
                    url,
                    args.window,
                    args.fetch_workers,
                    args.feeds_per_job,
                )
            )
        parse_ms = parse_ms_median(args.feeds)
        naive_rate = naive(args.feeds, args.hosts, port, args.naive)
    finally:
        server.terminate()
        server.join(5)
    burst: Cycle = result["burst"]
    lags: list[float] = result["lags"]
    lag_p50, lag_p99 = percentile(lags, 0.5), percentile(lags, 0.99)
    print(f"counters (all cycles): {json.dumps(result['counters'])}")
    print(
        f"steady cycle: {len(lags)} feeds due over {args.window:.0f} s, scheduler lag "
        f"p50 {lag_p50:.3f} s, p99 {lag_p99:.3f} s"
    )
    print(f"parse of a changed feed ({ITEMS} items): median {parse_ms:.3f} ms")
    print(
        f"redis memory per feed: {result['redis_bytes_per_feed']:.0f} bytes of used_memory in all "
        f"(stories from the new entries included); polling state alone (MEMORY USAGE of "
        f"feed hashes, seen sets, due set, host budgets): "
        f"{result['redis_feed_state_bytes_per_feed']:.0f} bytes"
    )
    print(
        f"full cycle: {burst.feeds_per_s:.0f} feeds/s vs naive {naive_rate:.1f} feeds/s: "
        f"{burst.feeds_per_s / naive_rate:.1f}x"
    )
    print(
        json.dumps(
            {
                "feeds_per_s": round(burst.feeds_per_s, 1),
                "ratio_vs_naive": round(burst.feeds_per_s / naive_rate, 1),
                "cpu_s_per_feed": round(burst.cpu / burst.feeds, 5),
                "redis_bytes_per_feed": round(result["redis_bytes_per_feed"]),
                "redis_feed_state_bytes_per_feed": round(result["redis_feed_state_bytes_per_feed"]),
                "lag_p99_s": round(lag_p99, 3),
                "parse_ms_median": round(parse_ms, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
