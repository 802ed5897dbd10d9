"""What each query matches: one table of (query, story, expected) cases.

Every case is named by the behaviour it proves; a story is the body text unless
the case gives a title (`title=`), outlet or tags through `Doc`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from service.core.rules import Document, RuleSpec, compile_rules


@dataclass(frozen=True)
class Case:
    id: str
    query: str
    body: str
    expected: bool
    title: str = ""
    stem: bool = False
    outlet: str | None = None
    tags: tuple[str, ...] = ()
    language: str = "english"


CASES = [
    # whole words, Unicode-aware
    Case("acronym_matches_itself", "NATO", "NATO leaders met today.", True),
    Case("acronym_matches_title_case", "NATO", "Nato leaders met today.", True),
    Case("acronym_matches_possessive", "NATO", "NATO's chief spoke.", True),
    Case("acronym_matches_typographic_possessive", "NATO", "NATO’s chief spoke.", True),
    Case("plural_possessive_matches", "student", "The students' union met.", True),
    Case("word_inside_senator_is_no_match", "NATO", "The senator spoke.", False),
    Case("word_inside_donato_is_no_match", "NATO", "Gianni Donato spoke.", False),
    Case("cyrillic_acronym_matches", "НАТО", "Саммит НАТО прошёл в Вильнюсе.", True),
    Case("cyrillic_acronym_inside_word_is_no_match", "НАТО", "Слово СЕНАТОР здесь.", False),
    Case("cyrillic_term_case_insensitive", "нато", "Саммит НАТО прошёл.", True),
    Case("accented_word_matches", "Zürich", "Talks in zürich resumed.", True),
    Case("digits_are_words", "G7", "The G7 summit opened.", True),
    # compounds and plurals
    Case("ceasefire_matches_ceasefire", "ceasefire", "A ceasefire was agreed.", True),
    Case("ceasefire_matches_hyphenated", "ceasefire", "A cease-fire was agreed.", True),
    Case("ceasefire_matches_two_words", "ceasefire", "A cease fire was agreed.", True),
    Case("ceasefire_matches_plural", "ceasefire", "Several ceasefires collapsed.", True),
    Case("ceasefire_matches_hyphenated_plural", "ceasefire", "Both cease-fires held.", True),
    Case("ceasefire_matches_two_word_plural", "ceasefire", "Both cease fires held.", True),
    Case("ceasefire_matches_unicode_hyphen", "ceasefire", "A cease\u2010fire held.", True),
    Case("ceasefire_matches_across_line_break", "ceasefire", "A cease\nfire held.", True),
    Case("hyphenated_query_matches_closed_form", '"cease-fire"', "The ceasefire held.", True),
    Case("hyphenated_query_matches_two_words", "cease-fire", "The cease fire held.", True),
    Case("plural_query_matches_singular", "sanctions", "A new sanction was imposed.", True),
    Case("ies_plural_folds_to_y", "country", "Many countries voted.", True),
    Case("sibilant_plural_folds", "church", "Two churches burned.", True),
    Case("news_is_not_a_plural_of_new", "new", "The news broke.", False),
    Case("short_words_never_join", "therapist", "He called the rapist a liar.", False),
    Case("unrelated_neighbours_do_not_join", "firework", "The fire worked.", False),
    # phrases across markup, entities, quotes
    Case("phrase_matches", '"White House"', "The White House said.", True),
    Case("phrase_matches_across_line_break", '"White House"', "The White\nHouse said.", True),
    Case(
        "phrase_matches_across_html_tags", '"White House"', "<p>The <b>White</b>\n House</p>", True
    ),
    Case("phrase_matches_across_paragraph_tags", '"White House"', "<p>White</p><p>House</p>", True),
    Case("phrase_matches_across_nbsp_entity", '"White House"', "The White&nbsp;House.", True),
    Case(
        "entity_inside_word_decoded",
        "Société",
        "La Soci&eacute;t&eacute; G&eacute;n&eacute;rale",
        True,
    ),
    Case("ampersand_entity_between_words", '"Johnson Johnson"', "Johnson &amp; Johnson", True),
    Case("phrase_with_typographic_apostrophe", '"NATO\'s chief"', "NATO’s chief spoke.", True),
    Case("phrase_inside_typographic_quotes", '"peace deal"', "He called it a “peace deal”.", True),
    Case("phrase_words_out_of_order_no_match", '"House White"', "The White House said.", False),
    Case("phrase_words_apart_no_match", '"White House"', "White and House", False),
    Case("script_content_is_not_text", "tracker", "<script>tracker()</script><p>News</p>", False),
    # boolean operators
    Case("implicit_and_needs_both", "NATO Russia", "NATO met.", False),
    Case("implicit_and_matches_both", "NATO Russia", "NATO met Russia.", True),
    Case("explicit_and_matches_both", "NATO AND Russia", "Russia and NATO.", True),
    Case("or_matches_either", "truce OR ceasefire", "A truce held.", True),
    Case("or_binds_tighter_than_implicit_and", "truce OR ceasefire Gaza", "A truce held.", False),
    Case("or_with_implicit_and_matches", "truce OR ceasefire Gaza", "A truce in Gaza.", True),
    Case("not_excludes", "NATO NOT Russia", "NATO and Russia met.", False),
    Case("not_keeps_others", "NATO NOT Russia", "NATO met.", True),
    Case("minus_excludes", "NATO -Russia", "NATO and Russia met.", False),
    Case("minus_keeps_others", "NATO -Russia", "NATO met.", True),
    Case("parentheses_group", "(truce OR ceasefire) AND Gaza", "A ceasefire in Gaza.", True),
    Case("parentheses_group_needs_and", "(truce OR ceasefire) AND Gaza", "A ceasefire.", False),
    Case("pure_negative_query_matches_absence", "-sport", "Elections today.", True),
    Case("pure_negative_query_excludes", "-sport", "Sport today.", False),
    Case("lowercase_and_is_a_word", "NATO and", "NATO met.", False),
    # wildcards
    Case("wildcard_matches_longer_word", "sanction*", "New sanctions imposed.", True),
    Case("wildcard_matches_exact_prefix", "sanction*", "A sanction.", True),
    Case("wildcard_needs_word_start", "sanction*", "Desanctioned.", False),
    Case("wildcard_three_letters_allowed", "ukr*", "Ukrainian forces.", True),
    # proximity
    Case(
        "proximity_at_the_bound", '"ceasefire Ukraine"~3', "ceasefire one two three Ukraine", True
    ),
    Case(
        "proximity_one_past_the_bound", '"ceasefire Ukraine"~3', "ceasefire 1 2 3 4 Ukraine", False
    ),
    Case("proximity_any_order", '"ceasefire Ukraine"~3', "Ukraine one ceasefire", True),
    Case("proximity_adjacent", '"ceasefire Ukraine"~3', "ceasefire Ukraine", True),
    Case("proximity_max_bound_matches", '"a b"~20', "a " + "x " * 20 + "b", True),
    Case("proximity_max_bound_plus_one", '"a b"~20', "a " + "x " * 21 + "b", False),
    Case("proximity_three_words", '"peace talks Geneva"~2', "peace and talks in Geneva", True),
    Case(
        "proximity_three_words_too_far",
        '"peace talks Geneva"~1',
        "peace and talks in Geneva",
        False,
    ),
    Case("proximity_repeated_word_needs_two", '"peace peace"~3', "peace talks", False),
    Case("proximity_repeated_word_matches_two", '"peace peace"~3', "peace and peace", True),
    # fields
    Case("title_field_matches_title", "title:NATO", "Nothing.", True, title="NATO summit"),
    Case("title_field_ignores_body", "title:NATO", "NATO summit", False, title="Summit"),
    Case("body_field_ignores_title", "body:NATO", "Summit", False, title="NATO summit"),
    Case("body_field_matches_body", "body:NATO", "The NATO summit.", True, title="Summit"),
    Case(
        "not_with_field_excludes_only_that_field",
        "NATO AND NOT title:Russia",
        "NATO and Russia.",
        True,
        title="Summit",
    ),
    Case(
        "not_with_field_excludes",
        "NATO AND NOT title:Russia",
        "NATO met.",
        False,
        title="Russia",
    ),
    Case(
        "title_and_not_body",
        "title:NATO AND NOT body:Russia",
        "Talks on Russia.",
        False,
        title="NATO",
    ),
    Case(
        "title_and_not_body_keeps_others",
        "title:NATO AND NOT body:Russia",
        "Talks on Ukraine.",
        True,
        title="NATO",
    ),
    Case(
        "phrase_never_spans_title_and_body", '"summit Brussels"', "Brussels", False, title="Summit"
    ),
    Case("field_group", "title:(truce OR ceasefire)", "x", True, title="Truce holds"),
    Case("outlet_matches_host", "outlet:rt.com", "x", True, outlet="rt.com"),
    Case("outlet_matches_subdomain", "outlet:rt.com", "x", True, outlet="de.rt.com"),
    Case("outlet_matches_www", "outlet:rt.com", "x", True, outlet="www.rt.com"),
    Case("outlet_no_suffix_confusion", "outlet:rt.com", "x", False, outlet="smart.com"),
    Case("not_outlet_excludes", "NATO -outlet:rt.com", "NATO", False, outlet="rt.com"),
    Case("tag_matches", "tag:wire AND NATO", "NATO", True, tags=("wire",)),
    Case("tag_case_insensitive", "tag:Wire", "x", True, tags=("wire",)),
    Case("tag_missing", "tag:wire", "x", False, tags=("local",)),
    # case-sensitive terms
    Case("case_term_matches_exact_case", "case:US", "The US said.", True),
    Case("case_term_ignores_other_case", "case:US", "Tell us more.", False),
    Case("plain_acronym_is_case_insensitive", "US", "Tell us more.", True),
    Case("case_term_matches_possessive", "case:US", "The US's position.", True),
    Case("case_phrase", 'case:"White House"', "the White House", True),
    Case("case_phrase_other_case", 'case:"White House"', "a white house", False),
    Case("case_term_never_plural_folded", "case:Apples", "Apple shares.", False),
    Case("case_wildcard", "case:Sanc*", "Sanctions", True),
    Case("case_wildcard_other_case", "case:Sanc*", "sanctions", False),
    # stemming, opt-in per rule
    Case("no_stemming_by_default", "sanction", "They sanctioned it.", False),
    Case("stemming_matches_other_forms", "sanction", "They sanctioned it.", True, stem=True),
    Case("stemming_applies_to_query_form", "sanctioned", "New sanctions.", True, stem=True),
    Case("stemming_phrase_other_forms", '"peace talk"', "peaceful talks", True, stem=True),
    Case("stemming_phrase_words", '"sanction Russia"', "sanctioning Russia", True, stem=True),
    Case("stemming_never_touches_acronyms", "ITS", "it is", False, stem=True),
    Case("stemmed_rule_still_joins_compounds", "ceasefires", "A cease-fire held.", True, stem=True),
    Case("stemming_never_touches_case_terms", "case:Running", "Run now.", False, stem=True),
    Case("case_term_in_stem_rule_exact", "case:Running", "Running now.", True, stem=True),
    Case("stemmed_title_field", "title:sanction", "Nothing.", True, title="Sanctioned", stem=True),
    Case("stemmed_title_field_ignores_body", "title:sanction", "Sanctioned.", False, stem=True),
    Case(
        "stemmed_body_field_ignores_title",
        "body:sanction",
        "No.",
        False,
        title="Sanctions",
        stem=True,
    ),
    Case(
        "stemmed_body_field_finds_later_hit",
        "body:sanction",
        "More sanctioning.",
        True,
        title="Sanctions",
        stem=True,
    ),
    Case(
        "stemmed_title_field_compound",
        "title:ceasefire",
        "No.",
        True,
        title="Cease-fires",
        stem=True,
    ),
    Case(
        "russian_stemming",
        "санкции",
        "Новые санкциями ударили.",
        True,
        stem=True,
        language="russian",
    ),
    Case("russian_without_stemming", "санкции", "Новые санкциями ударили.", False),
    # Porter stems "s" to "": that is a word like any other, not the title-body gap
    Case("word_stemmed_to_nothing", "s", "U.S. news", True, stem=True, language="porter"),
    Case("word_stemmed_to_nothing_absent", "s", "world", False, stem=True, language="porter"),
    Case(
        "not_word_stemmed_to_nothing",
        "Russia AND NOT s",
        "",
        True,
        title="Russia",
        stem=True,
        language="porter",
    ),
    Case(
        "phrase_word_stemmed_to_nothing", '"U s"', "U.S. news", True, stem=True, language="porter"
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_query_matches_story(case: Case) -> None:
    rules = compile_rules(
        [RuleSpec("rule", case.query, ("dest",), stem=case.stem, language=case.language)]
    )
    doc = Document(case.title, case.body, outlet=case.outlet, tags=case.tags)
    matched = [m.rule for m in rules.match(doc)]
    assert matched == (["rule"] if case.expected else [])


def test_case_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
