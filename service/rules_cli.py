"""`feedwatch rules test QUERY --text T`: try a query against a text."""

from __future__ import annotations

import argparse
from pathlib import Path

from service.core.rules import Document, QueryError, RuleSpec, compile_rules


def rules_test_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="feedwatch rules")
    sub = parser.add_subparsers(dest="action", required=True)
    test = sub.add_parser("test")
    test.add_argument("query")
    source = test.add_mutually_exclusive_group(required=True)
    source.add_argument("--text")
    source.add_argument("--file", type=Path)
    test.add_argument("--title", default="")
    args = parser.parse_args(argv)
    try:
        rules = compile_rules([RuleSpec("query", args.query, ("-",))])
    except QueryError as exc:
        print(f"bad query: {exc}")
        return 2
    text = args.text if args.text is not None else args.file.read_text(encoding="utf-8")
    matches = rules.match(Document(title=args.title, body=text))
    if not matches:
        print("no match")
        return 1
    print(f"match: {', '.join(matches[0].terms)}\n  {matches[0].snippet}")
    return 0
