"""The compiled rule set: candidates, scoping, terms, snippets and highlights."""

from __future__ import annotations

import pytest

from service.core.rules import Document, Match, RuleSet, RuleSpec, compile_rules


def rule(name: str, query: str, **kw: object) -> RuleSpec:
    return RuleSpec(name, query, (f"{name}-dest",), **kw)  # type: ignore[arg-type]


def marked(m: Match) -> list[str]:
    return [m.snippet[a:b] for a, b in m.highlights]


def only(rules: RuleSet, doc: Document) -> Match:
    matches = rules.match(doc)
    assert len(matches) == 1
    return matches[0]


def test_match_names_rule_destinations_and_terms_in_text_order() -> None:
    rules = compile_rules([rule("r", "Ukraine AND (ceasefire OR truce) NOT sport")])
    m = only(rules, Document("", "A truce was agreed in Ukraine."))
    assert m.rule == "r"
    assert m.destinations == ("r-dest",)
    assert m.terms == ("truce", "Ukraine")


def test_terms_leave_out_branches_that_did_not_match() -> None:
    rules = compile_rules([rule("r", "truce OR ceasefire OR armistice")])
    assert only(rules, Document("", "The ceasefire held.")).terms == ("ceasefire",)


def test_highlights_mark_each_matched_word_in_snippet() -> None:
    rules = compile_rules([rule("r", "NATO OR Russia")])
    m = only(rules, Document("", "NATO’s chief met Russia's envoy."))
    assert marked(m) == ["NATO’s", "Russia's"]


def test_highlight_covers_whole_phrase_across_tags_and_lines() -> None:
    rules = compile_rules([rule("r", '"White House"')])
    m = only(rules, Document("", "<p>Officials at the <b>White</b>\n   House said.</p>"))
    assert m.snippet == "Officials at the White House said."
    assert marked(m) == ["White House"]


def test_highlight_covers_compound_read_as_one_word() -> None:
    rules = compile_rules([rule("r", "ceasefire")])
    m = only(rules, Document("", "A cease-fire was agreed."))
    assert marked(m) == ["cease-fire"]


def test_snippet_of_long_story_is_cut_around_first_match() -> None:
    body = " ".join(["filler"] * 200 + ["Ukraine", "ceasefire"] + ["tail"] * 200)
    m = only(compile_rules([rule("r", "ceasefire")]), Document("", body))
    assert m.snippet.startswith("… ")
    assert m.snippet.endswith(" …")
    assert len(m.snippet) < 300
    assert marked(m) == ["ceasefire"]


def test_title_match_gives_snippet_from_title() -> None:
    m = only(
        compile_rules([rule("r", "title:summit")]),
        Document("NATO summit opens", "Leaders arrived."),
    )
    assert m.snippet.startswith("NATO summit opens")
    assert marked(m) == ["summit"]


def test_entities_are_decoded_in_snippet_and_highlight() -> None:
    m = only(
        compile_rules([rule("r", "Société")]),
        Document("", "La Soci&eacute;t&eacute; G&eacute;n&eacute;rale"),
    )
    assert marked(m) == ["Société"]


def test_rule_for_other_feed_is_skipped() -> None:
    rules = compile_rules([rule("r", "NATO", feeds=("feed-a",))])
    assert rules.match(Document("", "NATO", feed_id="feed-b")) == []
    assert [m.rule for m in rules.match(Document("", "NATO", feed_id="feed-a"))] == ["r"]


def test_rule_scoped_to_tags_needs_one_of_them() -> None:
    rules = compile_rules([rule("r", "NATO", tags=("wire", "world"))])
    assert rules.match(Document("", "NATO", tags=("local",))) == []
    assert [m.rule for m in rules.match(Document("", "NATO", tags=("World",)))] == ["r"]


def test_matches_come_in_config_order() -> None:
    rules = compile_rules([rule("b", "Russia"), rule("a", "NATO"), rule("c", "summit")])
    doc = Document("", "NATO summit with Russia")
    assert [m.rule for m in rules.match(doc)] == ["b", "a", "c"]


def test_only_rules_anchored_on_story_words_are_candidates() -> None:
    specs = [rule(f"r{i}", f"word{i} OR other{i}") for i in range(1000)]
    specs.append(rule("phrase", '"alpha beta"'))
    specs.append(rule("negative", "-sport"))
    rules = compile_rules(specs)
    candidates = rules.candidates(Document("", "word7 and other9 and beta alpha"))
    names = sorted(specs[i].name for i in candidates)
    assert names == ["negative", "phrase", "r7", "r9"]


def test_rule_needing_two_words_is_candidate_only_where_both_are() -> None:
    specs = [
        rule("and", "Ukraine AND ceasefire AND NOT the"),
        rule("phrase", '"alpha beta"'),
        rule("near", '"alpha gamma"~3'),
    ]
    rules = compile_rules(specs)
    assert rules.candidates(Document("", "ceasefire news")) == []
    assert rules.candidates(Document("", "Ukraine news")) == []
    assert rules.candidates(Document("", "a ceasefire in Ukraine")) == [0]
    assert rules.candidates(Document("", "alpha only")) == []
    assert rules.candidates(Document("", "gamma then beta, alpha")) == [1, 2]


