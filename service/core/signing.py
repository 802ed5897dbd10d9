"""Standard Webhooks signatures: HMAC-SHA256 over `id.timestamp.body`.

Several secrets sign at once, so a receiver can rotate: add the new secret next
to the old one, let receivers switch, then drop the old one. Each signature is a
`v1,<base64>` entry in one space-separated `webhook-signature` header, and a
receiver accepts the message if any entry verifies with its secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES = 16
MAX_KEY_BYTES = 64


class SecretError(ValueError):
    pass


def secret_bytes(secret: str) -> bytes:
    """A `whsec_<base64>` secret as key bytes."""
    if not secret.startswith(SECRET_PREFIX):
        raise SecretError("a signing secret must start with 'whsec_'")
    encoded = secret[len(SECRET_PREFIX) :]
    encoded += "=" * (-len(encoded) % 4)  # unpadded base64 is common, and accepted by receivers
    try:
        key = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise SecretError("a signing secret must be base64 after 'whsec_'") from exc
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise SecretError(
            f"a signing secret must hold {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes, not {len(key)}"
        )
    return key


def new_secret(key: bytes) -> str:
    """A `whsec_` secret for random `key` bytes (24 to 64 are usual; pass them in)."""
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise SecretError(f"a signing key must be {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes")
    return SECRET_PREFIX + base64.b64encode(key).decode()


def signature_header(msg_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> str:
    """`v1,<sig>` for each secret, space-separated, so secrets can be rotated."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    parts = []
    for secret in secrets:
        mac = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
        parts.append("v1," + base64.b64encode(mac).decode())
    return " ".join(parts)


def webhook_headers(
    msg_id: str, timestamp: int, body: bytes, secrets: Sequence[str]
) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt.

    `msg_id` is the delivery id, the same on every retry; `timestamp` is the
    attempt's own time in Unix seconds (receivers reject ones more than about five
    minutes off). With no secrets the message goes unsigned: no signature header.
    The sender adds `Content-Type: application/json` itself.
    """
    if not msg_id or any(ch.isspace() for ch in msg_id):
        raise ValueError("a webhook id must be non-empty and hold no whitespace")
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
    }
    if secrets:
        headers["webhook-signature"] = signature_header(msg_id, int(timestamp), body, secrets)
    return headers
