"""`make check-deploy`: every dashboard and rule expression, against real data.

Starts local sample feeds and two webhook receivers (one flaky, one refusing),
a Redis with a maxmemory, `feedwatch run` on them, and Debian's Prometheus
scraping it every second with deploy/prometheus/rules.yaml loaded. It publishes
stories that match rules, waits until alerts were delivered, retried and
dead-lettered and Prometheus has scraped the outcome, then evaluates through
Prometheus's HTTP API:

- every target of deploy/grafana/feedwatch.json ($__rate_interval set to 5m,
  longer than the run): it must not error and must return at least one number;
- every recording rule: the same;
- every alert: its full expression must not error (when all is well it returns
  nothing, as an alert should), and its underlying series must return data:
  the expression without its final threshold (`> 0.25`, `== 0`), without an
  `and on () ...` guard, and `absent(x)` read as `x`;
- Prometheus's own evaluation of every rule group must report health "ok".

Exit 0 when all pass. Needs `prometheus` on PATH (Debian: apt-get install
prometheus); about a minute.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
import math
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import redis
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo import stories  # noqa: E402
from demo.feed_server import FeedServer, Item  # noqa: E402
from demo.receiver import Answer, Receiver  # noqa: E402
from service.adapters.embedded_redis import EmbeddedRedis  # noqa: E402

DASHBOARD = ROOT / "deploy/grafana/feedwatch.json"
RULES = ROOT / "deploy/prometheus/rules.yaml"
RATE_INTERVAL = "5m"
DEADLINE_S = 90.0

CONFIG = """\
http: {{host: 127.0.0.1, port: 0}}
polling: {{interval: 2s, tick: 0.25s, connect_timeout: 1s, total_timeout: 3s}}
delivery: {{hold: 0.5s, retry_schedule: [1s, 1s, 1s]}}
feeds:
  - {{url: "{base}/feeds/wire.xml", name: wire, tags: [wire]}}
  - {{url: "{base}/feeds/aggregator.xml", name: aggregator}}
  - {{url: "{base}/feeds/broken.xml", name: broken}}
destinations:
  flaky: {{type: webhook, url: "{flaky}", secret: "${{CHECK_WEBHOOK_SECRET}}"}}
  refusing: {{type: webhook, url: "{refusing}", secret: "${{CHECK_WEBHOOK_SECRET}}"}}
  console: {{type: console}}
rules:
  - {{name: ceasefire, query: 'ceasefire OR truce', notify: [flaky, console]}}
  - {{name: nato, query: NATO, notify: [flaky, refusing]}}
"""

PROMETHEUS = """\
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ["{rules}"]
scrape_configs:
  - job_name: feedwatch
    static_configs:
      - targets: ["{target}"]
        labels: {{component: run}}
"""


def say(message: str) -> None:
    print(f"check-deploy: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dashboard_exprs() -> list[tuple[str, str]]:
    board = json.loads(DASHBOARD.read_text())
    found = []
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"].replace("$__rate_interval", RATE_INTERVAL)
            found.append((f"panel {panel['title']!r} {target['refId']}", expr))
    return found


def underlying(expr: str) -> str:
    """An alert's condition without its threshold: the series it watches."""
    e = expr.strip()
    e = re.sub(r"\s+and\s+on\s*\(\)[\s\S]*$", "", e)
    e = re.sub(r"\s*(==|!=|>=|<=|>|<)\s*-?[0-9.]+(?:e[+-]?\d+)?\s*$", "", e)
    m = re.fullmatch(r"absent\(([\s\S]*)\)", e)
    return m.group(1) if m else e


def rule_exprs() -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    doc = yaml.safe_load(RULES.read_text())
    records, alerts = [], []
    for group in doc["groups"]:
        for rule in group["rules"]:
            if "record" in rule:
                records.append((f"record {rule['record']}", rule["expr"]))
            else:
                alerts.append((f"alert {rule['alert']}", rule["expr"], underlying(rule["expr"])))
    return records, alerts


async def query(http: aiohttp.ClientSession, base: str, expr: str) -> list[dict[str, Any]]:
    async with http.get(f"{base}/api/v1/query", params={"query": expr}) as resp:
        body = await resp.json()
    if body.get("status") != "success":
        raise RuntimeError(f"{body.get('errorType')}: {body.get('error')}")
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def numbers(result: list[dict[str, Any]]) -> list[float]:
    return [v for v in (float(s["value"][1]) for s in result) if not math.isnan(v)]


