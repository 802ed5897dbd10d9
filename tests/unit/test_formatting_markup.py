"""Cleaning, escaping, highlighting and cutting text for each markup."""

from __future__ import annotations

import re

import pytest

from service.core.formatting.markup import (
    ELLIPSIS,
    clean,
    clusters,
    escape_discord,
    escape_plain,
    escape_slack,
    find_highlights,
    join_limited,
    one_line,
    render,
    safe_url,
    units,
)


def test_astral_characters_count_twice_like_javascript() -> None:
    assert units("a") == 1
    assert units("Ж") == 1
    assert units("👍") == 2
    assert units("👍🏽") == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("e\u0301", ["e\u0301"]),
        ("👩\u200d👩\u200d👧", ["👩\u200d👩\u200d👧"]),
        ("🇺🇦🇩🇪", ["🇺🇦", "🇩🇪"]),
        ("👍🏽x", ["👍🏽", "x"]),
        ("❤\ufe0f!", ["❤\ufe0f", "!"]),
        ("\u1100\u1161\u11a8", ["\u1100\u1161\u11a8"]),
        ("Дом", ["Д", "о", "м"]),
    ],
    ids=["combining", "zwj_family", "two_flags", "skin_tone", "variation", "jamo", "cyrillic"],
)
def test_clusters_keep_what_a_reader_sees_as_one_character(text: str, expected: list[str]) -> None:
    assert [text[a:b] for a, b in clusters(text)] == expected


def test_clean_drops_controls_and_bidi_overrides_and_replaces_lone_surrogates() -> None:
    assert clean("a\x00b\x1b[31mc\r\nd\te\u202ef\ud800") == "ab[31mc\nd\tef\ufffd"


