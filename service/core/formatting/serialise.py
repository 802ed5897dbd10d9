"""The bytes of a payload: one encoding for what is sent, signed and measured."""

from __future__ import annotations

import json
from typing import Any


def encode_json(payload: Any, *, ascii_only: bool = False) -> bytes:
    """Compact UTF-8 JSON. Formatters clean their text, but a stray lone surrogate
    still becomes `?` rather than an exception at send time."""
    text = json.dumps(payload, ensure_ascii=ascii_only, separators=(",", ":"))
    return text.encode("utf-8", "replace")