async def wait_until(check: Any, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.5)
    raise TimeoutError(f"timed out waiting for {what}")


async def run(workdir: Path) -> int:
    prom_bin = shutil.which("prometheus")
    if prom_bin is None:
        say("prometheus is not on PATH (Debian: apt-get install prometheus)")
        return 2
    feeds = FeedServer()
    base = await feeds.start()
    for name in ("wire", "aggregator"):
        feeds.publish(name, Item(f"Old news at {name}", f"https://{name}.example/old", "Old."))
    feeds.feed("broken").behaviour = "html"
    flaky, refusing = Receiver(), Receiver()
    await flaky.start()
    await refusing.start()
    refusing.default = Answer(status=410, body="this hook was removed")

    server = EmbeddedRedis(workdir / "redis", appendonly=False)
    (workdir / "redis").mkdir()
    server.__enter__()
    client = redis.Redis(unix_socket_path=str(server.socket_path))
    client.config_set("maxmemory", 256 * 1024 * 1024)
    client.config_set("maxmemory-policy", "noeviction")
    client.close()

    config = workdir / "feedwatch.yaml"
    config.write_text(
        CONFIG.format(base=base, flaky=flaky.url("hook"), refusing=refusing.url("hook"))
    )
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["CHECK_WEBHOOK_SECRET"] = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    log_path = workdir / "feedwatch.log"
    with log_path.open("wb") as log_file:
        fw = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "service.cli", "run", "--config", str(config),
            "--redis-url", server.url, "--log-level", "info",
            stdout=asyncio.subprocess.PIPE, stderr=log_file, env=env, cwd=ROOT,
        )  # fmt: skip
    prom: asyncio.subprocess.Process | None = None
    failures: list[str] = []
    try:
        assert fw.stdout is not None
        line = (await asyncio.wait_for(fw.stdout.readline(), 30)).decode()
        match = re.search(r"health http://([\d.:]+)/healthz", line)
        if not match:
            raise RuntimeError(f"feedwatch did not start: {line!r}; log in {log_path}")
        target = match.group(1)
        say(f"feedwatch serves metrics on http://{target}/metrics")
        prom_port = free_port()
        prom_config = workdir / "prometheus.yml"
        prom_config.write_text(PROMETHEUS.format(rules=RULES, target=target))
        prom = await asyncio.create_subprocess_exec(
            prom_bin, f"--config.file={prom_config}", f"--storage.tsdb.path={workdir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn",
            stdout=asyncio.subprocess.DEVNULL, stderr=(workdir / "prometheus.log").open("wb"),
        )  # fmt: skip
        prom_base = f"http://127.0.0.1:{prom_port}"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:

            async def prom_ready() -> bool:
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(f"{prom_base}/-/ready") as resp:
                        return resp.status == 200
                return False

            await wait_until(prom_ready, "Prometheus to start", 30)
            say(f"Prometheus {prom_base} scrapes it every second")
            for name in ("wire", "aggregator", "broken"):
                await feeds.wait_for_requests(name, 1, timeout=30)
            # Two rounds: a labelled series is born at its first increment, so
            # only the second round shows as a rate (and a quantile) in Prometheus.
            for round_no in (1, 2):
                await publish_round(feeds, round_no)
                flaky.answer(Answer(status=503, body="busy"))
                await flaky.wait_for(2 * round_no, timeout=45)
                # Its 410 disables the destination: from then on its alerts go to
                # the dead letters without a request, so it only ever sees one.
                await refusing.wait_for(1, timeout=45, accepted=False)
                say(
                    f"round {round_no}: flaky receiver has accepted {len(flaky.accepted())} "
                    f"alert(s) after {len(flaky.received) - len(flaky.accepted())} refusal(s); "
                    f"the refusing one dead-lettered {len(refusing.received)}"
                )
                await wait_until(
                    functools.partial(scraped, http, prom_base, 2 * round_no),
                    "Prometheus to scrape the deliveries",
                    30,
                )
            await asyncio.sleep(3)  # a few more scrapes and rule evaluations
            records, alerts = rule_exprs()
            checks = dashboard_exprs() + records
            for name, expr in checks:
                failures += await _expect_data(http, prom_base, name, expr)
            for name, expr, series in alerts:
                try:
                    fired = await query(http, prom_base, expr)
                except RuntimeError as exc:
                    failures.append(f"{name}: {exc}")
                    say(f"FAIL {name}: {exc}")
                    continue
                state = "firing now" if fired else "quiet"
                failures += await _expect_data(http, prom_base, f"{name} [{state}]", series)
            async with http.get(f"{prom_base}/api/v1/rules") as resp:
                groups = (await resp.json())["data"]["groups"]
            for group in groups:
                for rule in group["rules"]:
                    if rule.get("health") != "ok":
                        failures.append(f"Prometheus evaluates {rule['name']}: {rule}")
            evaluated = sum(len(g["rules"]) for g in groups)
            say(f"Prometheus evaluated {evaluated} rules in {len(groups)} groups")
    finally:
        for process in (prom, fw):
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 30)
        server.__exit__(None, None, None)
        await flaky.stop()
        await refusing.stop()
        await feeds.stop()
    total = len(checks) + len(alerts)
    if failures:
        say(f"{len(failures)} of {total} expressions FAILED (logs in {workdir}):")
        for failure in failures:
            say("  " + failure)
        return 1
    say(f"OK: all {total} dashboard and rule expressions return data")
    return 0