def test_one_line_folds_every_whitespace_run() -> None:
    assert one_line("  a \n\n b\t c  ") == "a b c"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a & b", "a &amp; b"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("&amp;", "&amp;amp;"),
        ("*not* _escaped_", "*not* _escaped_"),
    ],
    ids=["ampersand", "broadcast", "entity_literal", "mrkdwn_emphasis_left_alone"],
)
def test_slack_escaping(text: str, expected: str) -> None:
    assert render(text, 1000, escaper=escape_slack) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*b* _i_ ~s~ `c` |sp|", r"\*b\* \_i\_ \~s\~ \`c\` \|sp\|"),
        ("[x](http://e)", r"\[x\](http://e)"),
        ("<@123> <#1> <t:1>", r"\<@123\> \<#1\> \<t:1\>"),
        ("# head\n- item\n> quote", "\\# head\n\\- item\n\\> quote"),
        ("  - indented", r"  \- indented"),
        ("2024. A year", r"2024\. A year"),
        ("cease-fire #1 a > b 3.5", r"cease-fire #1 a \> b 3.5"),
        ("back\\slash", r"back\\slash"),
        ("see https://e.com/a_b*c and _x_", r"see https://e.com/a_b*c and \_x\_"),
        ("<https://e.com/a_b>", r"\<https://e.com/a_b\>"),
    ],
    ids=[
        "emphasis",
        "masked_link",
        "mentions",
        "line_starts",
        "indented_list",
        "ordered_list",
        "mid_line_is_literal",
        "backslash",
        "bare_url_left_alone",
        "bracketed_url",
    ],
)
def test_discord_escaping(text: str, expected: str) -> None:
    assert render(text, 1000, escaper=escape_discord) == expected


@pytest.mark.parametrize("limit", range(1, 40))
def test_cut_never_splits_an_entity(limit: int) -> None:
    out = render("&<>" * 20, limit, escaper=escape_slack)
    assert units(out) <= limit
    body = out.removesuffix(ELLIPSIS)
    assert re.fullmatch(r"(&amp;|&lt;|&gt;)*", body)


@pytest.mark.parametrize("limit", range(1, 40))
def test_cut_never_splits_a_discord_escape(limit: int) -> None:
    out = render("*_" * 30, limit, escaper=escape_discord)
    assert units(out) <= limit
    assert re.fullmatch(r"(\\\*|\\_)*", out.removesuffix(ELLIPSIS))


@pytest.mark.parametrize("limit", range(1, 60))
def test_cut_never_splits_a_grapheme_cluster(limit: int) -> None:
    text = "👩\u200d👩\u200d👧🇺🇦e\u0301👍🏽" * 5
    out = render(text, limit).removesuffix(ELLIPSIS)
    assert units(out) <= limit
    whole = [text[a:b] for a, b in clusters(text)]
    assert [out[a:b] for a, b in clusters(out)] == whole[: len(clusters(out))]


def test_cut_prefers_a_word_boundary_and_ends_with_an_ellipsis() -> None:
    out = render("alpha beta gamma delta epsilon", 20)
    assert out == "alpha beta gamma" + ELLIPSIS


def test_a_single_huge_word_is_cut_mid_word() -> None:
    out = render("x" * 100, 10)
    assert out == "x" * 9 + ELLIPSIS


def test_text_within_the_limit_is_untouched() -> None:
    assert render("short", 5) == "short"


@pytest.mark.parametrize("limit", range(1, 80))
def test_highlights_stay_balanced_at_every_cut(limit: int) -> None:
    text = "the ceasefire holds and the ceasefire talks go on"
    spans = find_highlights(text, ["ceasefire"])
    out = render(text, limit, highlights=spans, bold=("**", "**"))
    assert units(out) <= limit
    assert out.count("**") % 2 == 0
    assert "****" not in out


def test_highlights_mark_matched_terms_as_whole_words_ignoring_case() -> None:
    text = "NATO and nato, but not NATOs or senatorial; cease  fire too"
    spans = find_highlights(text, ["nato", "cease fire"])
    assert [text[a:b] for a, b in spans] == ["NATO", "nato", "cease  fire"]
    assert render(text, 1000, highlights=spans, bold=("*", "*")).startswith("*NATO* and *nato*,")


def test_highlights_are_ignored_without_bold_markers() -> None:
    assert render("a NATO b", 100, highlights=[(2, 6)]) == "a NATO b"


def test_overlapping_and_out_of_range_highlights_are_merged_and_clipped() -> None:
    out = render("abcdef", 100, highlights=[(1, 3), (2, 4), (5, 99), (-5, 0)], bold=("[", "]"))
    assert out == "a[bcd]e[f]"


def test_escaper_renders_each_cluster_once() -> None:
    assert escape_plain(["a", "\x00"]) == ["a", ""]
    assert escape_slack(["&"]) == ["&amp;"]


@pytest.mark.parametrize(
    ("items", "limit", "expected"),
    [
        (["a", "b", "c"], 100, "a, b, c"),
        (["aaaa", "bbbb", "cccc"], 14, "aaaa, +2 more"),
        (["x" * 50] * 3, 8, "+3 more"),
        ([], 10, ""),
        (["a\nb"], 10, "a b"),
    ],
    ids=["all_fit", "some_fit", "none_fit", "empty", "one_line_each"],
)
def test_join_limited(items: list[str], limit: int, expected: str) -> None:
    assert join_limited(items, limit) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://e.com/a?b=1&c=2", "https://e.com/a?b=1&c=2"),
        ("HTTP://e.com/", "HTTP://e.com/"),
        ("https://e.com/a b|c<d>", "https://e.com/a%20b%7Cc%3Cd%3E"),
        ("javascript:alert(1)", None),
        ("ftp://e.com/x", None),
        ("https:///path", None),
        ("//e.com/x", None),
        ("", None),
        (None, None),
        ("https://e.com/" + "a" * 100, None),
    ],
    ids=[
        "plain",
        "upper_scheme",
        "unsafe_characters_encoded",
        "javascript",
        "ftp",
        "no_host",
        "scheme_relative",
        "empty",
        "none",
        "too_long",
    ],
)
def test_safe_url(url: str | None, expected: str | None) -> None:
    assert safe_url(url, 60) == expected


def test_a_multi_word_term_is_one_bold_run() -> None:
    text = "a cease fire b"
    spans = find_highlights(text, ["cease fire"])
    assert render(text, 100, highlights=spans, bold=("*", "*")) == "a *cease fire* b"


@pytest.mark.parametrize("limit", range(10, 16))
def test_a_cut_inside_a_multi_word_term_closes_bold_before_the_space(limit: int) -> None:
    text = "a cease fire b c"
    out = render(text, limit, highlights=find_highlights(text, ["cease fire"]), bold=("*", "*"))
    assert units(out) <= limit
    assert out in ("a *cease*…", "a *cease fire*…", "a *cease fire* b…")
