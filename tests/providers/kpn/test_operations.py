"""Create, get, list and cancel on the four connection-specific APIs, valid and invalid."""

from __future__ import annotations

import json
import re

import pytest

from tests.providers.kpn.helpers import (
    DEVICES,
    LORA_UUID,
    OTHER_CLIENT_KEY,
    PROTOCOLS,
    TIMESTAMP_PATTERN,
    UUID_PATTERN,
    assert_problem,
    bearer,
    body,
    create,
    get,
    server_with,
    token,
)


@pytest.mark.parametrize("api", PROTOCOLS)
def test_create_answers_201_with_the_full_representation(client, auth, api):
    created = create(client, auth, api)
    assert re.match(UUID_PATTERN, created["id"])
    assert created["status"] == "PENDING"
    assert re.match(TIMESTAMP_PATTERN, created["createdAt"])
    assert created["createdAt"] == created["modifiedAt"] == "2026-01-01T00:00:00.000Z"
    assert created["deviceId"] == DEVICES[api]
    assert created["feedbackTimeout"] == "PT10M"
    assert created["dryRun"] is False
    assert "lastFailureReason" not in created
    assert get(client, auth, api, created["id"]) == created


def test_protocol_specific_fields(client, auth):
    lora = create(client, auth, "lora", retryLimit=2)
    assert (lora["retryLimit"], lora["retryCount"]) == (2, 0)
    sms = create(client, auth, "sms")
    assert sms["iccId"] == "8931087118040123456"
    assert isinstance(sms["message"]["smsMessageId"], int)
    mqtt = create(client, auth, "mqtt")
    assert mqtt["message"]["qos"] == "AT_MOST_ONCE"


@pytest.mark.parametrize(
    "device_id",
    [
        LORA_UUID,
        LORA_UUID.upper(),
        "deveui:0004a30b001a2b3c",
        "DEVEUI:0004A30B001A2B3C",
        "urn:dev:deveui:0004a30b001a2b3c",
        "urn:dev:DEVEUI:0004A30B001A2B3C:",
    ],
)
def test_a_lora_device_answers_to_every_identifier_form(client, auth, device_id):
    created = create(client, auth, "lora", deviceId=device_id)
    assert created["deviceId"] == device_id


def test_read_only_fields_sent_by_the_client_are_ignored(client, auth):
    created = create(
        client,
        auth,
        "lora",
        id="00000000-0000-4000-8000-000000000000",
        status="DONE",
        createdAt="1999-01-01T00:00:00Z",
        retryCount=7,
        lastFailureReason="EVICTED",
    )
    assert created["id"] != "00000000-0000-4000-8000-000000000000"
    assert created["status"] == "PENDING"
    assert created["retryCount"] == 0
    assert created["createdAt"].startswith("2026-01-01")
    assert "lastFailureReason" not in created


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize(
    ("api", "changes", "where"),
    [
        ("lora", {"deviceId": "urn:dev:deveui:0004a30b001a2b3"}, "deviceId"),
        ("lora", {"message": {"payloadHex": "zz", "fPort": 1}}, "payloadHex"),
        ("lora", {"message": {"payloadHex": "01"}}, "message"),
        ("lora", {"feedbackTimeout": "10 minutes"}, "feedbackTimeout"),
        ("lora", {"retryLimit": -1}, "retryLimit"),
        ("http", {"message": {"type": "binary", "body": "not base64!"}}, "body"),
        ("http", {"message": {"type": "video", "body": "x"}}, "type"),
        ("mqtt", {"message": {"type": "text", "payload": "x"}}, "message"),
        ("sms", {"message": {}}, "message"),
        ("mqtt", {"deviceId": None}, "deviceId"),
    ],
)
def test_bodies_that_break_the_spec_are_400(client, auth, api, changes, where):
    response = client.post(f"/{api}/downlinks", json=body(api, **changes), headers=auth)
    assert_problem(response, 400, where)


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize("api", PROTOCOLS)
def test_a_missing_feedback_timeout_is_400(client, auth, api):
    request = body(api)
    del request["feedbackTimeout"]
    assert_problem(client.post(f"/{api}/downlinks", json=request, headers=auth), 400)


