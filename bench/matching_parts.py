"""Where a story's matching time goes at 10,000 rules, and what it would be if
testing candidates and finding the terms of matches cost nothing.

Uses bench/matching.py's rules and stories (same seed). Every word is known to
the rule set first (one untimed pass), so this times steady state. Each figure
is the best of `--repeats` passes over all stories, in CPU time:

- all: `RuleSet.match`, plus the snippets the pipeline reads (first match per
  destination), as bench/matching.py times it;
- reading: a story read (cleaned, tokenised, each distinct word looked up,
  compounds found);
- reading + candidates: that, and the candidate rules chosen;
- no tests, no terms: reading, candidates and the same snippets, with no
  candidate tested and no match's terms found (the floor for this design).

The ratio is the floor's rate against the whole's. It reaches into the engine's
private parts (`_Story`, `_candidates`, `_excerpt`) on purpose: they are what
is being timed. Last line: one JSON object.

Run: .venv/bin/python bench/matching_parts.py [--stories 2000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable

from matching import alert_snippets, make_rules, make_stories, make_vocabulary

from service.core import rules as engine
from service.core.rules import Document
from service.long_lived import freeze_long_lived


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(20261125)
    content, entities, acronyms = make_vocabulary(rng, 5000)
    stories = make_stories(args.stories, rng, content, entities, acronyms)
    ruleset = engine.compile_rules(make_rules(10_000, rng, content, entities, acronyms))
    freeze_long_lived()
    by_name = {rule.name: rule for rule in ruleset._rules}
    read: list[list[str]] = []  # per story: the rules whose snippet the pipeline reads
    for doc in stories:
        first: dict[str, str] = {}
        for match in ruleset.match(doc):
            for destination in match.destinations:
                first.setdefault(destination, match.rule)
        read.append(sorted(set(first.values())))

    def whole(doc: Document, _: list[str]) -> None:
        alert_snippets(ruleset.match(doc))

    def reading(doc: Document, _: list[str]) -> None:
        engine._Story(ruleset, doc)

    def candidates(doc: Document, _: list[str]) -> None:
        ruleset._candidates(engine._Story(ruleset, doc))

    def floor(doc: Document, names: list[str]) -> None:
        story = engine._Story(ruleset, doc)
        ruleset._candidates(story)
        for name in names:
            engine._excerpt(by_name[name].root, story, False)

    def ms_per_story(part: Callable[[Document, list[str]], None]) -> float:
        best = float("inf")
        for _ in range(args.repeats):
            started = time.process_time()
            for doc, names in zip(stories, read, strict=True):
                part(doc, names)
            best = min(best, time.process_time() - started)
        return best / len(stories) * 1e3

    figures = {
        "ms_all": ms_per_story(whole),
        "ms_reading": ms_per_story(reading),
        "ms_reading_candidates": ms_per_story(candidates),
        "ms_no_tests_no_terms": ms_per_story(floor),
    }
    for key, label in (
        ("ms_all", "all (match and the snippets read)"),
        ("ms_reading", "reading the story"),
        ("ms_reading_candidates", "reading + choosing candidates"),
        ("ms_no_tests_no_terms", "no tests, no terms (floor)"),
    ):
        print(f"{label:36s} {figures[key]:6.3f} ms a story  {1e3 / figures[key]:7.0f} stories/s")
    ratio = figures["ms_all"] / figures["ms_no_tests_no_terms"]
    print(f"the floor is {ratio:.2f}x the whole's rate")
    figures = {k: round(v, 3) for k, v in figures.items()}
    figures["stories_per_s_floor"] = round(1e3 / figures["ms_no_tests_no_terms"], 1)
    figures["floor_ratio_vs_all"] = round(ratio, 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
