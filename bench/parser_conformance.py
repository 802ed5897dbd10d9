"""Where feedwatch's parse_feed and plain feedparser disagree, over the UFP test corpus.

Reads every file under $FEEDPARSER_TESTS, by default ../shared/corpora/feedparser-tests
(relative to the repository root): the `tests/` directory of a feedparser checkout
(its encoding, entities, illformed, json and wellformed folders). It parses each
file with `parse_feed` (lxml fast path, feedparser fallback) and with feedparser
alone, and compares the fields feedwatch uses: feed title and ttl; per
entry title, link, id, published, summary, content, author (and tags); the
warning; and whether the body is refused. A `Content-type:` header named in a
file's header comment is passed to both, as a server would send it. Where the
fast path reads a file, its pending reading (each entry's key first, its text
when wanted, as the pipeline reads a changed feed) must give the same keys and
entries; a difference counts as a disagreement.

Run: .venv/bin/python bench/parser_conformance.py [-v]
Exits 0 and says "skipped" when the corpus is absent. Last line: one JSON object.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.adapters.fast_feed_parser import (  # noqa: E402
    Declined,
    parse_fast,
    parse_fast_pending,
)
from service.adapters.feed_parser import (  # noqa: E402
    FeedParseError,
    ParsedFeed,
    parse_feed_traced,
    parse_with_feedparser,
)

CORPUS = Path(
    os.environ.get("FEEDPARSER_TESTS") or ROOT / ".." / "shared" / "corpora" / "feedparser-tests"
).resolve()
ENTRY_FIELDS = ("title", "link", "guid", "published", "summary", "content", "author", "tags")
_CONTENT_TYPE = re.compile(rb"^Header:\s*Content-type:\s*(.+?)\s*$", re.I | re.M)


def _content_type(body: bytes) -> str | None:
    head = body[:2000]
    match = _CONTENT_TYPE.search(head) if head.lstrip().startswith((b"<!--", b"<?xml")) else None
    return match.group(1).decode("latin-1") if match else None


def _outcome(parse: object) -> ParsedFeed | str:
    try:
        return parse()  # type: ignore[operator,no-any-return]
    except FeedParseError as exc:
        return f"refused: {exc}"


def compare(ours: ParsedFeed | str, ref: ParsedFeed | str) -> list[str]:
    """Every difference on the fields feedwatch uses, one line each."""
    if isinstance(ours, str) or isinstance(ref, str):
        return [] if ours == ref else [f"outcome: ours={ours!r:.120} ref={ref!r:.120}"]
    diffs = []
    for name in ("title", "ttl_seconds", "warning"):
        a, b = getattr(ours, name), getattr(ref, name)
        if a != b:
            diffs.append(f"feed.{name}: ours={a!r:.120} ref={b!r:.120}")
    if len(ours.entries) != len(ref.entries):
        diffs.append(f"entries: ours={len(ours.entries)} ref={len(ref.entries)}")
    for i, (a, b) in enumerate(zip(ours.entries, ref.entries, strict=False)):
        for name in ENTRY_FIELDS:
            x, y = getattr(a, name), getattr(b, name)
            if x != y:
                diffs.append(f"entries[{i}].{name}: ours={x!r:.120} ref={y!r:.120}")
    return diffs


def html_snippets(files: list[Path]) -> list[str]:
    """Every text in the corpus that holds markup or references, as an lxml tree gives it."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    found: list[str] = []
    for path in files:
        try:
            root = etree.fromstring(path.read_bytes(), parser)
        except (etree.XMLSyntaxError, ValueError):
            continue
        if root is None:
            continue
        for node in root.iter():
            for text in (node.text, node.tail):
                if text and ("<" in text or "&" in text):
                    found.append(text.strip())
    return found


def check_html_rewrite(files: list[Path]) -> tuple[int, list[str]]:
    """feedparser_html against feedparser's own resolver, on every corpus snippet."""
    from feedparser.urls import resolve_relative_uris

    from service.adapters.fast_feed_parser import feedparser_html

    snippets = html_snippets(files)
    bad = []
    for text in snippets:
        ours = feedparser_html(text)
        ref = resolve_relative_uris(text, "", None, "text/html")
        if ours != ref:
            bad.append(f"{text!r:.100}: ours={ours!r:.100} ref={ref!r:.100}")
    return len(snippets), bad


def check_pending(body: bytes, ctype: str | None) -> list[str]:
    """Where the fast path reads a feed, the pending reading (keys first, text on
    demand) must give the same keys and, read, the same entries."""
    try:
        title, entries, ttl = parse_fast(body, "conformance", ctype)
    except Declined:
        return []
    try:
        head, pending, pending_ttl = parse_fast_pending(body, "conformance", ctype)
    except Declined as exc:
        return [f"pending reading declined: {exc}"]
    if (head, pending_ttl, len(pending)) != (title, ttl, len(entries)):
        return ["pending reading: another title, ttl or entry count"]
    problems = []
    for i, (entry, item) in enumerate(zip(entries, pending, strict=True)):
        if item.key is not None and item.key != entry.key():
            problems.append(f"entry {i}: key {item.key!r:.60} != {entry.key()!r:.60}")
        elif item.read() != entry:
            problems.append(f"entry {i}: read differently")
    return problems


def main() -> int:
    verbose = "-v" in sys.argv
    if not CORPUS.is_dir():
        print(f"skipped: corpus not found at {CORPUS}")
        print(json.dumps({"skipped": True, "corpus": str(CORPUS)}))
        return 0
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    fast = 0
    disagreements: dict[str, list[str]] = {}
    reasons: dict[str, int] = {}
    start = time.perf_counter()
    for path in files:
        body = path.read_bytes()
        ctype = _content_type(body)
        declined: str | None = "refused"
        try:
            ours_feed, declined = parse_feed_traced(body, "conformance", ctype)
            ours: ParsedFeed | str = ours_feed
        except FeedParseError as exc:
            ours = f"refused: {exc}"
        ref = _outcome(lambda b=body, c=ctype: parse_with_feedparser(b, "conformance", c))
        if declined is None:
            fast += 1
        else:
            key = re.sub(r"'[^']*'|\d+", "…", declined)[:60]
            reasons[key] = reasons.get(key, 0) + 1
        diffs = compare(ours, ref) + check_pending(body, ctype)
        if diffs:
            disagreements[str(path.relative_to(CORPUS))] = diffs
    snippets, html_bad = check_html_rewrite(files)
    elapsed = time.perf_counter() - start
    print(f"corpus: {CORPUS}")
    print(f"files: {len(files)}  fast path: {fast}  feedparser fallback: {len(files) - fast}")
    if verbose:
        for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
            print(f"  declined {count:5}  {reason}")
    print(f"files with disagreements: {len(disagreements)}")
    for name, diffs in disagreements.items():
        print(f"  {name}")
        for diff in diffs:
            print(f"      {diff}")
    print(f"html rewrite: {snippets} corpus snippets, {len(html_bad)} differ from feedparser's")
    for line in html_bad:
        print(f"  {line}")
    print(
        json.dumps(
            {
                "files": len(files),
                "fast_path": fast,
                "disagreements": len(disagreements),
                "html_snippets": snippets,
                "html_rewrite_disagreements": len(html_bad),
                "seconds": round(elapsed, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