@pytest.mark.parametrize("duration", ["PT9M59S", "PT1M", "PT0S"])
def test_a_feedback_timeout_under_ten_minutes_is_400(client, auth, duration):
    response = client.post(
        "/lora/downlinks", json=body("lora", feedbackTimeout=duration), headers=auth
    )
    assert_problem(response, 400, "at least 10 minutes")


@pytest.mark.parametrize(
    ("duration", "status"), [("PT10M", 201), ("PT600S", 201), ("PT599.5S", 400)]
)
def test_feedback_timeout_boundaries(client, auth, duration, status):
    response = client.post(
        "/lora/downlinks", json=body("lora", feedbackTimeout=duration), headers=auth
    )
    assert response.status_code == status


@pytest.mark.parametrize("duration", ["P1DT2H", "P2DT0S", "PT1H30M", "PT900.5S"])
def test_feedback_timeouts_that_pattern_and_iso_8601_accept(client, auth, duration):
    response = client.post(
        "/lora/downlinks", json=body("lora", feedbackTimeout=duration), headers=auth
    )
    assert response.status_code == 201, response.text


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize("duration", ["P1D", "P1DT", "PT", "P1W", "PT1.5H", "-PT20M"])
def test_durations_outside_the_published_subset_are_400(client, auth, duration):
    """SimpleDuration's pattern wants a `T` after days (`P1D` fails it) and ISO 8601 wants a
    component after `T` (`P1DT` and `PT` fail the `duration` format)."""
    response = client.post(
        "/lora/downlinks", json=body("lora", feedbackTimeout=duration), headers=auth
    )
    assert_problem(response, 400, "feedbackTimeout")


HUGE_DURATIONS = [
    "PT" + "9" * 400 + "S",  # a float of it is inf
    "PT" + "9" * 5000 + "S",  # beyond Python's int-conversion limit
    "P" + "9" * 20 + "DT0S",
    "PT9223372036854775808S",  # Long.MAX_VALUE + 1 seconds
]


@pytest.mark.parametrize("duration", HUGE_DURATIONS, ids=["400", "5000", "days", "long+1"])
def test_a_feedback_timeout_longer_than_java_can_hold_is_400(server, client, auth, duration):
    """They match the published pattern, but Java's Duration holds at most Long.MAX_VALUE
    seconds; nothing is created."""
    for path, request in (
        ("/lora/downlinks", body("lora", feedbackTimeout=duration)),
        (
            "/downlinks",
            {
                "instruction": [{"bn": f"urn:dev:dvnuuid:{LORA_UUID}:", "vs": "01"}],
                "method": {"protocol": "LORA"},
                "feedbackTimeout": duration,
            },
        ),
    ):
        response = client.post(path, json=request, headers=auth)
        assert_problem(response, 400, "feedbackTimeout: must be at most PT9223372036854775807S")
    assert client.get("/lora/downlinks", headers=auth).json()["items"] == []
    assert client.get("/downlinks", headers=auth).json()["items"] == []


@pytest.mark.parametrize("duration", ["PT9223372036854775807S", "PT00000000000000000000600S"])
def test_the_longest_duration_java_holds_and_leading_zeros_are_accepted(client, auth, duration):
    response = client.post(
        "/lora/downlinks", json=body("lora", feedbackTimeout=duration), headers=auth
    )
    assert response.status_code == 201, response.text
    assert response.json()["feedbackTimeout"] == duration


@pytest.mark.mockserver_allow_violations
def test_a_feedback_timeout_with_non_ascii_digits_is_400(client, auth):
    """Java's `\\d` is ASCII: `PT١٠M` (Arabic-Indic digits) is no SimpleDuration."""
    response = client.post(
        "/lora/downlinks", json=body("lora", feedbackTimeout="PT\u0661\u0660M"), headers=auth
    )
    assert_problem(response, 400, "feedbackTimeout")


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize("field", ["fPort", "retryLimit"])
def test_an_integer_of_5000_digits_is_an_out_of_range_400(client, auth, field):
    """Not Python's int-conversion error ("Exceeds the limit (4300 digits)…")."""
    request = body("lora", retryLimit=0)
    target = request["message"] if field == "fPort" else request
    target[field] = 424242
    content = json.dumps(request).replace("424242", "9" * 5000).encode()
    headers = {**auth, "Content-Type": "application/json"}
    problem = assert_problem(client.post("/lora/downlinks", content=content, headers=headers), 400)
    assert field in problem["detail"]
    assert "limit" not in problem["detail"] and "inf" not in problem["detail"].lower()


