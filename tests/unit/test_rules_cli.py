"""`feedwatch rules test`: text, file and URL sources (a real local HTTP server)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from service.rules_cli import rules_test_command

FEED = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Wire</title>
<item><title>Truce holds</title><link>http://x/1</link>
<description>A &lt;b&gt;cease-fire&lt;/b&gt; held overnight.</description></item>
<item><title>Weather</title><link>http://x/2</link>
<description>Sunny spells.</description></item>
</channel></rss>"""

WIRE = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Mixed</title>
<item><title>Ceasefire declared</title><link>https://www.globewire.example/cf</link>
<description>A ceasefire was declared.</description></item>
<item><title>Ceasefire, a copy</title><link>https://other.example/cf</link>
<description>A ceasefire was declared.</description></item>
</channel></rss>"""

PAGE = b"""<html><head><title>NATO summit</title></head>
<body><p>Leaders of NATO&#8217;s members met.</p></body></html>"""


def run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    status = rules_test_command(argv, out=out)
    return status, out.getvalue()


async def run_async(argv: list[str]) -> tuple[int, str]:
    """The command runs its own event loop (as the CLI does): keep it off the test's."""
    return await asyncio.to_thread(run, argv)


def test_text_match_prints_terms_and_highlights() -> None:
    status, out = run(["ceasefire OR truce", "--text", "A cease-fire and a truce."])
    assert status == 0
    assert "MATCH  terms: ceasefire, truce" in out
    assert "A [[cease-fire]] and a [[truce]]." in out


def test_no_match_exits_one() -> None:
    status, out = run(["NATO", "--text", "The senator spoke."])
    assert status == 1
    assert out.strip() == "no match"


def test_accepts_test_subcommand_word_first() -> None:
    status, _ = run(["test", "NATO", "--text", "NATO met."])
    assert status == 0


def test_query_named_test_is_still_a_query() -> None:
    status, out = run(["test", "--text", "a test run"])
    assert status == 0
    assert "[[test]]" in out


def test_bad_query_points_at_the_column() -> None:
    status, out = run(['NATO OR "cease', "--text", "x"])
    assert status == 2
    lines = out.splitlines()
    assert lines[0] == "bad query: unbalanced quote at column 9"
    assert lines[2] == "  " + " " * 8 + "^"


def test_stem_flag_turns_on_stemming() -> None:
    assert run(["sanction", "--text", "They sanctioned it."])[0] == 1
    assert run(["sanction", "--stem", "--text", "They sanctioned it."])[0] == 0


def test_title_option_feeds_title_field() -> None:
    status, out = run(["title:summit", "--title", "NATO summit", "--text", "Leaders met."])
    assert status == 0
    assert "NATO [[summit]] Leaders met." in out


def test_file_source(tmp_path: Path) -> None:
    path = tmp_path / "story.html"
    path.write_text("<p>The White</p>\n<p>House said.</p>", encoding="utf-8")
    status, out = run(['"White House"', "--file", str(path)])
    assert status == 0
    assert "The [[White House]] said." in out


def test_outlet_option_feeds_outlet_terms() -> None:
    query = "outlet:reuters.com AND truce"
    status, out = run([query, "--text", "A truce held."])
    assert status == 1
    assert "note: the query has outlet: terms, but no --outlet was given" in out
    status, out = run([query, "--outlet", "www.reuters.com", "--text", "A truce held."])
    assert status == 0
    assert "note:" not in out
    assert run([query, "--outlet", "bbc.co.uk", "--text", "A truce held."])[0] == 1


def test_tag_option_feeds_tag_terms() -> None:
    query = "tag:wire AND truce"
    status, out = run([query, "--text", "A truce held."])
    assert status == 1
    assert "no --tag was given" in out
    assert run([query, "--tag", "local", "--tag", "wire", "--text", "A truce held."])[0] == 0
    assert run([query, "--tag", "local", "--text", "A truce held."])[0] == 1


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    status, out = run(["NATO", "--file", str(tmp_path / "missing.txt")])
    assert status == 2
    assert "cannot read the source" in out


@pytest.fixture
async def server() -> AsyncIterator[str]:
    async def feed(_: web.Request) -> web.Response:
        return web.Response(body=FEED, content_type="application/rss+xml")

    async def wire(_: web.Request) -> web.Response:
        return web.Response(body=WIRE, content_type="application/rss+xml")

    async def page(_: web.Request) -> web.Response:
        return web.Response(body=PAGE, content_type="text/html")

    async def missing(_: web.Request) -> web.Response:
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/feed", feed)
    app.router.add_get("/wire", wire)
    app.router.add_get("/page", page)
    app.router.add_get("/missing", missing)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_url_feed_tests_every_entry(server: str) -> None:
    status, out = await run_async(["ceasefire", "--url", f"{server}/feed"])
    assert status == 0
    assert "http://x/1: MATCH  terms: ceasefire" in out
    assert "[[cease-fire]]" in out
    assert "http://x/2: no match" in out
    assert "1 of 2 entries match" in out


async def test_url_entry_outlet_is_its_link_host(server: str) -> None:
    query = "outlet:globewire.example AND ceasefire"
    status, out = await run_async([query, "--url", f"{server}/wire"])
    assert status == 0
    assert "https://www.globewire.example/cf: MATCH" in out
    assert "https://other.example/cf: no match" in out
    assert "note:" not in out


async def test_url_outlet_option_overrides_link_hosts(server: str) -> None:
    query = "outlet:other.example AND ceasefire"
    status, out = await run_async([query, "--outlet", "other.example", "--url", f"{server}/wire"])
    assert status == 0
    assert "2 of 2 entries match" in out


async def test_url_page_is_tested_as_one_document(server: str) -> None:
    status, out = await run_async(["title:NATO AND body:members", "--url", f"{server}/page"])
    assert status == 0
    assert "[[NATO]]" in out
    assert "[[members]]" in out


async def test_url_error_status_is_reported(server: str) -> None:
    status, out = await run_async(["NATO", "--url", f"{server}/missing"])
    assert status == 2
    assert "HTTP 404" in out


async def test_url_unreachable_is_reported() -> None:
    status, out = await run_async(["NATO", "--url", "http://127.0.0.1:9/feed"])
    assert status == 2
    assert "cannot read the source" in out
