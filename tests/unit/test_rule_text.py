"""How rules read words: the batch folding agrees with folding one token at a time."""

from __future__ import annotations

import random

import pytest

from service.core.rule_text import TOKEN, folded_forms, forms

TRICKY = [
    "NATO's",
    "NATO’s",
    "Nato'S",
    "students'",
    "don't",
    "cease-",
    "e\u2010",
    "ab'''s",
    "ab's's",
    "x's",
    "nato’s-",
    "ʼs",
    "ʼʼs",
    "ʼs'",
    "Straße",
    "İstanbul",
    "ﬁre",
    "ΣΊΣΥΦΟΣ",
    "НАТО",
    "",
]


@pytest.mark.parametrize("token", TRICKY)
def test_batch_folding_of_tricky_token_matches_forms(token: str) -> None:
    assert folded_forms([token]) == [forms(token)[1]]


def test_batch_folding_of_random_tokens_matches_forms() -> None:
    rng = random.Random(11)
    alphabet = list("abXYsS'’ʼ-\u2010\u00adßİſΣς1_éЯ")
    tokens: list[str] = []
    while len(tokens) < 20_000:
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
        tokens.extend(TOKEN.findall(text))
    assert folded_forms(tokens) == [forms(t)[1] for t in tokens]