def test_lora_payload_and_port_rules_beyond_the_spec(client, auth):
    odd = body("lora", message={"payloadHex": "012", "fPort": 1})
    assert_problem(client.post("/lora/downlinks", json=odd, headers=auth), 400, "even number")
    port = body("lora", message={"payloadHex": "01", "fPort": 224})
    assert_problem(client.post("/lora/downlinks", json=port, headers=auth), 400, "fPort")


def test_unknown_device_is_404_and_a_device_of_another_bearer_is_400(client, auth):
    unknown = body("lora", deviceId="deveui:ffffffffffffffff")
    assert_problem(client.post("/lora/downlinks", json=unknown, headers=auth), 404, "not found")
    wrong = body("lora", deviceId=DEVICES["mqtt"])
    assert_problem(client.post("/lora/downlinks", json=wrong, headers=auth), 400, "not a LoRa")


@pytest.mark.mockserver_allow_violations
def test_malformed_json_and_wrong_content_type(client, auth):
    headers = {**auth, "Content-Type": "application/json"}
    assert_problem(client.post("/sms/downlinks", content=b"{", headers=headers), 400, "Malformed")
    text = {**auth, "Content-Type": "text/plain"}
    assert_problem(client.post("/sms/downlinks", content=b"hi", headers=text), 415)


@pytest.mark.parametrize("api", PROTOCOLS)
def test_get_unknown_is_404(client, auth, api):
    missing = "6f9619ff-8b86-4011-b42d-00c04fc964ff"
    assert_problem(client.get(f"/{api}/downlinks/{missing}", headers=auth), 404, missing)


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize("api", PROTOCOLS)
def test_get_with_an_id_that_is_no_uuid_is_400(client, auth, api):
    assert_problem(client.get(f"/{api}/downlinks/abc", headers=auth), 400, "downlinkId")


def test_a_downlink_is_only_found_through_its_own_api(client, auth):
    created = create(client, auth, "sms")
    assert_problem(client.get(f"/mqtt/downlinks/{created['id']}", headers=auth), 404)


@pytest.mark.parametrize("api", ["lora", "sms", "http"])
def test_cancel_pending_is_202_then_409(server, client, auth, api):
    created = create(client, auth, api)
    response = client.delete(f"/{api}/downlinks/{created['id']}", headers=auth)
    assert response.status_code == 202
    assert response.content == b""
    after = get(client, auth, api, created["id"])
    assert after["status"] == "DONE"
    assert after["lastFailureReason"] == "CANCELLED"
    again = client.delete(f"/{api}/downlinks/{created['id']}", headers=auth)
    assert_problem(again, 409, "CANCELLED")
    server.clock.advance(1800)  # past the feedback timeout: still cancelled, not timed out
    assert get(client, auth, api, created["id"])["lastFailureReason"] == "CANCELLED"


def test_cancelling_an_executing_downlink_needs_forced(server, client, auth):
    created = create(client, auth, "sms")
    server.clock.advance(0)  # handed to the carrier
    assert get(client, auth, "sms", created["id"])["status"] == "EXECUTING"
    path = f"/sms/downlinks/{created['id']}"
    assert_problem(client.delete(path, headers=auth), 409, "forced=true")
    assert client.delete(path, params={"forced": "false"}, headers=auth).status_code == 409
    assert client.delete(path, params={"forced": "true"}, headers=auth).status_code == 202
    server.clock.advance(60)  # the carrier's delivery report no longer matters
    after = get(client, auth, "sms", created["id"])
    assert (after["status"], after["lastFailureReason"]) == ("DONE", "CANCELLED")


def test_a_done_downlink_cannot_be_cancelled_even_forced(server, client, auth):
    created = create(client, auth, "mqtt")
    server.clock.advance(0)
    response = client.delete(
        f"/mqtt/downlinks/{created['id']}", params={"forced": "true"}, headers=auth
    )
    assert_problem(response, 409, "DONE")


def test_cancel_unknown_is_404(client, auth):
    missing = "6f9619ff-8b86-4011-b42d-00c04fc964ff"
    assert_problem(client.delete(f"/lora/downlinks/{missing}", headers=auth), 404)


