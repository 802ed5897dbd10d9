"""Rule matching throughput: the term-indexed RuleSet against one regex per rule.

Generates rules of realistic shape (terms, phrases, OR-lists, some NOT, proximity,
wildcards, fields, case-sensitive acronyms, some stemmed) and stories of 300-1,000
words of HTML, then times at 100, 1,000 and 10,000 rules what the pipeline does
with each story: `RuleSet.match`, and the snippet and highlights of the first
match per destination (service/pipeline/processing.py reads no others; a Match
makes its snippet when first read). At 10,000 rules it also times reading every
match's snippet. The naive baseline (one compiled regular expression per rule,
tried on every story) runs in the same process; it is slow at 10,000 rules, so
it runs on a subset of the stories and is extrapolated per story (printed as such).
Both sides freeze what they compiled out of the garbage collector's sight, as the
service does after each config load (service/long_lived.py).

`--names` sets how many distinct entity names stories mention and rules name:
5,000 by default (the original rule set, which matches about 80 rules per story
at 10,000 rules); 50,000 is nearer real news. Both are reported in docs/rules.md.

Run: .venv/bin/python bench/matching.py [--stories 2000] [--baseline-stories 50] [--names 5000]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import time

from service.core.query_language import And, Node, Not, Or, Outlet, Tag, Text, parse_query
from service.core.rules import Document, Match, RuleSpec, compile_rules
from service.core.text import plain_text
from service.long_lived import freeze_long_lived

FUNCTION_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "on",
    "was",
    "with",
    "as",
    "by",
    "at",
    "from",
    "it",
    "his",
    "her",
    "said",
    "be",
    "are",
    "has",
    "have",
    "had",
    "were",
    "not",
    "but",
    "this",
    "which",
    "an",
    "or",
    "they",
    "will",
    "its",
    "their",
    "after",
    "been",
    "would",
    "who",
    "more",
    "also",
    "than",
    "when",
    "about",
    "into",
    "over",
    "two",
    "one",
    "new",
    "year",
    "first",
    "last",
    "up",
    "out",
    "could",
    "there",
    "some",
    "other",
    "what",
    "all",
    "can",
    "no",
    "only",
    "while",
    "them",
    "those",
    "such",
    "under",
    "between",
    "during",
    "against",
    "because",
    "before",
    "where",
    "since",
    "so",
    "then",
    "both",
    "three",
    "many",
    "most",
    "through",
    "told",
]
SYLLABLES = [
    "ba",
    "be",
    "bi",
    "bo",
    "bu",
    "ca",
    "ce",
    "co",
    "cu",
    "da",
    "de",
    "di",
    "do",
    "du",
    "fa",
    "fe",
    "fi",
    "fo",
    "ga",
    "ge",
    "go",
    "ha",
    "he",
    "hi",
    "ho",
    "ka",
    "ke",
    "la",
    "le",
    "li",
    "lo",
    "lu",
    "ma",
    "me",
    "mi",
    "mo",
    "mu",
    "na",
    "ne",
    "ni",
    "no",
    "nu",
    "pa",
    "pe",
    "pi",
    "po",
    "pu",
    "ra",
    "re",
    "ri",
    "ro",
    "ru",
    "sa",
    "se",
    "si",
    "so",
    "su",
    "ta",
    "te",
    "ti",
    "to",
    "tu",
    "va",
    "ve",
    "vi",
    "vo",
    "za",
    "ze",
    "zo",
    "ar",
    "er",
    "in",
    "on",
    "an",
    "en",
    "or",
    "ul",
    "st",
    "tr",
    "pr",
    "str",
]


def make_vocabulary(
    rng: random.Random, names: int = 5000
) -> tuple[list[str], list[str], list[str]]:
    words: set[str] = set()
    while len(words) < 60_000 + names:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    content = sorted(words)
    rng.shuffle(content)
    entities = [w.capitalize() for w in content[:names]]
    acronyms: set[str] = set()
    while len(acronyms) < 200:
        acronyms.add("".join(rng.choice("ABCDEFGHIKLMNOPRSTUVW") for _ in range(rng.randint(3, 4))))
    return content[names:], entities, sorted(acronyms)


class Sampler:
    """Zipf-like sampling over a ranked list."""

    def __init__(self, items: list[str], rng: random.Random, exponent: float = 1.05) -> None:
        self.items = items
        self.rng = rng
        weights = [1 / (r + 1) ** exponent for r in range(len(items))]
        total = 0.0
        self.cumulative: list[float] = []
        for w in weights:
            total += w
            self.cumulative.append(total)

    def __call__(self) -> str:
        import bisect

        x = self.rng.random() * self.cumulative[-1]
        return self.items[min(bisect.bisect_left(self.cumulative, x), len(self.items) - 1)]


def make_stories(
    n: int, rng: random.Random, content: list[str], entities: list[str], acronyms: list[str]
) -> list[Document]:
    words = Sampler(content, rng)
    names = Sampler(entities, rng)
    acro = Sampler(acronyms, rng)
    stories: list[Document] = []
    for i in range(n):
        target = rng.randint(300, 1000)
        paragraphs: list[str] = []
        count = 0
        while count < target:
            sentences: list[str] = []
            for _ in range(rng.randint(2, 5)):
                parts: list[str] = []
                for _ in range(rng.randint(8, 25)):
                    x = rng.random()
                    if x < 0.45:
                        parts.append(rng.choice(FUNCTION_WORDS))
                    elif x < 0.55:
                        parts.append(names() + ("’s" if rng.random() < 0.1 else ""))
                    elif x < 0.58:
                        parts.append(acro())
                    elif x < 0.60:
                        parts.append(words() + "-" + words())
                    else:
                        w = words()
                        parts.append(w + "s" if rng.random() < 0.2 else w)
                count += len(parts)
                sentence = " ".join(parts)
                if rng.random() < 0.2:
                    sentence = sentence.replace(" ", " “", 1) + "”"
                sentences.append(sentence[0].upper() + sentence[1:] + ".")
            body = " ".join(sentences)
            if rng.random() < 0.2:
                body = body.replace(" and ", " &amp; ", 1)
            paragraphs.append(f"<p>{body}</p>")
        title = " ".join([names(), words(), words(), acro(), words()])
        stories.append(
            Document(
                title=title,
                body="\n".join(paragraphs),
                outlet=rng.choice(["rt.com", "bbc.co.uk", "reuters.com", "example.org"]),
                feed_id=f"feed-{i % 40}",
                tags=(rng.choice(["wire", "world", "local"]),),
            )
        )
    return stories


DESTINATIONS = ("ops", "press", "legal", "board")


def make_rules(
    n: int, rng: random.Random, content: list[str], entities: list[str], acronyms: list[str]
) -> list[RuleSpec]:
    def topic() -> str:
        # Users pick topical words: mid to rare frequency, log-uniform over ranks.
        rank = int(math.exp(rng.uniform(math.log(1000), math.log(len(content) - 1))))
        return content[rank]

    def name() -> str:
        return entities[int(math.exp(rng.uniform(math.log(100), math.log(len(entities) - 1))))]

    def term() -> str:
        x = rng.random()
        if x < 0.6:
            return topic()
        if x < 0.85:
            return name()
        return f'"{name()} {topic()}"'

    specs: list[RuleSpec] = []
    for i in range(n):
        x = rng.random()
        if x < 0.28:
            q = term()
        elif x < 0.43:
            q = f'"{name()} {name()}"'
        elif x < 0.63:
            q = " OR ".join(term() for _ in range(rng.randint(2, 5)))
        elif x < 0.73:
            q = f"{term()} {term()}"
        elif x < 0.81:
            q = f"({term()} OR {term()}) NOT {topic()}"
        elif x < 0.86:
            q = f'"{name()} {topic()}"~{rng.randint(3, 10)}'
        elif x < 0.91:
            q = f"{topic()[:5]}* AND {name()}"
        elif x < 0.95:
            q = f"title:{name()} AND NOT body:{topic()}"
        else:
            q = f"case:{rng.choice(acronyms)} {topic()}"
        specs.append(
            RuleSpec(
                name=f"rule-{i}",
                query=q,
                notify=(DESTINATIONS[i % len(DESTINATIONS)],),
                feeds=(f"feed-{rng.randrange(40)}",) if rng.random() < 0.05 else (),
                stem=rng.random() < 0.1,
            )
        )
    return specs


# ---- the naive baseline: one regular expression per rule -----------------------


def _regex(node: Node) -> str:
    if isinstance(node, Text):
        words = [re.escape(w) for w in node.words]
        if node.prefix:
            return rf"\b{words[0]}\w*"
        if node.slop is not None:
            gap = rf"(?:\W+\w+){{0,{node.slop}}}\W+"
            return r"\b" + gap.join(words) + r"\b"
        return r"\b" + r"\W+".join(words) + r"\b"
    if isinstance(node, Outlet | Tag):
        return r"(?:)"
    if isinstance(node, Not):
        return rf"(?![\s\S]*?{_regex(node.child)})"
    if isinstance(node, Or):
        return "(?:" + "|".join(_regex(c) for c in node.children) + ")"
    assert isinstance(node, And)
    return "".join(
        _regex(c) if isinstance(c, Not) else rf"(?=[\s\S]*?{_regex(c)})" for c in node.children
    )


def baseline_patterns(specs: list[RuleSpec]) -> list[re.Pattern[str]]:
    patterns = []
    for spec in specs:
        tree = parse_query(spec.query)
        body = _regex(tree)
        if not isinstance(tree, And | Not):
            body = rf"(?=[\s\S]*?{body})"
        patterns.append(re.compile(body, re.IGNORECASE))
    return patterns


class Clock:
    """CPU seconds of this process (what one core gives on a shared machine) and wall."""

    def __enter__(self) -> Clock:
        self.cpu0, self.wall0 = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu = time.process_time() - self.cpu0
        self.wall = time.perf_counter() - self.wall0


def alert_snippets(matches: list[Match], every: bool = False) -> int:
    """Read the snippets an alert pipeline reads: one per destination, the first
    match's (as service/pipeline/processing.py groups them); or, with `every`,
    every match's. Returns the characters read, so no read is optimised away."""
    seen: set[str] = set()
    read = 0
    for match in matches:
        if every or not seen.issuperset(match.destinations):
            seen.update(match.destinations)
            read += len(match.snippet) + len(match.highlights)
    return read


