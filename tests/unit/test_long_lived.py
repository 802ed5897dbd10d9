"""Objects alive at a config load are frozen; a replaced config is still freed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from service.core.rules import RuleSpec, compile_rules
from service.long_lived import freeze_long_lived


@pytest.fixture(autouse=True)
def _thaw() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_objects_alive_at_load_are_frozen() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    rules = compile_rules([RuleSpec("r", "ceasefire OR truce", ("d",))])
    freeze_long_lived()
    assert gc.get_freeze_count() > 0
    assert len(rules) == 1


def test_config_replaced_after_freeze_is_freed_at_next_freeze() -> None:
    rules = compile_rules([RuleSpec("r", '"cease fire" AND NOT sport', ("d",))])
    cycle: list[object] = [rules]
    cycle.append(cycle)  # held only through a reference cycle, as a config may be
    gone = weakref.ref(rules)
    del rules
    freeze_long_lived()
    del cycle
    freeze_long_lived()
    assert gone() is None