def test_callers_see_only_their_own_clients_downlinks_and_devices():
    from tests.providers.kpn.helpers import default_world

    keys = default_world()["kpn"]["api_keys"]
    server = server_with({"api_keys": [*keys, OTHER_CLIENT_KEY]})
    with server.client() as client:
        demo = bearer(token(client))
        other = bearer(token(client, "other-client", "other-secret"))
        created = create(client, demo, "lora")
        assert client.get("/lora/downlinks", headers=other).json() == {"items": []}
        assert_problem(client.get(f"/lora/downlinks/{created['id']}", headers=other), 404)
        assert_problem(client.delete(f"/lora/downlinks/{created['id']}", headers=other), 404)
        response = client.post("/lora/downlinks", json=body("lora"), headers=other)
        assert_problem(response, 404, "not found")
        assert len(client.get("/lora/downlinks", headers=demo).json()["items"]) == 1


@pytest.mark.mockserver_allow_violations
def test_unknown_paths_and_methods_get_problems(client, auth):
    assert_problem(client.get("/lora/downlinks/x/y", headers=auth), 404)
    response = client.put("/lora/downlinks", headers=auth, json={})
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, POST"


@pytest.mark.mockserver_allow_violations
def test_digitalmatter_is_named_but_not_simulated(client, auth):
    for method in ("GET", "POST"):
        response = client.request(method, "/digitalmatter/downlinks", headers=auth)
        assert_problem(response, 501, "not simulated")


@pytest.mark.parametrize("path", ["/lora/downlinks", "/downlinks"])
def test_a_create_without_a_body_is_400(client, auth, path):
    """The published specs leave the request body optional; a create cannot do without."""
    assert_problem(client.post(path, headers=auth), 400, "body is missing")


def test_problem_instance_stays_a_uri_reference_for_any_path(client, auth):
    response = client.get("/downlinks/%25%C3%82%20x", headers=auth)
    assert response.status_code == 404
    assert response.json()["instance"] == "/downlinks/%25%C3%82%20x"


ALL_APIS = ("", "/lora", "/mqtt", "/http", "/sms")


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize("prefix", ALL_APIS)
def test_every_operation_refuses_invalid_input(client, auth, prefix):
    """Lists, gets and cancels of all five APIs with input that breaks the spec or names
    nothing; creates are covered above and in test_actuator.py."""
    base = f"{prefix}/downlinks"
    assert_problem(client.get(base, params={"limit": "ten"}, headers=auth), 400, "limit")
    assert_problem(client.get(base, params={"createdSince": "today"}, headers=auth), 400)
    missing = "6f9619ff-8b86-4011-b42d-00c04fc964ff"
    assert_problem(client.get(f"{base}/{missing}", headers=auth), 404)
    assert_problem(client.delete(f"{base}/{missing}", headers=auth), 404)
    assert_problem(
        client.delete(f"{base}/{missing}", params={"forced": "maybe"}, headers=auth), 400, "forced"
    )
    status = 404 if prefix == "" else 400  # only the protocol APIs declare `format: uuid`
    assert_problem(client.get(f"{base}/not-an-id", headers=auth), status)
    assert_problem(client.delete(f"{base}/not-an-id", headers=auth), status)


def test_every_operation_answers_valid_input(server, client, auth):
    """One valid call of each of the 20 operations, through HTTP."""
    instruction = [{"bn": "urn:dev:DEVEUI:0004A30B001A2B3C:", "vs": "01"}]
    actuator = client.post(
        "/downlinks",
        json={"instruction": instruction, "method": {"protocol": "LORA"}},
        headers=auth,
    )
    assert actuator.status_code == 201
    ids = {"": actuator.json()["id"]}
    for api in PROTOCOLS:
        ids[f"/{api}"] = create(client, auth, api)["id"]
    for prefix in ALL_APIS:
        base = f"{prefix}/downlinks"
        listed = client.get(base, headers=auth)
        assert listed.status_code == 200 and listed.json()["items"]
        assert client.get(f"{base}/{ids[prefix]}", headers=auth).status_code == 200
        cancel = client.delete(f"{base}/{ids[prefix]}", params={"forced": "true"}, headers=auth)
        assert cancel.status_code == 202
    operations = {entry.operation for entry in server.journal.entries() if entry.operation}
    assert len(operations - {"kpn.requestToken"}) == 20


