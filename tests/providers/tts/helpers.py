"""Shared expectations for the TTS provider tests: TTS's error shape, queue snapshots, worlds.

Everything here talks HTTP or reads state; nothing calls a handler directly.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import yaml

from mockserver.core import Downlink
from mockserver.server import MockServer
from mockserver.world import DEFAULT_WORLD
from tests.conftest import API_KEY, AUTH

#: webmiddleware.MaxBody on every TTS web route.
MAX_BODY = 16 * 1024 * 1024
WEB = "pkg/applicationserver/io/web"
AS = "pkg/applicationserver"
NS = "pkg/networkserver"
ERROR_DETAILS_TYPE = "type.googleapis.com/ttn.lorawan.v3.ErrorDetails"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
AS_DOWNLINK = re.compile(r"^as:downlink:([0-9A-HJKMNP-TV-Z]{26})$")
ID_REGEX_REASON = 'value does not match regex pattern "^[a-z0-9](?:[-]?[a-z0-9]){2,}$"'
EMBEDDED = "embedded message failed validation"
#: What TTS's web middleware puts on every response.
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "pragma": "no-cache",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "x-xss-protection": "1; mode=block",
}

#: Keys of the default world (worlds/default.yaml).
READ_ONLY_KEY = (
    "NNSXS.RDZ4BRBHQNPEKQFN6KJWZXTM3OYEUNDNCS3PRDY."
    "UOSS5ZJ7BN7NEN3BOOOUYJ5ACN7PFXOCEO2EBXDFYZUUOAB6NWMQ"
)
APP2_KEY = (
    "NNSXS.JUNKJZHZ2SI2TFE7KALJDNIUTLNN7SJEZJLJXBA."
    "7JBQJVPJS2OYZFFRLDWMNAYCBTKCFOYYWRUSXWFEPI2B4KSCR44Q"
)
JSON = {"Content-Type": "application/json"}


def bearer(key: str = API_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **JSON}


def webhook_url(op: str, device: str = "dev1", app: str = "app1", webhook: str = "wh1") -> str:
    return f"/api/v3/as/applications/{app}/webhooks/{webhook}/devices/{device}/down/{op}"


def app_as_url(op: str, device: str = "dev1", app: str = "app1") -> str:
    return f"/api/v3/as/applications/{app}/devices/{device}/down/{op}"


def list_url(device: str = "dev1", app: str = "app1") -> str:
    return f"/api/v3/as/applications/{app}/devices/{device}/down"


def body(*items: dict[str, Any]) -> bytes:
    return json.dumps({"downlinks": list(items)}).encode()


def post(
    client: httpx.Client,
    url: str,
    content: bytes | str,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return client.post(url, content=content, headers=AUTH if headers is None else headers)


# -- worlds ------------------------------------------------------------------------------------
def default_world() -> dict[str, Any]:
    """A private copy of the bundled default world, to be changed and passed to reset()."""
    return copy.deepcopy(yaml.safe_load(DEFAULT_WORLD.read_text(encoding="utf-8")))


def app1(world: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in world["tts"]["applications"] if a["id"] == "app1")


# -- queues ------------------------------------------------------------------------------------
def queue(server: MockServer, uid: str = "app1.dev1") -> list[Downlink]:
    return server.network.get(uid).queue.snapshot()


def all_queues(server: MockServer) -> dict[str, list[Downlink]]:
    return {device.id: copy.deepcopy(device.queue.snapshot()) for device in server.network}


def seed_queues(client: httpx.Client) -> None:
    """Put a known downlink in every activated device's queue, so a stray clear would show."""
    for app, webhook, device, key in (
        ("app1", "wh1", "dev1", API_KEY),
        ("app1", "wh1", "dev2", API_KEY),
        ("app2", "wh2", "dev1", APP2_KEY),
    ):
        response = client.post(
            webhook_url("replace", device, app, webhook),
            content=body({"f_port": 9, "frm_payload": "CQk=", "correlation_ids": ["seed"]}),
            headers=bearer(key),
        )
        assert response.status_code == 200, response.text


@contextmanager
def queues_untouched(server: MockServer) -> Iterator[None]:
    before = all_queues(server)
    yield
    assert all_queues(server) == before, "a failed request changed a queue"


def ulid_millis(value: str) -> int:
    """The 48-bit millisecond timestamp of a ULID (its first ten characters)."""
    millis = 0
    for char in value[:10]:
        millis = millis * 32 + CROCKFORD.index(char)
    return millis


