"""`feedwatch rules test QUERY (--text T | --file F | --url U)`: try a query before deploying it.

Prints whether the query matches, the terms it matched and the text with the
matches highlighted (ANSI bold on a terminal, `[[...]]` otherwise). With --url,
a feed is fetched and every entry tested; a page that is not a feed is tested as
one document. Exit status: 0 if anything matched, 1 if nothing did, 2 for a bad
query or an unreadable source (like grep).

`outlet:` and `tag:` read what the service gives a story: the outlet is the
host of an entry's link (else of the URL tested), or `--outlet`; a feed's tags
come from the config, so here from `--tag`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import aiohttp

from service.adapters.feed_parser import FeedParseError, parse_feed
from service.core.entries import outlet_of
from service.core.query_language import And, Node, Not, Or, Outlet, Tag, parse_query
from service.core.rules import Document, Match, QueryError, RuleSpec, compile_rules

FETCH_TIMEOUT_S = 10.0
MAX_FETCH_BYTES = 10 * 1024 * 1024
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Source:
    label: str
    doc: Document


class SourceError(Exception):
    """The text to test could not be read or fetched."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="feedwatch rules test",
        description="Test a rule query against a text, a file, or a feed or page URL.",
    )
    parser.add_argument("query", help="the rule query, e.g. 'ceasefire OR \"cease-fire\"'")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="the text to test (HTML allowed)")
    source.add_argument("--file", type=Path, help="a text or HTML file to test")
    source.add_argument("--url", help="a feed (every entry is tested) or a web page")
    parser.add_argument("--title", default="", help="a title for --text or --file")
    parser.add_argument(
        "--outlet",
        help="the outlet (a host, e.g. reuters.com) for outlet: terms; "
        "with --url, each entry's link host by default",
    )
    parser.add_argument(
        "--tag",
        action="append",
        default=[],
        help="a feed tag for tag: terms (repeat for several); the service takes them "
        "from the feed's config",
    )
    parser.add_argument("--stem", action="store_true", help="match with stemming")
    parser.add_argument("--language", default="english", help="stemming language")
    return parser


def _caret(query: str, error: QueryError, out: TextIO) -> None:
    print(f"bad query: {error}", file=out)
    print(f"  {query}", file=out)
    print("  " + " " * (error.column - 1) + "^", file=out)


def render(match: Match, *, bold: bool) -> str:
    """The match's snippet with its highlights marked for a terminal or a log."""
    start, end = ("\x1b[1m", "\x1b[0m") if bold else ("[[", "]]")
    out: list[str] = []
    last = 0
    for a, b in match.highlights:
        out.append(match.snippet[last:a])
        out.append(start + match.snippet[a:b] + end)
        last = b
    out.append(match.snippet[last:])
    return "".join(out)


async def fetch(url: str, timeout_s: float = FETCH_TIMEOUT_S) -> tuple[bytes, str | None]:
    """GET a URL with a total timeout and a size cap."""
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    headers = {"User-Agent": "feedwatch rules test"}
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout, headers=headers) as session,
            session.get(url) as response,
        ):
            if response.status >= 400:
                raise SourceError(f"{url}: HTTP {response.status}")
            body = await response.content.read(MAX_FETCH_BYTES + 1)
            if len(body) > MAX_FETCH_BYTES:
                raise SourceError(f"{url}: larger than {MAX_FETCH_BYTES} bytes")
            return body, response.headers.get("Content-Type")
    except TimeoutError:
        raise SourceError(f"{url}: no answer within {timeout_s:g} s") from None
    except aiohttp.ClientError as error:
        raise SourceError(f"{url}: {error}") from None