SECOND_ROUND_TRUCE = """\
<p>Mediators announced on Friday that a three-day truce around the northern port would
begin at dawn, allowing aid convoys to reach districts cut off for most of the winter.</p>
<p>The agreement covers shelling and drone strikes within twenty kilometres of the harbour,
and a joint committee of officers from both sides will log any violations.</p>
<p>Aid agencies said forty lorries of food, fuel and medicine were waiting at the crossing
and could move within hours if the guns stayed silent overnight.</p>"""

SECOND_ROUND_NATO = """\
<p>NATO's military committee met in Norfolk on Wednesday to review a plan for faster
reinforcement of the alliance's northern flank, including pre-positioned equipment.</p>
<p>Officers said rail and port capacity, not troop numbers, was the main bottleneck, and
asked member governments to fund upgrades of three transit corridors by next year.</p>"""


async def publish_round(feeds: FeedServer, round_no: int) -> None:
    """A story, its syndicated copy (courtesy footer) and a NATO story. The second
    round's stories are different articles, so that story identity does not (rightly)
    fold them into the first round's."""
    if round_no == 1:
        title, body = stories.ORIGINAL_TITLE, stories.ORIGINAL_BODY
        nato_title, nato_body = stories.NATO_TITLE, stories.NATO_BODY
    else:
        title, body = "Three-day truce to let aid convoys reach the port", SECOND_ROUND_TRUCE
        nato_title, nato_body = "NATO reviews faster reinforcement plan", SECOND_ROUND_NATO
    footer = "\n" + stories.COPY_FOOTER
    feeds.publish("wire", Item(title, f"https://wire.example/truce-{round_no}", body))
    feeds.publish(
        "aggregator", Item(title, f"https://aggregator.example/truce-{round_no}", body + footer)
    )
    feeds.publish("wire", Item(nato_title, f"https://wire.example/nato-{round_no}", nato_body))


async def scraped(http: aiohttp.ClientSession, base: str, delivered: int) -> bool:
    with contextlib.suppress(RuntimeError, aiohttp.ClientError):
        got = await query(
            http, base,
            'sum(feedwatch_deliveries_total{job="feedwatch", outcome="delivered"})'
            f" >= {delivered} and on () sum(feedwatch_dead_letters{{job=\"feedwatch\"}}) > 0",
        )  # fmt: skip
        return bool(got)
    return False


async def _expect_data(http: aiohttp.ClientSession, base: str, name: str, expr: str) -> list[str]:
    try:
        result = await query(http, base, expr)
    except RuntimeError as exc:
        say(f"FAIL {name}: {exc}")
        return [f"{name}: {exc}"]
    values = numbers(result)
    if not values:
        why = "no series" if not result else "only NaN"
        say(f"FAIL {name}: {why} for {' '.join(expr.split())}")
        return [f"{name}: {why}"]
    shown = ", ".join(f"{v:.3g}" for v in values[:4]) + (" ..." if len(values) > 4 else "")
    say(f"ok   {name}: {shown}")
    return []


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="feedwatch-check-deploy-"))
    started = time.monotonic()
    try:
        code = asyncio.run(asyncio.wait_for(run(workdir), DEADLINE_S + 60))
    except Exception as exc:
        say(f"FAILED: {type(exc).__name__}: {exc} (logs in {workdir})")
        return 1
    say(f"finished in {time.monotonic() - started:.0f} s")
    if code == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
