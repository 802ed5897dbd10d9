"""`make demo`: feedwatch against local feeds and a local receiver, no internet.

It serves three sample feeds, starts `feedwatch run` (embedded Redis) on them,
waits until every feed has been polled once (so nothing already there alerts),
publishes an original story, its syndicated copy with a courtesy footer, an
unrelated story and a NATO story, and checks that exactly the expected alerts
arrive, signed, within 30 seconds. Then it stops everything.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from demo import stories
from demo.feed_server import FeedServer, Item
from demo.receiver import Receiver

DEADLINE_S = 30.0

CONFIG = """\
http: {{host: 127.0.0.1, port: 0}}
polling: {{interval: 2s, tick: 0.25s}}
delivery: {{hold: 1s}}
feeds:
  - {{url: "{base}/feeds/wirenews.xml", name: wirenews, tags: [wire]}}
  - {{url: "{base}/feeds/aggregator.xml", name: aggregator}}
  - {{url: "{base}/feeds/citynews.xml", name: citynews}}
destinations:
  console: {{type: console}}
  receiver: {{type: webhook, url: "{hook}", secret: "${{DEMO_WEBHOOK_SECRET}}"}}
rules:
  - {{name: ceasefire, query: 'ceasefire OR "cease-fire" OR truce', notify: [console, receiver]}}
  - {{name: nato, query: NATO, notify: [console, receiver]}}
"""


def say(message: str) -> None:
    print(f"demo: {message}", flush=True)


async def _pump(stream: asyncio.StreamReader) -> None:
    while line := await stream.readline():
        print("  feedwatch> " + line.decode().rstrip(), flush=True)


async def main() -> int:
    feeds = FeedServer()
    base = await feeds.start()
    for name in ("wirenews", "aggregator", "citynews"):
        feeds.publish(
            name,
            Item(
                f"Yesterday at {name}",
                f"https://{name}.example/old",
                "An older story that must not alert.",
            ),
        )
    receiver = Receiver()
    await receiver.start()
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    workdir = Path(tempfile.mkdtemp(prefix="feedwatch-demo-"))
    config = workdir / "demo.yaml"
    config.write_text(CONFIG.format(base=base, hook=receiver.url("alerts")))
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["DEMO_WEBHOOK_SECRET"] = secret
    say(f"feeds at {base}, receiver at {receiver.url('alerts')}, data in {workdir}")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service.cli",
        "run",
        "--config",
        str(config),
        "--data-dir",
        str(workdir / "data"),
        "--log-level",
        "warning",
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None
    pump = asyncio.create_task(_pump(process.stdout))
    started = time.monotonic()
    failures: list[str] = []
    try:
        for name in ("wirenews", "aggregator", "citynews"):
            await feeds.wait_for_requests(name, 1, timeout=DEADLINE_S)
        say("every feed polled once; what was already there is recorded, not alerted")
        feeds.publish(
            "wirenews",
            Item(
                stories.ORIGINAL_TITLE,
                "https://wirenews.example/world/geneva-talks",
                stories.ORIGINAL_BODY,
            ),
        )
        feeds.publish(
            "aggregator",
            Item(
                stories.ORIGINAL_TITLE,
                "https://aggregator.example/2026/geneva-talks",
                stories.COPY_BODY,
            ),
        )
        feeds.publish(
            "citynews",
            Item(stories.UNRELATED_TITLE, "https://citynews.example/tram", stories.UNRELATED_BODY),
        )
        feeds.publish(
            "wirenews", Item(stories.NATO_TITLE, "https://wirenews.example/nato", stories.NATO_BODY)
        )
        say("published: an original, its syndicated copy, an unrelated story, a NATO story")
        remaining = DEADLINE_S - (time.monotonic() - started)
        try:
            await receiver.wait_for(2, timeout=remaining)
        except TimeoutError:
            failures.append(
                f"expected 2 alerts within {DEADLINE_S:.0f} s, got {len(receiver.accepted())}"
            )
        # Let every feed be polled twice more, then count again: nothing else may come.
        counts = {n: len(feeds.requests_for(n)) for n in ("wirenews", "aggregator", "citynews")}
        for name, seen in counts.items():
            await feeds.wait_for_requests(name, seen + 2, timeout=DEADLINE_S)
        await asyncio.sleep(1.5)  # longer than the delivery hold, for a stray late alert
        verifier = Webhook(secret)
        titles = []
        for got in receiver.accepted():
            payload = verifier.verify(got.body, got.headers)
            data = payload["data"]
            titles.append(data["title"])
            say(
                f"receiver got a signed alert: [{', '.join(data['rules'])}] {data['title']!r} "
                f"from {', '.join(data['outlets'])} (webhook-id {got.headers['webhook-id']})"
            )
        expected = sorted([stories.ORIGINAL_TITLE, stories.NATO_TITLE])
        if sorted(titles) != expected:
            failures.append(f"expected alerts {expected}, got {sorted(titles)}")
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
        await pump
        await receiver.stop()
        await feeds.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if code != 0:
        failures.append(f"feedwatch exited with {code}")
    if failures:
        for failure in failures:
            say("FAILED: " + failure)
        return 1
    say(
        f"OK: exactly the expected alerts, in {time.monotonic() - started:.1f} s; "
        "feedwatch stopped cleanly"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
