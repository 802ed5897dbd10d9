from __future__ import annotations

import sys
from typing import TextIO

from service.adapters.senders.base import SendResult
from service.core.alerts import Alert
from service.core.formatting.console import console_line


class ConsoleSender:
    type = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    async def send(self, alert: Alert, *, now: float) -> SendResult:
        stream = self._stream or sys.stdout
        print(console_line(alert), file=stream, flush=True)
        return SendResult(200)