# -- TTS errors --------------------------------------------------------------------------------
def error(
    namespace: str,
    name: str,
    message_format: str,
    code: int,
    attributes: dict[str, Any] | None = None,
    cause: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An expected ErrorDetails, without its correlation_id (checked separately)."""
    details: dict[str, Any] = {
        "namespace": namespace,
        "name": name,
        "message_format": message_format,
    }
    if attributes is not None:
        details["attributes"] = attributes
    if cause is not None:
        details["cause"] = cause
    details["code"] = code
    return details


def validation(field: str, name: str, reason: str, cause: dict[str, Any] | None = None):
    return error(
        "pkg/errors",
        "validation",
        "invalid `{field}`: {reason}",
        3,
        {"field": field, "name": name, "reason": reason},
        cause,
    )


def item_invalid(index: int, field: str, reason: str, container: str = "ApplicationDownlinks"):
    """The validation chain of one invalid ApplicationDownlink field inside its container."""
    return validation(
        f"downlinks[{index}]",
        f"{container}ValidationError",
        EMBEDDED,
        validation(field, "ApplicationDownlinkValidationError", reason),
    )


def validate_body(cause: dict[str, Any]) -> dict[str, Any]:
    return error(WEB, "validate_body", "validate body", 3, cause=cause)


VALIDATE_BODY_MESSAGE = "error:pkg/applicationserver/io/web:validate_body (validate body)"
DECODE_BODY = error(WEB, "decode_body", "decode body", 3)
DECODE_BODY_MESSAGE = "error:pkg/applicationserver/io/web:decode_body (decode body)"
NO_F_PORT = error(AS, "no_f_port", "no FPort", 3)
NO_F_PORT_MESSAGE = "error:pkg/applicationserver:no_f_port (no FPort)"
NO_PAYLOAD = error(AS, "no_payload", "no payload", 3)
NO_PAYLOAD_MESSAGE = "error:pkg/applicationserver:no_payload (no payload)"
NO_SESSION = error(AS, "no_device_session", "no device session; check device activation", 9)
NO_SESSION_MESSAGE = (
    "error:pkg/applicationserver:no_device_session (no device session; check device activation)"
)
CAPACITY = error(NS, "downlink_queue_capacity", "downlink queue capacity exceeded", 8)
CAPACITY_MESSAGE = (
    "error:pkg/networkserver:downlink_queue_capacity (downlink queue capacity exceeded)"
)
WEBHOOK_NOT_FOUND = error("pkg/redis", "not_found", "entity not found", 5)
WEBHOOK_NOT_FOUND_MESSAGE = "error:pkg/redis:not_found (entity not found)"
IDENTIFIERS_MESSAGE = "error:pkg/ttnpb:identifiers (invalid identifiers)"


def device_not_found(uid: str) -> dict[str, Any]:
    return error(AS, "device_not_found", "device `{device_uid}` not found", 5, {"device_uid": uid})


def identifiers(cause: dict[str, Any]) -> dict[str, Any]:
    return error("pkg/ttnpb", "identifiers", "invalid identifiers", 3, cause=cause)


def _strip(details: dict[str, Any], correlation_ids: list[str], top: bool) -> dict[str, Any]:
    """Details without @type and correlation_id, after checking both, recursively."""
    details = dict(details)
    if top:
        assert details.pop("@type", None) == ERROR_DETAILS_TYPE
    else:
        assert "@type" not in details, "a cause carries no @type"
    correlation_id = details.pop("correlation_id", None)
    assert isinstance(correlation_id, str) and HEX32.match(correlation_id), correlation_id
    correlation_ids.append(correlation_id)
    if "cause" in details:
        details["cause"] = _strip(details["cause"], correlation_ids, top=False)
    return details


def assert_error(
    response: httpx.Response,
    status: int,
    message: str,
    expected: dict[str, Any],
    *,
    gateway: bool = False,
) -> dict[str, Any]:
    """Exact TTS error: status, code, message, the one ErrorDetails and its cause chain.

    Webhook routes write it tab-indented with a trailing newline (webhandlers); AppAs routes
    write it compactly (grpc-gateway). Returns the parsed body.
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert "Traceback" not in response.text
    parsed = response.json()
    assert list(parsed) == ["code", "message", "details"], parsed
    assert parsed["code"] == expected["code"]
    assert parsed["message"] == message
    assert len(parsed["details"]) == 1
    correlation_ids: list[str] = []
    assert _strip(parsed["details"][0], correlation_ids, top=True) == expected
    assert len(set(correlation_ids)) == len(correlation_ids), "each error has its own id"
    if gateway:
        assert response.text == json.dumps(parsed, separators=(",", ":"), ensure_ascii=False)
    else:
        assert response.text == json.dumps(parsed, indent="\t", ensure_ascii=False) + "\n"
    return parsed


def assert_plain_status(response: httpx.Response, status: int, code: int, message=None) -> None:
    """A grpc-gateway status without details: `{"code":N,"message":"…"}`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    parsed = response.json()
    assert list(parsed) == ["code", "message"], parsed
    assert parsed["code"] == code
    assert isinstance(parsed["message"], str) and parsed["message"]
    assert "Traceback" not in parsed["message"]
    if message is not None:
        assert parsed["message"] == message
