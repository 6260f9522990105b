"""KPN's bundled descriptions: the merge, the overlays, and the traps a naive validator
falls into, each checked through the contract layer on the real (merged) documents."""

from __future__ import annotations

import json

import pytest

from mockserver.contract import Contract, HttpRequest, HttpResponse
from mockserver.contract.documents import bundled_specs_dir, load_specs

SPECS = [spec for spec in load_specs(bundled_specs_dir()) if spec.provider == "kpn"]
VENDOR_APIS = ("downlinks", "http-downlinks", "lora-downlinks", "mqtt-downlinks", "sms-downlinks")
CONTRACT = Contract(SPECS)
UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def problems(method: str, path: str, body: object = None, query: str = "") -> list[str]:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json", "authorization": "Bearer t"}
    request = HttpRequest(method, path, query, headers, raw)
    operation, params = CONTRACT.index("kpn").match(method, path)
    return [f"{v.where}:{v.rule}" for v in CONTRACT.check_request(operation, params, request)]


def response_problems(method: str, path: str, status: int, body: object, kind: str) -> list[str]:
    operation, _ = CONTRACT.index("kpn").match(method, path)
    request = HttpRequest(method, path, "", {}, b"")
    response = HttpResponse(status, {"content-type": kind}, json.dumps(body).encode())
    return [f"{v.where}:{v.rule}" for v in CONTRACT.check_response(operation, request, response)]


def mqtt(device_id: str) -> dict:
    return {
        "deviceId": device_id,
        "message": {"type": "text", "payload": "abcd", "topic": "t"},
        "feedbackTimeout": "PT10M",
    }


def test_five_vendor_specs_of_four_operations_each_plus_the_token_description():
    names = sorted(spec.path.stem for spec in SPECS)
    assert names == sorted([*VENDOR_APIS, "grip-token"])
    for spec in SPECS:
        if spec.path.stem in VENDOR_APIS:
            operations = [m for item in spec.document["paths"].values() for m in item]
            assert sorted(operations) == ["delete", "get", "get", "post"]
            assert spec.overlays, f"{spec.name} has no overlay"


def test_vendor_text_is_untouched_and_overlays_add_the_error_responses():
    for name in VENDOR_APIS:
        vendor = json.loads((bundled_specs_dir() / "kpn" / f"{name}.json").read_text())
        for item in vendor["paths"].values():
            for operation in item.values():
                assert "401" not in operation["responses"]  # only the overlay adds it
    for spec in SPECS:
        for item in spec.document["paths"].values():
            for operation in item.values():
                assert {"400", "401"} <= set(operation["responses"]), spec.name


def test_operation_ids_are_unique_once_merged():
    ids = [op.operation_id for op in CONTRACT.index("kpn")]
    assert len(ids) == len(set(ids)) == 21


@pytest.mark.parametrize(
    "device_id",
    [
        UUID,
        "urn:dev:DEVEUI:0004A30B001A2B3C:",
        "urn:dev:deveui:0004a30b001a2b3c",
        "deveui:0004a30b001a2b3c",
        "IMEI:356938035643809",
        "urn:dev:IMEI:356938035643809:",
        f"dvnuuid:{UUID}",
        f"urn:dev:DVNUUID:{UUID.upper()}:",
    ],
)
def test_device_id_one_of_matches_exactly_one_branch(device_id):
    """Without format assertion the `format: uuid` branch matches every string, so each
    URN would match two branches and `oneOf` would reject a valid request."""
    assert problems("POST", "/mqtt/downlinks", mqtt(device_id)) == []


@pytest.mark.parametrize(
    "device_id", ["nope", UUID[:-1] + "z", "deveui:0004a30b001a2b3", "urn:dev:mac:0011"]
)
def test_device_id_matching_no_branch_is_rejected(device_id):
    assert problems("POST", "/mqtt/downlinks", mqtt(device_id)) == ["body.deviceId:oneOf"]


