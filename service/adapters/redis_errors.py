"""What an unreachable or restarting Redis raises, for the loops and jobs that
wait it out: connection refused, DNS failure, a timeout, a reset mid-command.
Anything else is a bug worth a traceback."""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# TimeoutError (asyncio's included) and ConnectionError are OSErrors.
REDIS_DOWN: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)


def reason(exc: BaseException) -> str:
    """One line for the log: the error's message, or its type when it has none."""
    return str(exc) or type(exc).__name__
