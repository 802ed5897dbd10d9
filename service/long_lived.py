"""Keep the objects a process holds for its lifetime out of the garbage collector's sight.

A config load compiles every rule into thousands of small objects (closures,
tuples, per-rule trees) that live until the next reload. CPython's full
collections traverse every tracked object each time, so with 10,000 rules they
cost more than the work they interrupt (bench/matching.py: 13 % of matching
time). `gc.freeze()` moves everything alive at that moment into a permanent
generation the collector skips; it is the standard remedy (CPython docs, gc.freeze).
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Call once the config is loaded, and again after each reload.

    Objects frozen by an earlier call are thawed and collected first, so a
    replaced config (a reference cycle among its compiled rules included) is
    freed rather than kept in the permanent generation.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