def time_engine(
    specs: list[RuleSpec], stories: list[Document], every_snippet: bool = False
) -> tuple[Clock, int, float]:
    t0 = time.perf_counter()
    rules = compile_rules(specs)
    compile_s = time.perf_counter() - t0
    freeze_long_lived()  # as the service does once its config is loaded
    for doc in stories[:50]:  # warm the per-word caches, as a running service has
        alert_snippets(rules.match(doc))
    matched = 0
    with Clock() as clock:
        for doc in stories:
            matches = rules.match(doc)
            alert_snippets(matches, every_snippet)
            matched += len(matches)
    return clock, matched, compile_s


def time_baseline(specs: list[RuleSpec], stories: list[Document]) -> Clock:
    patterns = baseline_patterns(specs)
    freeze_long_lived()
    with Clock() as clock:
        for doc in stories:
            text = doc.title + "\n" + plain_text(doc.body)
            for pattern in patterns:
                pattern.match(text)
    return clock


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stories", type=int, default=2000)
    ap.add_argument("--baseline-stories", type=int, default=50)
    ap.add_argument(
        "--names",
        type=int,
        default=5000,
        help="distinct entity names stories mention and rules name (default 5000, the "
        "original rule set; 50000 is nearer real news, where far more names occur)",
    )
    args = ap.parse_args()
    rng = random.Random(20261125)
    content, entities, acronyms = make_vocabulary(rng, args.names)
    print(
        f"vocabulary: {len(content)} topic words, {len(entities)} entity names "
        f"({'the original rule set' if args.names == 5000 else 'NOT the default rule set'})"
    )
    print(
        "timed: RuleSet.match on each story, plus the snippet and highlights of the first "
        f"match per destination ({len(DESTINATIONS)} destinations), as the pipeline reads them"
    )
    stories = make_stories(args.stories, rng, content, entities, acronyms)
    all_specs = make_rules(10_000, rng, content, entities, acronyms)
    words = [len(plain_text(d.body).split()) for d in stories]
    print(
        f"{len(stories)} stories, {min(words)}-{max(words)} words (mean {sum(words) // len(words)})"
    )

    figures: dict[str, float] = {}
    for n in (100, 1_000, 10_000):
        specs = all_specs[:n]
        clock, matched, compile_s = time_engine(specs, stories)
        rate, wall_rate = len(stories) / clock.cpu, len(stories) / clock.wall
        sample = stories[: args.baseline_stories] if n == 10_000 else stories[:200]
        base_clock = time_baseline(specs, sample)
        base = len(sample) / base_clock.cpu
        ratio = rate / base
        rules = compile_rules(specs)
        cands = sum(len(rules.candidates(d)) for d in stories[:200]) / 200
        print(
            f"{n:>6} rules: compiled in {compile_s:.2f} s; {cands:.0f} candidate rules and "
            f"{matched / len(stories):.1f} matches per story"
        )
        print(
            f"        indexed: {rate:7.0f} stories/s per CPU-second "
            f"({wall_rate:.0f}/s wall clock on this shared machine)"
        )
        print(
            f"        regex baseline: {base:7.2f} stories/s per CPU-second, timed on "
            f"{len(sample)} stories and extrapolated per story; ratio {ratio:.0f}x"
        )
        if n == 10_000:
            every, _, _ = time_engine(specs, stories, every_snippet=True)
            print(
                f"        reading every match's snippet too: {len(stories) / every.cpu:7.0f} "
                "stories/s per CPU-second"
            )
        figures[f"stories_per_s_{n}"] = round(rate, 1)
        if n == 10_000:
            figures["ratio_vs_regex_10000"] = round(ratio, 1)
    print(
        json.dumps(
            {
                "stories_per_s_10000": figures["stories_per_s_10000"],
                "ratio_vs_regex_10000": figures["ratio_vs_regex_10000"],
                "stories_per_s_1000": figures["stories_per_s_1000"],
                "stories_per_s_100": figures["stories_per_s_100"],
            }
        )
    )


if __name__ == "__main__":
    main()