# -- hostile bodies ----------------------------------------------------------------------------
JSON_HEADERS = {"Content-Type": "application/json"}


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize("path", ["/downlinks", *(f"/{api}/downlinks" for api in PROTOCOLS)])
@pytest.mark.parametrize(
    "content", [b"[" * 100_000, b'{"message": ' + b'{"a": ' * 100_000], ids=["array", "object"]
)
def test_a_body_nested_too_deeply_is_the_malformed_body_400(client, auth, path, content):
    response = client.post(path, content=content, headers={**auth, **JSON_HEADERS})
    assert_problem(response, 400, "Malformed JSON request body")
    assert client.get(path, headers=auth).json()["items"] == []


@pytest.mark.parametrize(
    ("api", "changes", "where"),
    [
        ("mqtt", {"message": {"type": "text", "payload": "a\ud800", "topic": "t"}}, "payload"),
        ("mqtt", {"message": {"type": "text", "payload": "a", "topic": "t\udc00"}}, "topic"),
        ("http", {"message": {"type": "text", "body": "\ud800"}}, "message.body"),
        ("sms", {"message": {"text": "hi \udbff"}}, "message.text"),
        ("lora", {"externalReference\ud800": "x"}, "a key of the body"),
    ],
    ids=["mqtt payload", "mqtt topic", "http body", "sms text", "a key"],
)
def test_an_unpaired_surrogate_is_refused_at_create(server, client, auth, api, changes, where):
    """`"\\ud800"` is valid JSON syntax but no character: accepted, it would fail the bearer
    (UTF-8 cannot encode it) when the clock runs."""
    content = json.dumps(body(api, **changes)).encode()  # ensure_ascii: `\ud800` escapes
    response = client.post(f"/{api}/downlinks", content=content, headers={**auth, **JSON_HEADERS})
    assert_problem(response, 400, f"{where}: contains an unpaired UTF-16 surrogate")
    assert client.get(f"/{api}/downlinks", headers=auth).json()["items"] == []
    server.clock.advance(60)
    assert server.providers["kpn"].lifecycle.broker.published == []


def test_an_escaped_surrogate_pair_is_one_character_and_is_published(server, client, auth):
    message = {"type": "text", "payload": "on \U0001f600", "topic": "t"}
    content = json.dumps(body("mqtt", message=message)).encode()
    assert "\\ud83d\\ude00" in content.decode()
    created = client.post("/mqtt/downlinks", content=content, headers={**auth, **JSON_HEADERS})
    assert created.status_code == 201, created.text
    server.clock.advance(0)
    (publication,) = server.providers["kpn"].lifecycle.broker.published
    assert publication.payload == "on \U0001f600".encode()


def test_an_unpaired_surrogate_in_an_instruction_is_refused(client, auth):
    request = {
        "instruction": [{"bn": DEVICES["lora"], "n": "cmd", "vs": "0a\ud800"}],
        "method": {"protocol": "LORA"},
    }
    content = json.dumps(request).encode()
    response = client.post("/downlinks", content=content, headers={**auth, **JSON_HEADERS})
    assert_problem(response, 400, "instruction[0].vs: contains an unpaired UTF-16 surrogate")
    assert client.get("/downlinks", headers=auth).json()["items"] == []


def test_an_integral_fport_written_as_a_float_is_echoed_as_an_integer(server, client, auth):
    """The spec's `integer` (JSON Schema) and Jackson (ACCEPT_FLOAT_AS_INT) both take 1.0."""
    created = create(client, auth, "lora", message={"payloadHex": "01", "fPort": 3.0})
    assert created["message"] == {"payloadHex": "01", "fPort": 3}
    assert type(created["message"]["fPort"]) is int
    assert get(client, auth, "lora", created["id"])["message"]["fPort"] == 3
    content = client.get(f"/lora/downlinks/{created['id']}", headers=auth).content
    assert b'"fPort":3}' in content
    server.uplink(f"kpn.{LORA_UUID}")
    server.clock.advance(1.2)
    (sent,) = [e for e in server.network.timeline(f"kpn.{LORA_UUID}") if e.kind == "sent"]
    assert type(sent.downlinks[0].f_port) is int
