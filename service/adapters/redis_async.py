"""redis-py types its asyncio commands as `Awaitable[T] | T`; this narrows them."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def resolved(value: Awaitable[T] | T) -> T:
    return await value if inspect.isawaitable(value) else value


def text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
