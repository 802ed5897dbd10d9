"""Bad queries are refused with a message and the 1-based column of the problem."""

from __future__ import annotations

import pytest

from service.core.rules import QueryError, RuleSpec, compile_rules, parse_query, validate_query

BAD = [
    # (id, query, message fragment, column)
    ("unbalanced_quote", 'ceasefire OR "cease-fire', "unbalanced quote", 14),
    ("quote_inside_word", 'cease"fire', "unbalanced quote", 6),
    ("unclosed_parenthesis", "NATO AND (Russia OR China", "unclosed parenthesis", 10),
    ("stray_closing_parenthesis", "NATO)", "')' without a matching '('", 5),
    ("dangling_and", "NATO AND", "query ends where a term was expected", 9),
    ("leading_or", "OR NATO", "OR needs a term on each side", 1),
    ("doubled_or", "NATO OR OR Russia", "OR needs a term on each side", 9),
    ("empty_query", "   ", "empty query", 1),
    ("unknown_field", "NATO AND author:smith", "unknown field 'author'", 10),
    ("field_inside_field", "title:body:NATO", "body: inside title:", 7),
    ("short_wildcard", "sa*", "at least 3 letters", 1),
    ("possessive_not_counted_in_wildcard", "NATO it's*", "at least 3 letters", 6),
    ("wildcard_in_middle", "sanc*ions", "wildcards are not supported except at the end", 5),
    ("leading_wildcard", "NATO *tion", "wildcards are not supported except at the end", 6),
    ("question_mark_wildcard", "NAT?", "wildcards are not supported except at the end", 4),
    ("wildcard_in_phrase", '"sanction* Russia"', "wildcards are not supported inside a phrase", 10),
    ("proximity_past_bound", '"ceasefire Ukraine"~21', "proximity is at most ~20", 20),
    ("fractional_proximity", '"ceasefire Ukraine"~2.5', "whole number", 20),
    ("fuzzy_on_word", "NATO~2", '"~" applies to a quoted phrase', 5),
    ("boost", "NATO^2", "boosting (^) is not supported", 5),
    ("range", "[a TO b]", "ranges are not supported", 1),
    ("regex", "/nat.*/", "regular expressions are not supported", 1),
    ("no_letters", "NATO &&", "has no letters or digits", 6),
    ("wildcard_in_outlet", "outlet:rt*", "wildcards are not supported in outlet:", 8),
]


@pytest.mark.parametrize(
    ("query", "message", "column"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_query_names_problem_and_column(query: str, message: str, column: int) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert message in caught.value.message
    assert caught.value.column == column
    assert str(caught.value).endswith(f"at column {column}")


def test_escaped_quote_and_star_are_literal() -> None:
    validate_query('\\"NATO')
    validate_query("sanction\\*")


def test_proximity_at_bound_is_accepted() -> None:
    validate_query('"ceasefire Ukraine"~20')


def test_validate_query_refuses_unknown_stemming_language() -> None:
    with pytest.raises(QueryError, match="no stemmer for language 'klingon'"):
        validate_query("NATO", stem=True, language="klingon")


def test_validate_query_ignores_language_without_stemming() -> None:
    validate_query("NATO", stem=False, language="klingon")


def test_compile_rules_raises_for_a_bad_rule() -> None:
    specs = [RuleSpec("ok", "NATO", ("d",)), RuleSpec("bad", '"open', ("d",))]
    with pytest.raises(QueryError) as caught:
        compile_rules(specs)
    assert caught.value.column == 1


def test_query_error_is_a_value_error() -> None:
    assert issubclass(QueryError, ValueError)
