"""The webhook registry validates the identifiers in its path before rights and lookup.

grpc-gateway hands the request to TTS's validator first: an invalid application or webhook
ID is 400 `pkg/errors:validation` with the generated validator's chain, whatever the key
and whether the webhook exists, never 404 `not_found`.
"""

from __future__ import annotations

import pytest

from tests.providers.tts.helpers import (
    EMBEDDED,
    ID_REGEX_REASON,
    READ_ONLY_KEY,
    assert_error,
    bearer,
    validation,
)

VALIDATION_MESSAGE = "error:pkg/errors:validation (invalid `{field}`: {reason})"
TOO_LONG = "value length must be at most 36 runes"


def _message(field: str, reason: str) -> str:
    return VALIDATION_MESSAGE.replace("{field}", field).replace("{reason}", reason)


def webhook_id_invalid(reason: str):
    return validation("webhook_id", "ApplicationWebhookIdentifiersValidationError", reason)


def application_id_invalid(container: str, reason: str):
    return validation(
        "application_ids",
        f"{container}ValidationError",
        EMBEDDED,
        validation("application_id", "ApplicationIdentifiersValidationError", reason),
    )


@pytest.mark.parametrize(
    ("webhook", "reason"), [("WH", ID_REGEX_REASON), ("w" * 37, TOO_LONG), ("w_1", ID_REGEX_REASON)]
)
def test_get_with_an_invalid_webhook_id_is_a_validation_error(client, webhook, reason):
    response = client.get(f"/api/v3/as/webhooks/app1/{webhook}", headers=bearer())
    expected = validation(
        "ids", "GetApplicationWebhookRequestValidationError", EMBEDDED, webhook_id_invalid(reason)
    )
    assert_error(response, 400, _message("ids", EMBEDDED), expected, gateway=True)


@pytest.mark.parametrize(("webhook", "reason"), [("WH", ID_REGEX_REASON), ("w" * 37, TOO_LONG)])
def test_delete_with_an_invalid_webhook_id_is_a_validation_error(client, server, webhook, reason):
    webhooks = server.providers["tts"].registry.applications["app1"].webhooks
    before = set(webhooks)
    response = client.delete(f"/api/v3/as/webhooks/app1/{webhook}", headers=bearer())
    assert_error(
        response, 400, _message("webhook_id", reason), webhook_id_invalid(reason), gateway=True
    )
    assert set(webhooks) == before


def test_an_invalid_application_id_is_reported_before_the_webhook_id(client):
    got = client.get("/api/v3/as/webhooks/App1/WH", headers=bearer())
    ids = application_id_invalid("ApplicationWebhookIdentifiers", ID_REGEX_REASON)
    expected = validation("ids", "GetApplicationWebhookRequestValidationError", EMBEDDED, ids)
    assert_error(got, 400, _message("ids", EMBEDDED), expected, gateway=True)
    deleted = client.delete("/api/v3/as/webhooks/App1/WH", headers=bearer())
    assert_error(deleted, 400, _message("application_ids", EMBEDDED), ids, gateway=True)


def test_list_with_an_invalid_application_id_names_the_list_request(client):
    response = client.get("/api/v3/as/webhooks/App1", headers=bearer())
    expected = application_id_invalid("ListApplicationWebhooksRequest", ID_REGEX_REASON)
    assert_error(response, 400, _message("application_ids", EMBEDDED), expected, gateway=True)


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize(
    "headers", [{}, bearer(READ_ONLY_KEY), bearer("NNSXS.UNKNOWN.KEY")], ids=["none", "ro", "bad"]
)
def test_ids_are_validated_before_credentials_and_rights(client, method, headers):
    response = client.request(method, "/api/v3/as/webhooks/app1/WH", headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["details"][0]["name"] == "validation"


def test_a_valid_unknown_webhook_id_is_still_not_found(client):
    assert client.get("/api/v3/as/webhooks/app1/nope", headers=bearer()).status_code == 404
    assert client.delete("/api/v3/as/webhooks/app1/nope", headers=bearer()).status_code == 404