def test_case_insensitive_inline_flag_applies_to_the_whole_pattern():
    assert (
        problems("GET", "/lora/downlinks", query="deviceId=URN:DEV:DEVEUI:0004A30B001A2B3C") == []
    )


@pytest.mark.parametrize("api", ["http", "mqtt"])
def test_discriminator_picks_the_branch_so_text_that_is_also_base64_is_valid(api):
    key = "body" if api == "http" else "payload"
    message = {"type": "text", key: "abcd", "topic": "t"}
    body = {"deviceId": UUID, "message": message, "feedbackTimeout": "PT10M"}
    assert problems("POST", f"/{api}/downlinks", body) == []
    message["type"] = "binary"
    assert problems("POST", f"/{api}/downlinks", body) == []  # "abcd" is base64 too
    message[key] = "abc"
    assert problems("POST", f"/{api}/downlinks", body) == [f"body.message.{key}:pattern"]


def test_discriminator_on_the_actuator_method():
    body = {"instruction": [{"bn": "urn:dev:DEVEUI:0004A30B001A2B3C:", "vs": "01"}]}
    assert (
        problems("POST", "/downlinks", {**body, "method": {"protocol": "LORA", "fPort": 2}}) == []
    )
    assert problems("POST", "/downlinks", {**body, "method": {"protocol": "FAX"}}) == [
        "body.method.protocol:enum"
    ]


@pytest.mark.parametrize(
    ("duration", "verdict"),
    [
        ("PT10M", []),
        ("P1DT2H", []),
        ("PT0.5S", []),  # RFC 3339's duration has no fractions; ISO 8601 and the pattern do
        ("P1D", ["body.feedbackTimeout:pattern"]),  # the published pattern wants a T
        ("PT", ["body.feedbackTimeout:format"]),  # the pattern accepts it, ISO 8601 does not
        ("P1W", ["body.feedbackTimeout:pattern"]),
    ],
)
def test_simple_duration_is_the_published_iso_8601_subset(duration, verdict):
    body = {
        "deviceId": UUID,
        "message": {"payloadHex": "00", "fPort": 1},
        "feedbackTimeout": duration,
    }
    assert problems("POST", "/lora/downlinks", body) == verdict


def test_read_only_fields_in_a_request_are_ignored_not_validated():
    body = {
        "id": 42,
        "status": ["not", "a", "string"],
        "createdAt": "yesterday",
        "retryCount": -5,
        "lastFailureReason": 7,
        "deviceId": UUID,
        "message": {"payloadHex": "00", "fPort": 1},
        "feedbackTimeout": "PT10M",
    }
    assert problems("POST", "/lora/downlinks", body) == []
    sms = {
        "deviceId": "x",
        "message": {"text": "t", "smsMessageId": "nan"},
        "feedbackTimeout": "PT10M",
    }
    assert problems("POST", "/sms/downlinks", sms) == []


def test_read_only_fields_are_still_required_to_be_right_in_responses():
    path = "/lora/downlinks/" + UUID
    good = {
        "id": UUID,
        "deviceId": UUID,
        "message": {"payloadHex": "00", "fPort": 1},
        "feedbackTimeout": "PT10M",
        "retryCount": 0,
    }
    assert response_problems("GET", path, 200, good, "application/json") == []
    assert response_problems("GET", path, 200, {**good, "retryCount": -1}, "application/json") == [
        "body.retryCount:minimum"
    ]


def test_error_responses_from_the_overlay_are_validated():
    problem = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "x"}
    path = "/sms/downlinks/" + UUID
    assert response_problems("GET", path, 404, problem, "application/problem+json") == []
    assert response_problems(
        "GET", path, 404, {**problem, "status": 99}, "application/problem+json"
    ) == ["body.status:minimum"]
    assert response_problems("GET", path, 404, problem, "application/json") == [
        "header.content-type:content-type"
    ]
