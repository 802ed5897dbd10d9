"""Standard Webhooks signatures: HMAC-SHA256 over `id.timestamp.body`."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"


class SecretError(ValueError):
    pass


def secret_bytes(secret: str) -> bytes:
    """A `whsec_<base64>` secret as key bytes."""
    if not secret.startswith(SECRET_PREFIX):
        raise SecretError("a signing secret must start with 'whsec_'")
    try:
        return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except ValueError as exc:
        raise SecretError("a signing secret must be base64 after 'whsec_'") from exc


def signature_header(msg_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> str:
    """`v1,<sig>` for each secret, space-separated, so secrets can be rotated."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    parts = []
    for secret in secrets:
        mac = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
        parts.append("v1," + base64.b64encode(mac).decode())
    return " ".join(parts)