def sources_from_body(
    url: str,
    body: bytes,
    content_type: str | None,
    *,
    outlet: str | None = None,
    tags: tuple[str, ...] = (),
) -> list[Source]:
    """A feed's entries, or the page itself when the body is not a feed. Each
    document's outlet is `outlet`, else its link's host, else the URL's, as the
    service reads it."""
    try:
        feed = parse_feed(body, feed_id="rules-test", content_type=content_type)
    except FeedParseError:
        html = body.decode("utf-8", errors="replace")
        found = _TITLE.search(html)
        title = found.group(1).strip() if found else ""
        doc = Document(title=title, body=html, outlet=outlet or outlet_of(url), tags=tags)
        return [Source(url, doc)]
    return [
        Source(
            entry.link or entry.title or f"entry {i}",
            Document(
                entry.title,
                entry.body,
                outlet=outlet or outlet_of(entry.link) or outlet_of(url),
                tags=tags,
            ),
        )
        for i, entry in enumerate(feed.entries, 1)
    ]


def _sources(args: argparse.Namespace) -> tuple[list[Source], bool]:
    """Documents to test, and whether to print each whole (short inputs) or as snippets."""
    tags = tuple(args.tag)
    if args.text is not None:
        doc = Document(args.title, args.text, outlet=args.outlet, tags=tags)
        return [Source("text", doc)], True
    if args.file is not None:
        try:
            text = Path(args.file).read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            raise SourceError(f"{args.file}: {error.strerror}") from None
        doc = Document(args.title, text, outlet=args.outlet, tags=tags)
        return [Source(str(args.file), doc)], True
    body, content_type = asyncio.run(fetch(args.url))
    return sources_from_body(args.url, body, content_type, outlet=args.outlet, tags=tags), False


def _fields_named(node: Node) -> set[str]:
    """Which of `outlet:` and `tag:` a parsed query names."""
    if isinstance(node, Outlet):
        return {"outlet"}
    if isinstance(node, Tag):
        return {"tag"}
    if isinstance(node, Not):
        return _fields_named(node.child)
    if isinstance(node, (And, Or)):
        return set().union(*map(_fields_named, node.children))
    return set()


def _unset_fields(args: argparse.Namespace) -> list[str]:
    """Notes for `outlet:`/`tag:` terms that this run has nothing to compare with."""
    named = _fields_named(parse_query(args.query))
    notes = []
    if "outlet" in named and args.outlet is None and args.url is None:
        notes.append("note: the query has outlet: terms, but no --outlet was given")
    if "tag" in named and not args.tag:
        notes.append(
            "note: the query has tag: terms, but no --tag was given "
            "(the service takes a story's tags from its feed's config)"
        )
    return notes


def _strip_subcommand(argv: Sequence[str]) -> list[str]:
    """Accept both `test QUERY ...` and `QUERY ...` (the CLI may pass either)."""
    args = list(argv)
    if len(args) >= 2 and args[0] == "test" and not args[1].startswith("--"):
        return args[1:]
    return args


def rules_test_command(argv: list[str], out: TextIO | None = None) -> int:
    """Entry point of `feedwatch rules test`; returns the exit status."""
    out = out if out is not None else sys.stdout
    args = _parser().parse_args(_strip_subcommand(argv))
    spec = RuleSpec("query", args.query, ("-",), stem=args.stem, language=args.language)
    try:
        rules = compile_rules([spec])
    except QueryError as error:
        _caret(args.query, error, out)
        return 2
    try:
        sources, whole = _sources(args)
    except SourceError as error:
        print(f"cannot read the source: {error}", file=out)
        return 2
    for note in _unset_fields(args):
        print(note, file=out)
    bold = out.isatty()
    matched = 0
    for source in sources:
        matches = rules.match(source.doc, whole_text=whole)
        label = "" if len(sources) == 1 else f"{source.label}: "
        if not matches:
            print(f"{label}no match", file=out)
            continue
        matched += 1
        match = matches[0]
        print(f"{label}MATCH  terms: {', '.join(match.terms) or '-'}", file=out)
        print("  " + render(match, bold=bold), file=out)
    if len(sources) != 1:
        print(f"{matched} of {len(sources)} entries match", file=out)
    return 0 if matched else 1
