"""Near-duplicate identity on the body: the pure rule the Redis script applies."""

from __future__ import annotations

from service.core.boilerplate import strip_boilerplate
from service.core.entries import Entry
from service.core.minhash import fold_spelling
from service.core.story_identity import (
    StoryPrint,
    Thresholds,
    same_story,
    similarity,
    story_print,
)
from service.core.text import plain_text
from tests.unit import stories


def _print(body: str, link: str = "https://example.com/a") -> StoryPrint:
    entry = Entry("feed", None, link, "title", content=body)
    return story_print(entry, strip_boilerplate(plain_text(entry.body)).text)


def test_copy_with_syndication_footer_is_same_story() -> None:
    original = _print("\n".join(stories.ORIGINAL[1:]), "https://www.rt.com/news/1")
    copy = _print("\n".join([*stories.ORIGINAL[1:], stories.FOOTER]), "https://ussanews.com/2")
    assert same_story(original, copy, Thresholds())
    assert similarity(original, copy) > 0.95


def test_summary_only_copy_is_same_story_as_full_text() -> None:
    full = _print("\n".join(stories.ORIGINAL[1:]))
    summary = _print(stories.ORIGINAL[1] + " " + stories.ORIGINAL[2][:90] + " …")
    assert same_story(summary, full, Thresholds())
    assert same_story(full, summary, Thresholds())


def test_distinct_articles_sharing_a_long_quote_are_two_stories() -> None:
    assert len(stories.QUOTE.split()) >= 60
    a = _print("\n".join(stories.QUOTED_A))
    b = _print("\n".join(stories.QUOTED_B))
    assert not same_story(a, b, Thresholds())


def test_british_and_american_spellings_fold_alike() -> None:
    pairs = [
        ("organisation", "organization"),
        ("defence", "defense"),
        ("centre", "center"),
        ("neighbouring", "neighboring"),
        ("travelled", "traveled"),
        ("analysed", "analyzed"),
    ]
    for uk, us in pairs:
        assert fold_spelling(uk) == fold_spelling(us)


def test_cyrillic_copy_with_dateline_is_same_story() -> None:
    original = _print("\n".join(stories.CYRILLIC))
    copy = _print("МУРМАНСК, 25 ноября. /ТАСС/. " + "\n".join(stories.CYRILLIC[:-1]))
    assert same_story(original, copy, Thresholds())


def test_unrelated_articles_are_two_stories() -> None:
    assert not same_story(
        _print("\n".join(stories.CYRILLIC)), _print("\n".join(stories.QUOTED_A)), Thresholds()
    )


def test_bottom_cut_copy_is_same_story() -> None:
    full = _print("\n".join(stories.ORIGINAL[1:]))
    cut = _print("\n".join(stories.ORIGINAL[1:5]))
    assert similarity(full, cut) < Thresholds().jaccard
    assert same_story(full, cut, Thresholds())


def test_short_item_made_of_a_shared_quote_stays_apart() -> None:
    # an item whose body is mostly the quote, under its own lede
    item = _print(
        "Farm groups in Mykolaiv said on Friday they would keep their protest going. "
        f"Their leaders read out the minister's words: {stories.QUOTE}"
    )
    assert not same_story(item, _print("\n".join(stories.QUOTED_A)), Thresholds())


def test_copy_edited_for_another_market_is_same_story() -> None:
    original = "\n".join(stories.QUOTED_A)
    edited = (
        original.replace("rejected", "turned down")
        .replace("several", "a number of")
        .replace("repeatedly", "")
        .replace("has been", "was")
    )
    assert same_story(_print(original), _print(edited), Thresholds())


def test_entries_too_short_to_compare_are_not_matched_by_body() -> None:
    assert not same_story(_print("Breaking news."), _print("Breaking news."), Thresholds())