def test_rule_needing_two_words_is_candidate_by_a_compound_of_one() -> None:
    rules = compile_rules([rule("r", '"ceasefire talks"'), rule("s", "peacekeeping AND Mali")])
    assert rules.candidates(Document("", "The cease-fire talks resumed.")) == [0]
    assert only(rules, Document("", "The cease fire talks resumed.")).rule == "r"
    assert only(rules, Document("Mali", "Peace-keeping troops left.")).rule == "s"


def test_rule_needing_many_words_is_refused_when_one_is_missing() -> None:
    rules = compile_rules([rule("r", '"one two three" AND four')])
    assert rules.match(Document("", "one two three")) == []
    assert rules.match(Document("", "one two four")) == []
    assert only(rules, Document("", "four: one two three")).rule == "r"


def test_wildcard_rule_is_candidate_by_prefix() -> None:
    rules = compile_rules([rule("r", "sanction*")])
    assert rules.candidates(Document("", "new sanctions")) == [0]
    assert rules.candidates(Document("", "new tariffs")) == []


def test_stemmed_rule_is_candidate_by_stem() -> None:
    rules = compile_rules([rule("r", "sanctioned", stem=True)])
    assert rules.candidates(Document("", "new sanctions")) == [0]


def test_outlet_rule_is_candidate_by_outlet() -> None:
    rules = compile_rules([rule("r", "outlet:rt.com")])
    assert rules.candidates(Document("", "x", outlet="de.rt.com")) == [0]
    assert rules.candidates(Document("", "x", outlet="bbc.co.uk")) == []


def test_many_rules_match_one_story_independently() -> None:
    specs = [rule(f"r{i}", q) for i, q in enumerate(["NATO", "summit", "-weather", "Ukraine"])]
    doc = Document("NATO summit", "Leaders met in Vilnius.")
    assert [m.rule for m in compile_rules(specs).match(doc)] == ["r0", "r1", "r2"]


def test_matching_is_deterministic() -> None:
    rules = compile_rules([rule("r", "ceasefire OR truce"), rule("s", '"peace talks"~3')])
    doc = Document("Talks", "A truce. Peace and more talks. A cease-fire.")
    assert rules.match(doc) == rules.match(doc)
    assert compile_rules([rule("r", "ceasefire OR truce")]).match(doc)[0] == rules.match(doc)[0]


def test_empty_story_matches_only_negative_rules() -> None:
    rules = compile_rules([rule("r", "NATO"), rule("n", "-NATO")])
    assert [m.rule for m in rules.match(Document("", ""))] == ["n"]


def test_rule_set_knows_its_rules_in_config_order() -> None:
    rules = compile_rules([rule("a", "x"), rule("b", "y")])
    assert len(rules) == 2
    assert [spec.name for spec in rules.rules] == ["a", "b"]


def test_snippets_and_highlights_stay_well_formed_on_messy_markup() -> None:
    import random

    rng = random.Random(5)
    words = ["NATO", "truce", "cease-fire", "Ukraine", "the", "talks", "Société", "US"]
    seps = [" ", "  ", "\n", "\n\n  ", "</p><p>", " <b>", "</b> ", "&nbsp;", " — "]
    rules = compile_rules(
        [
            rule("a", "NATO OR truce"),
            rule("b", '"Ukraine talks"~3'),
            rule("c", "ceasefire"),
            rule("d", "case:US OR Société"),
        ]
    )
    for _ in range(200):
        body = "".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(1, 120)))
        for m in rules.match(Document("", f"<p>{body}</p>")):
            assert "\n" not in m.snippet
            assert "  " not in m.snippet
            assert m.highlights
            last = -1
            for a, b in m.highlights:
                assert last <= a < b <= len(m.snippet)
                last = b
                assert m.snippet[a:b].strip() == m.snippet[a:b]


def test_match_built_directly_keeps_given_snippet_and_highlights() -> None:
    m = Match(
        rule="r", destinations=("d",), terms=("NATO",), snippet="NATO met", highlights=((0, 4),)
    )
    assert (m.rule, m.destinations, m.terms) == ("r", ("d",), ("NATO",))
    assert marked(m) == ["NATO"]
    assert m == Match("r", ("d",), ("NATO",), "NATO met", ((0, 4),))


def test_snippets_read_late_or_in_any_order_are_the_same() -> None:
    rules = compile_rules([rule("a", "ceasefire"), rule("b", "Ukraine OR Russia")])
    doc = Document("Talks", "<p>Russia and Ukraine agreed a cease-fire.</p>")
    early = [(m.snippet, m.highlights) for m in rules.match(doc)]
    late = rules.match(doc)
    rules.match(Document("Other", "A ceasefire elsewhere, far from Ukraine."))
    assert [(m.snippet, m.highlights) for m in reversed(late)] == early[::-1]
    assert [marked(m) for m in late] == [["cease-fire"], ["Russia", "Ukraine"]]


