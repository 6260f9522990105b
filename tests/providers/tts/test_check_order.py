"""TTS's order of checks on the down routes: a request wrong in two ways gets the earlier error.

Webhook routes: IDs → auth → webhook → decode → validate → device → payload → f_port →
session (research A1/A4, facts §2, §4, §6). AppAs routes decode and validate (IDs included)
before the rights check (research B, facts §11).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.conftest import AUTH
from tests.providers.tts.helpers import (
    DECODE_BODY,
    DECODE_BODY_MESSAGE,
    EMBEDDED,
    ID_REGEX_REASON,
    IDENTIFIERS_MESSAGE,
    JSON,
    NO_F_PORT,
    NO_F_PORT_MESSAGE,
    NO_PAYLOAD,
    NO_PAYLOAD_MESSAGE,
    NO_SESSION,
    NO_SESSION_MESSAGE,
    VALIDATE_BODY_MESSAGE,
    WEBHOOK_NOT_FOUND,
    WEBHOOK_NOT_FOUND_MESSAGE,
    app1,
    app_as_url,
    assert_error,
    assert_plain_status,
    body,
    default_world,
    device_not_found,
    error,
    identifiers,
    item_invalid,
    list_url,
    queue,
    queues_untouched,
    seed_queues,
    validate_body,
    validation,
    webhook_url,
)

UNAUTHENTICATED = error(
    "pkg/rpcmetadata", "unauthenticated", "the context is not authenticated", 16
)
UNAUTHENTICATED_MESSAGE = "error:pkg/rpcmetadata:unauthenticated (the context is not authenticated)"
F_PORT_300 = body({"f_port": 300, "frm_payload": "AQ=="})
LENGTH_REASON = "value length must be at most 36 runes"


def device_id_invalid(reason: str) -> dict[str, Any]:
    return identifiers(validation("device_id", "EndDeviceIdentifiersValidationError", reason))


def application_id_invalid(reason: str) -> dict[str, Any]:
    return identifiers(
        validation(
            "application_ids",
            "EndDeviceIdentifiersValidationError",
            EMBEDDED,
            validation("application_id", "ApplicationIdentifiersValidationError", reason),
        )
    )


def webhook_id_invalid(reason: str) -> dict[str, Any]:
    return identifiers(
        validation("webhook_id", "ApplicationWebhookIdentifiersValidationError", reason)
    )


# -- identifiers -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("device", "reason"),
    [
        ("Dev1", ID_REGEX_REASON),
        ("dev_1", ID_REGEX_REASON),
        ("de", ID_REGEX_REASON),
        ("-dev", ID_REGEX_REASON),
        ("dev-", ID_REGEX_REASON),
        ("de--v", ID_REGEX_REASON),
        ("a" * 37, LENGTH_REASON),
        # The length rule comes before the pattern: 37 characters that break the pattern too.
        ("A_" * 18 + "A", LENGTH_REASON),
    ],
)
@pytest.mark.parametrize("op", ["push", "replace"])
def test_invalid_device_id(seeded, client, device, reason, op):
    with queues_untouched(seeded):
        response = client.post(webhook_url(op, device), content=F_PORT_300, headers=AUTH)
        assert_error(response, 400, IDENTIFIERS_MESSAGE, device_id_invalid(reason))


def test_a_36_character_id_is_valid(seeded, client):
    device = "a" * 36
    with queues_untouched(seeded):
        response = client.post(webhook_url("push", device), content=body(), headers=AUTH)
        assert_error(
            response,
            404,
            f"error:pkg/applicationserver:device_not_found (device `app1.{device}` not found)",
            device_not_found(f"app1.{device}"),
        )


@pytest.mark.parametrize(
    ("app", "reason"),
    [("App1", ID_REGEX_REASON), ("x" * 37, LENGTH_REASON), ("a1", ID_REGEX_REASON)],
)
def test_invalid_application_id(seeded, client, app, reason):
    with queues_untouched(seeded):
        response = client.post(webhook_url("push", app=app), content=F_PORT_300, headers=AUTH)
        assert_error(response, 400, IDENTIFIERS_MESSAGE, application_id_invalid(reason))


@pytest.mark.parametrize(
    ("webhook", "reason"), [("WH1", ID_REGEX_REASON), ("w" * 37, LENGTH_REASON)]
)
def test_invalid_webhook_id(seeded, client, webhook, reason):
    with queues_untouched(seeded):
        response = client.post(
            webhook_url("push", webhook=webhook), content=F_PORT_300, headers=AUTH
        )
        assert_error(response, 400, IDENTIFIERS_MESSAGE, webhook_id_invalid(reason))


def test_device_ids_are_checked_before_the_webhook_id(seeded, client):
    with queues_untouched(seeded):
        response = client.post(
            webhook_url("push", device="DEV", webhook="WH"), content=b"", headers=AUTH
        )
        assert_error(response, 400, IDENTIFIERS_MESSAGE, device_id_invalid(ID_REGEX_REASON))


# -- IDs → auth → webhook → decode → validate ----------------------------------------------------
def test_ids_before_auth(seeded, client):
    with queues_untouched(seeded):
        response = client.post(webhook_url("push", "Dev1"), content=b"{", headers=JSON)
        assert_error(response, 400, IDENTIFIERS_MESSAGE, device_id_invalid(ID_REGEX_REASON))


def test_auth_before_webhook_lookup(seeded, client):
    with queues_untouched(seeded):
        response = client.post(webhook_url("push", webhook="nohook"), content=b"{", headers=JSON)
        assert_error(response, 401, UNAUTHENTICATED_MESSAGE, UNAUTHENTICATED)


def test_auth_before_body(seeded, client):
    with queues_untouched(seeded):
        response = client.post(webhook_url("push"), content=F_PORT_300, headers=JSON)
        assert_error(response, 401, UNAUTHENTICATED_MESSAGE, UNAUTHENTICATED)


@pytest.mark.parametrize("webhook", ["wh9", "wh2"])  # wh2 belongs to app2
@pytest.mark.parametrize("op", ["push", "replace"])
def test_unknown_webhook_is_redis_not_found_before_decoding(seeded, client, webhook, op):
    with queues_untouched(seeded):
        response = client.post(webhook_url(op, webhook=webhook), content=b"{nope", headers=AUTH)
        assert_error(response, 404, WEBHOOK_NOT_FOUND_MESSAGE, WEBHOOK_NOT_FOUND)


def test_decode_before_validate(seeded, client):
    """Item 0 breaks a validation rule, item 1 cannot be decoded: the whole body is decoded
    first."""
    content = body({"f_port": 300, "frm_payload": "AQ=="}, {"f_port": 1, "frm_payload": "*"})
    with queues_untouched(seeded):
        response = client.post(webhook_url("push"), content=content, headers=AUTH)
        assert_error(response, 400, DECODE_BODY_MESSAGE, DECODE_BODY)


def test_validate_before_device(seeded, client):
    with queues_untouched(seeded):
        response = client.post(webhook_url("push", "devx"), content=F_PORT_300, headers=AUTH)
        assert_error(
            response,
            400,
            VALIDATE_BODY_MESSAGE,
            validate_body(item_invalid(0, "f_port", "value must be less than or equal to 255")),
        )


def test_the_first_invalid_item_is_reported(seeded, client):
    content = body(
        {"f_port": 1, "frm_payload": "AQ=="},
        {"f_port": 224, "frm_payload": "AQ=="},
        {"f_port": 300, "frm_payload": "AQ=="},
    )
    with queues_untouched(seeded):
        response = client.post(webhook_url("push"), content=content, headers=AUTH)
        assert_error(
            response,
            400,
            VALIDATE_BODY_MESSAGE,
            validate_body(item_invalid(1, "f_port", "value must not be in list [224]")),
        )


# -- device → payload → f_port → session -------------------------------------------------------
def test_device_before_payload(seeded, client):
    with queues_untouched(seeded):
        response = client.post(webhook_url("push", "devx"), content=body({}), headers=AUTH)
        assert_error(
            response,
            404,
            "error:pkg/applicationserver:device_not_found (device `app1.devx` not found)",
            device_not_found("app1.devx"),
        )


@pytest.mark.parametrize(
    "items",
    [
        [{}],
        [{"f_port": 1}],
        [{"f_port": 1, "frm_payload": ""}],
        [{"f_port": 1, "frm_payload": None, "decoded_payload": None}],
        # item 0 lacks only its FPort, item 1 its payload: payloads are looked at first
        [{"frm_payload": "AQ=="}, {"f_port": 2}],
    ],
)
def test_payload_before_f_port(seeded, client, items):
    with queues_untouched(seeded):
        response = client.post(webhook_url("push"), content=body(*items), headers=AUTH)
        assert_error(response, 400, NO_PAYLOAD_MESSAGE, NO_PAYLOAD)


def test_payload_before_session(seeded, client):
    with queues_untouched(seeded):
        response = client.post(webhook_url("push", "dev3"), content=body({}), headers=AUTH)
        assert_error(response, 400, NO_PAYLOAD_MESSAGE, NO_PAYLOAD)


def test_f_port_before_session(seeded, client):
    with queues_untouched(seeded):
        response = client.post(
            webhook_url("push", "dev3"), content=body({"frm_payload": "AQ=="}), headers=AUTH
        )
        assert_error(response, 400, NO_F_PORT_MESSAGE, NO_F_PORT)


def test_a_later_item_without_f_port_fails_the_whole_request(seeded, client):
    content = body({"f_port": 1, "frm_payload": "AQ=="}, {"frm_payload": "Ag=="})
    with queues_untouched(seeded):
        response = client.post(webhook_url("push"), content=content, headers=AUTH)
        assert_error(response, 400, NO_F_PORT_MESSAGE, NO_F_PORT)


def test_session_before_payload_length(seeded, client):
    too_long = base64.b64encode(bytes(243)).decode()
    with queues_untouched(seeded):
        response = client.post(
            webhook_url("push", "dev3"),
            content=body({"f_port": 1, "frm_payload": too_long}),
            headers=AUTH,
        )
        assert_error(response, 400, NO_SESSION_MESSAGE, NO_SESSION)


# -- paused and protobuf webhooks ------------------------------------------------------------------
def _world_with_webhooks() -> dict[str, Any]:
    world = default_world()
    app1(world)["webhooks"] += [
        {"id": "paused-hook", "base_url": "http://127.0.0.1:9/x", "format": "json", "paused": True},
        {"id": "proto-hook", "base_url": "http://127.0.0.1:9/x", "format": "protobuf"},
    ]
    return world


@pytest.mark.parametrize("op", ["push", "replace"])
@pytest.mark.parametrize(
    "content", [body({"f_port": 1, "frm_payload": "AQ=="}), b"{broken", F_PORT_300, body()]
)
def test_a_paused_webhook_answers_406_with_an_empty_body(server, client, op, content):
    server.reset(_world_with_webhooks())
    seed_queues(client)
    with queues_untouched(server):
        response = client.post(
            webhook_url(op, webhook="paused-hook"), content=content, headers=AUTH
        )
    assert response.status_code == 406
    assert response.content == b""
    assert "content-type" not in response.headers


def test_auth_before_paused(server, client):
    server.reset(_world_with_webhooks())
    response = client.post(webhook_url("push", webhook="paused-hook"), content=b"{}", headers=JSON)
    assert_error(response, 401, UNAUTHENTICATED_MESSAGE, UNAUTHENTICATED)


@pytest.mark.parametrize("op", ["push", "replace"])
def test_a_protobuf_webhook_does_not_read_json(server, client, op):
    server.reset(_world_with_webhooks())
    seed_queues(client)
    with queues_untouched(server):
        response = client.post(
            webhook_url(op, webhook="proto-hook"),
            content=body({"f_port": 1, "frm_payload": "AQ=="}),
            headers=AUTH,
        )
        assert_error(response, 400, DECODE_BODY_MESSAGE, DECODE_BODY)


def test_an_empty_body_is_an_empty_protobuf_message(server, client):
    server.reset(_world_with_webhooks())
    seed_queues(client)
    with queues_untouched(server):
        response = client.post(webhook_url("push", webhook="proto-hook"), content=b"", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.content == b""


def test_a_webhook_of_an_application_missing_from_the_world_is_not_found(server, client):
    world = default_world()
    world["tts"]["api_keys"].append(
        {"key": "NNSXS.APPTHREEAPPTHREEAPPTHREEAPPTHREEAPPTHREE.SECRET", "application": "app3"}
    )
    server.reset(world)
    response = client.post(
        webhook_url("push", app="app3", webhook="wh1"),
        content=body(),
        headers={
            **JSON,
            "Authorization": "Bearer NNSXS.APPTHREEAPPTHREEAPPTHREEAPPTHREEAPPTHREE.SECRET",
        },
    )
    assert_error(response, 404, WEBHOOK_NOT_FOUND_MESSAGE, WEBHOOK_NOT_FOUND)


# -- AppAs: decode and validate before rights ----------------------------------------------------
def test_app_as_decodes_before_auth(seeded, client):
    with queues_untouched(seeded):
        response = client.post(app_as_url("push"), content=b"{nope", headers=JSON)
        assert_plain_status(response, 400, 3)


def test_app_as_validates_the_body_before_auth(seeded, client):
    with queues_untouched(seeded):
        response = client.post(app_as_url("push"), content=F_PORT_300, headers=JSON)
        assert_error(
            response,
            400,
            "error:pkg/errors:validation (invalid `downlinks[0]`: embedded message failed "
            "validation)",
            item_invalid(
                0, "f_port", "value must be less than or equal to 255", "DownlinkQueueRequest"
            ),
            gateway=True,
        )


@pytest.mark.parametrize("op", ["push", "replace"])
def test_app_as_validates_ids_before_auth(seeded, client, op):
    with queues_untouched(seeded):
        response = client.post(app_as_url(op, "Dev_1"), content=F_PORT_300, headers=JSON)
        assert_error(
            response,
            400,
            "error:pkg/errors:validation (invalid `end_device_ids`: embedded message failed "
            "validation)",
            validation(
                "end_device_ids",
                "DownlinkQueueRequestValidationError",
                EMBEDDED,
                validation("device_id", "EndDeviceIdentifiersValidationError", ID_REGEX_REASON),
            ),
            gateway=True,
        )


def test_app_as_invalid_application_id(seeded, client):
    with queues_untouched(seeded):
        response = client.post(app_as_url("push", app="a" * 37), content=body(), headers=JSON)
        assert_error(
            response,
            400,
            "error:pkg/errors:validation (invalid `end_device_ids`: embedded message failed "
            "validation)",
            validation(
                "end_device_ids",
                "DownlinkQueueRequestValidationError",
                EMBEDDED,
                validation(
                    "application_ids",
                    "EndDeviceIdentifiersValidationError",
                    EMBEDDED,
                    validation(
                        "application_id", "ApplicationIdentifiersValidationError", LENGTH_REASON
                    ),
                ),
            ),
            gateway=True,
        )


def test_app_as_list_invalid_device_id(seeded, client):
    response = client.get(list_url("Dev_1"), headers=AUTH)
    assert_error(
        response,
        400,
        "error:pkg/errors:validation (invalid `device_id`: " + ID_REGEX_REASON + ")",
        validation("device_id", "EndDeviceIdentifiersValidationError", ID_REGEX_REASON),
        gateway=True,
    )


def test_app_as_auth_before_device(seeded, client):
    with queues_untouched(seeded):
        response = client.post(app_as_url("push", "devx"), content=body(), headers=JSON)
        assert response.status_code == 401
        assert response.json()["message"] == UNAUTHENTICATED_MESSAGE


def test_app_as_device_payload_f_port_session(seeded, client):
    checks = [
        ("devx", body({}), 404, device_not_found("app1.devx")),
        ("dev3", body({}), 400, NO_PAYLOAD),
        ("dev3", body({"frm_payload": "AQ=="}), 400, NO_F_PORT),
        ("dev3", body({"f_port": 1, "frm_payload": "AQ=="}), 400, NO_SESSION),
    ]
    messages = {
        "device_not_found": "error:pkg/applicationserver:device_not_found "
        "(device `app1.devx` not found)",
        "no_payload": NO_PAYLOAD_MESSAGE,
        "no_f_port": NO_F_PORT_MESSAGE,
        "no_device_session": NO_SESSION_MESSAGE,
    }
    for device, content, status, expected in checks:
        with queues_untouched(seeded):
            response = client.post(app_as_url("push", device), content=content, headers=AUTH)
            assert_error(response, status, messages[expected["name"]], expected, gateway=True)
    assert [d.correlation_ids[0] for d in queue(seeded)] == ["seed"]
