"""The generic webhook payload matches its published JSON Schema, whatever the input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from service.core.alerts import Alert
from service.core.formatting.webhook import PAYLOAD_VERSION, SCHEMA_ID, webhook_payload
from tests.unit.test_formatting_cases import HOSTILE, T0, make_alert

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "webhook-payload.v1.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_schema_is_draft_2020_12_with_a_versioned_id() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    assert schema["properties"]["version"]["const"] == PAYLOAD_VERSION


@pytest.mark.parametrize("alert", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_payload_validates_against_the_schema(
    validator: jsonschema.Draft202012Validator, alert: Alert
) -> None:
    payload = json.loads(json.dumps(webhook_payload(alert, T0)))
    validator.validate(payload)


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda p: p.pop("data"), "data"),
        (lambda p: p.update(version="2"), "version"),
        (lambda p: p["data"].update(published="yesterday"), "published"),
        (lambda p: p["data"].update(outlets="rt.com"), "outlets"),
        (lambda p: p["data"]["copies"][0].pop("seen_at"), "seen_at"),
    ],
    ids=["no_data", "wrong_version", "bad_time", "outlets_not_a_list", "copy_without_time"],
)
def test_schema_rejects_a_payload_that_breaks_the_contract(
    validator: jsonschema.Draft202012Validator, mutate: Any, path: str
) -> None:
    payload = json.loads(json.dumps(webhook_payload(make_alert(), T0)))
    mutate(payload)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(payload)


def test_payload_shape() -> None:
    payload = webhook_payload(make_alert(), T0)
    assert payload["type"] == "story.matched"
    assert payload["version"] == "1"
    assert payload["timestamp"] == "2026-11-25T03:00:00Z"
    data = payload["data"]
    assert data["delivery_id"].startswith("msg_")
    assert data["outlets"] == ["rt.com", "example.org"]
    assert data["copies"][1] == {
        "outlet": "example.org",
        "url": "https://example.org/a",
        "seen_at": "2026-11-25T03:00:00Z",
        "credits": "courtesy of rt.com",
    }


def test_huge_title_and_snippet_are_bounded_with_an_ellipsis() -> None:
    data = webhook_payload(HOSTILE["huge_snippet"], T0)["data"]
    assert len(data["snippet"]) <= 10_000
    assert data["snippet"].endswith("…")