def test_words_forgotten_by_full_memo_are_read_again_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import service.core.rules as rules_module

    specs = [
        rule("a", "ceasefire AND NATO"),
        rule("b", "cease* OR truce"),
        rule("c", '"peace talks"'),
    ]
    docs = [
        Document("NATO’s view", "A cease-fire and peace talks, then ceasefires."),
        Document("Other", "Peace talks failed; NATO said the ceasefire held."),
    ]
    expected = [compile_rules(specs).match(d) for d in docs]
    monkeypatch.setattr(rules_module, "_MEMO_MAX", 3)
    small = compile_rules(specs)
    assert [small.match(d) for d in docs + docs] == expected + expected


def test_case_sensitive_term_ignores_other_cases_and_finds_possessive() -> None:
    rules = compile_rules([rule("r", "case:US")])
    assert rules.match(Document("", "Talk to us about the bus.")) == []
    assert marked(only(rules, Document("", "The US’s envoy and us."))) == ["US’s"]


def test_field_terms_look_only_in_their_field() -> None:
    rules = compile_rules([rule("t", "title:NATO"), rule("b", "body:NATO")])
    assert [m.rule for m in rules.match(Document("NATO meets", "Talks went on."))] == ["t"]
    assert [m.rule for m in rules.match(Document("Talks", "Then NATO met."))] == ["b"]
    both = rules.match(Document("NATO meets", "Then NATO met."))
    assert [m.rule for m in both] == ["t", "b"]


def test_highlight_deep_in_long_story_marks_the_right_words() -> None:
    filler = " ".join(f"word{i} x-y don't" for i in range(200))
    rules = compile_rules([rule("r", "ceasefire OR Geneva")])
    m = only(rules, Document("Talks", f"<p>{filler}</p><p>The cease-fire in Geneva held.</p>"))
    assert marked(m) == ["cease-fire", "Geneva"]
    assert m.snippet.endswith("The cease-fire in Geneva held.")


def test_snippet_from_title_hit_runs_on_into_body() -> None:
    rules = compile_rules([rule("r", "Geneva")])
    m = only(rules, Document("Geneva talks", "Delegates met. Geneva again."))
    assert m.snippet == "Geneva talks Delegates met. Geneva again."
    assert marked(m) == ["Geneva", "Geneva"]


def test_highlight_leaves_out_hyphen_joining_next_word() -> None:
    rules = compile_rules([rule("r", "Geneva")])
    assert marked(only(rules, Document("", "Geneva-based staff met."))) == ["Geneva"]


def test_rules_sharing_wildcard_letters_each_match_their_own_words() -> None:
    rules = compile_rules(
        [
            rule("sanct", "sanct*"),
            rule("sanction", "sanctions*"),
            rule("sandb", "sandb*"),
            rule("upper", "case:SANC*"),
        ]
    )

    def matched(text: str) -> list[str]:
        return [m.rule for m in rules.match(Document("", text))]

    assert matched("A sanctuary.") == ["sanct"]
    assert matched("New sanctions and a sandbox.") == ["sanct", "sanction", "sandb"]
    assert matched("SANCTIONS!") == ["sanct", "sanction", "upper"]
    assert matched("Sand and sanity.") == []
    assert matched("Desanctioned.") == []


def test_words_no_rule_names_still_count_as_words_between_others() -> None:
    # Such words share one placeholder form; they must neither join a phrase
    # nor vanish from a proximity's distance.
    rules = compile_rules([rule("phrase", '"peace talks"'), rule("near", '"peace deal"~1')])

    def matched(text: str) -> list[str]:
        return [m.rule for m in rules.match(Document("", text))]

    assert matched("peace talks") == ["phrase"]
    assert matched("peace and talks") == []
    assert matched("peace, a deal") == ["near"]
    assert matched("peace, then a deal") == []


def test_compound_of_a_stemmed_word_is_found_after_its_head() -> None:
    rules = compile_rules([rule("r", "peacekeeping", stem=True)])
    m = only(rules, Document("", "The peace keepers and the peace-keeper left."))
    assert m.terms == ("peacekeeping",)
    assert marked(m) == ["peace keepers", "peace-keeper"]
    assert rules.match(Document("", "Peace, then keepers.")) == []


def test_case_sensitive_wildcard_finds_words_no_other_rule_names() -> None:
    m = only(compile_rules([rule("a", "case:SANC*")]), Document("", "SANCTIONS"))
    assert (m.terms, m.snippet, marked(m)) == (("SANC*",), "SANCTIONS", ["SANCTIONS"])
    assert compile_rules([rule("a", "title:case:SANC*")]).match(Document("", "SANCTIONS")) == []
    m = only(compile_rules([rule("a", "case:NAT* OR peace")]), Document("peace NATO", ""))
    assert m.terms == ("peace", "NAT*")
    assert marked(m) == ["peace", "NATO"]


def test_case_sensitive_word_with_a_doubled_possessive_is_selected_by_its_own_key() -> None:
    rules = compile_rules([rule("r", "case:Ab's's")])
    assert marked(only(rules, Document("Ab's's", ""))) == ["Ab's's"]
    assert marked(only(rules, Document("Ab's's and ab", ""))) == ["Ab's's"]
    assert rules.match(Document("ab's's", "")) == []
