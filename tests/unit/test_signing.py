"""Standard Webhooks signatures, checked by the reference `standardwebhooks` receiver."""

from __future__ import annotations

import base64
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service.core.signing import (
    SecretError,
    new_secret,
    secret_bytes,
    signature_header,
    webhook_headers,
)

OLD = new_secret(b"o" * 24)
NEW = new_secret(b"n" * 32)
OTHER = new_secret(b"x" * 32)
BODY = '{"type":"story.matched","data":{"title":"Перемирие 👍"}}'.encode()
MSG_ID = "msg_0123456789abcdef01234567"


def _now() -> int:
    # The reference receiver checks the timestamp against its own clock (±5 min).
    return int(time.time())


@pytest.mark.parametrize("secret", [OLD, NEW], ids=["old_secret", "new_secret"])
def test_receiver_with_either_rotated_secret_verifies(secret: str) -> None:
    headers = webhook_headers(MSG_ID, _now(), BODY, [OLD, NEW])
    assert Webhook(secret).verify(BODY, headers) == {
        "type": "story.matched",
        "data": {"title": "Перемирие 👍"},
    }


def test_receiver_verifies_a_single_secret_signature() -> None:
    headers = webhook_headers(MSG_ID, _now(), BODY, [NEW])
    Webhook(NEW).verify(BODY, headers)


@pytest.mark.parametrize(
    ("tamper", "secret"),
    [
        (lambda b, h: (b + b" ", h), NEW),
        (lambda b, h: (b.replace(b"story", b"stork"), h), NEW),
        (lambda b, h: (b, {**h, "webhook-id": "msg_other"}), NEW),
        (lambda b, h: (b, {**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)}), NEW),
        (lambda b, h: (b, h), OTHER),
    ],
    ids=["body_appended", "body_changed", "id_changed", "timestamp_changed", "unknown_secret"],
)
def test_receiver_rejects_tampered_messages(tamper: object, secret: str) -> None:
    headers = webhook_headers(MSG_ID, _now(), BODY, [OLD, NEW])
    body, headers = tamper(BODY, headers)  # type: ignore[operator]
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_headers_carry_id_timestamp_and_one_signature_per_secret() -> None:
    headers = webhook_headers(MSG_ID, 1_795_575_600, BODY, [OLD, NEW])
    assert headers["webhook-id"] == MSG_ID
    assert headers["webhook-timestamp"] == "1795575600"
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(s.startswith("v1,") for s in signatures)
    assert headers["webhook-signature"] == signature_header(MSG_ID, 1_795_575_600, BODY, [OLD, NEW])


def test_same_delivery_signs_the_same_way_on_a_retry_at_the_same_second() -> None:
    assert webhook_headers(MSG_ID, 100, BODY, [NEW]) == webhook_headers(MSG_ID, 100, BODY, [NEW])


def test_no_secret_sends_unsigned() -> None:
    headers = webhook_headers(MSG_ID, 100, BODY, [])
    assert "webhook-signature" not in headers
    assert headers["webhook-id"] == MSG_ID


@pytest.mark.parametrize(
    "secret",
    [
        "sk_live_abc",
        "whsec_not base64!",
        "whsec_" + base64.b64encode(b"short").decode(),
        "whsec_" + base64.b64encode(b"x" * 65).decode(),
        "whsec_",
    ],
    ids=["wrong_prefix", "not_base64", "too_short", "too_long", "empty"],
)
def test_malformed_secrets_are_refused(secret: str) -> None:
    with pytest.raises(SecretError):
        secret_bytes(secret)


def test_unpadded_base64_secret_is_accepted_like_the_reference_receiver_does() -> None:
    padded = new_secret(b"k" * 25)
    unpadded = padded.rstrip("=")
    assert unpadded != padded
    assert secret_bytes(unpadded) == b"k" * 25
    headers = webhook_headers(MSG_ID, _now(), BODY, [unpadded])
    Webhook(unpadded).verify(BODY, headers)


@pytest.mark.parametrize("msg_id", ["", "msg with space"], ids=["empty", "whitespace"])
def test_unusable_message_ids_are_refused(msg_id: str) -> None:
    with pytest.raises(ValueError, match="webhook id"):
        webhook_headers(msg_id, 100, BODY, [NEW])
