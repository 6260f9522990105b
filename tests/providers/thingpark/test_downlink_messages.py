"""`…/devices/{device}/downlinkMessages`: addressing, body, flags, LRC codes, the queue."""

from __future__ import annotations

import copy

import pytest
import yaml

from mockserver.world import DEFAULT_WORLD
from tests.providers.thingpark.helpers import (
    AS_ID,
    AS_KEY,
    BASES,
    CLASS_A_EUI,
    CLASS_A_REF,
    CLASS_C_REF,
    assert_dx_error,
    bearer,
    messages_url,
    token,
)

SEND = {"payloadHex": "0102", "targetPorts": "1"}


def queue(server, ref: str = CLASS_A_REF):
    return server.network.get(f"thingpark.{ref}").queue.snapshot()


def listing(client, auth, device: str = CLASS_A_REF):
    response = client.get(messages_url(device), headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


# -- addressing -------------------------------------------------------------------------------
@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize(
    "device", [CLASS_A_REF, CLASS_A_EUI, CLASS_A_EUI.lower(), "0018b20000000001", "e" + CLASS_A_EUI]
)
def test_every_base_path_and_device_form_reach_the_same_queue(client, server, auth, base, device):
    response = client.post(messages_url(device, base), json=SEND, headers=auth)
    assert response.status_code == 200, response.text
    assert [d.frm_payload for d in queue(server)] == [b"\x01\x02"]
    assert client.get(messages_url(device, base), headers=auth).status_code == 200


@pytest.mark.parametrize(
    "device",
    ["9999", "0018B20000000009", "e0018b20000000001", "E0018B20000000001", "x", "0018B2000000000"],
)
def test_unknown_device_is_404(client, server, auth, device):
    for method in ("GET", "POST"):
        response = client.request(method, messages_url(device), json=SEND, headers=auth)
        assert_dx_error(response, 404, 404, f"Device not found: {device}")
    assert queue(server) == []


def test_unknown_route_and_wrong_method_keep_the_dx_error_shape(client, auth):
    assert_dx_error(
        client.get("/core/v141/api/devices", headers=auth), 404, 404, "Resource not found"
    )
    assert_dx_error(
        client.delete(messages_url(), headers=auth), 405, 405, "Method DELETE not allowed"
    )


# -- success ----------------------------------------------------------------------------------
def test_success_echoes_the_request_with_status_and_a_generated_correlation_id(client, auth):
    body = {**SEND, "securityParams": {"asId": AS_ID, "asKey": AS_KEY}, "confirmDownlink": True}
    response = client.post(messages_url(), json=body, headers=auth)
    assert response.status_code == 200, response.text
    echoed = response.json()
    correlation = echoed.pop("correlationID")
    assert len(correlation) == 16 and correlation == correlation.upper()
    int(correlation, 16)
    assert echoed == {**body, "status": "QUEUED"}


def test_the_clients_correlation_id_is_echoed_and_kept(client, server, auth):
    response = client.post(
        messages_url(), json={**SEND, "correlationID": "4434704901C7450B"}, headers=auth
    )
    assert response.json()["correlationID"] == "4434704901C7450B"
    assert queue(server)[0].correlation_ids == ("4434704901C7450B",)


def test_a_decimal_epoch_correlation_id_is_read_as_short_hex(client, server, auth):
    """cumulocity-lora sends epoch milliseconds as a decimal string."""
    response = client.post(
        messages_url(), json={**SEND, "correlationID": "1767225600000"}, headers=auth
    )
    assert response.status_code == 200
    assert response.json()["correlationID"] == "1767225600000"
    assert queue(server)[0].correlation_ids == ("0001767225600000",)


@pytest.mark.parametrize(
    ("ports", "expected"), [("1", 1), (2, 2), ("224", 224), (" 7 ", 7), ("\t7\n", 7)]
)
def test_target_ports_as_string_or_int(client, server, auth, ports, expected):
    response = client.post(
        messages_url(), json={"payloadHex": "AA", "targetPorts": ports}, headers=auth
    )
    assert response.status_code == 200, response.text
    assert response.json()["targetPorts"] == ports
    assert queue(server)[0].f_port == expected


@pytest.mark.parametrize(
    ("query", "body", "confirmed"),
    [
        ("", {}, False),
        ("confirmDownlink=true", {}, True),
        ("confirmDownlink=false", {"confirmDownlink": True}, False),
        ("", {"confirmDownlink": True}, True),
        ("", {"confirmDownlink": "true"}, True),
        ("confirmDownlink=1", {}, True),
        ("confirmDownlink=", {"confirmDownlink": True}, True),
    ],
)
def test_confirm_flag_from_query_or_body(client, server, auth, query, body, confirmed):
    url = messages_url() + (f"?{query}" if query else "")
    response = client.post(url, json={**SEND, **body}, headers=auth)
    assert response.status_code == 200, response.text
    assert queue(server)[0].confirmed is confirmed


@pytest.mark.parametrize(
    ("query", "body", "message"),
    [
        ("confirmDownlink=maybe", {}, "Invalid value for query parameter confirmDownlink: maybe"),
        ("flushDownlinkQueue=2", {}, "Invalid value for query parameter flushDownlinkQueue: 2"),
        ("", {"confirmDownlink": 1}, "Invalid value for confirmDownlink"),
        ("", {"flushDownlinkQueue": "yes"}, "Invalid value for flushDownlinkQueue"),
        ("", {"payloadHex": 12}, "Invalid value for payloadHex"),
        ("", {"securityParams": "x"}, "Invalid value for securityParams"),
    ],
)
def test_bad_flag_and_field_types_are_400(client, server, auth, query, body, message):
    url = messages_url() + (f"?{query}" if query else "")
    response = client.post(url, json={**SEND, **body}, headers=auth)
    assert_dx_error(response, 400, 400, message)
    assert queue(server) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "Malformed JSON request body"),
        (b"[1]", "The request body must be a JSON object"),
        (b'"x"', "The request body must be a JSON object"),
    ],
)
def test_malformed_bodies_are_400(client, auth, content, message):
    response = client.post(
        messages_url(), content=content, headers={**auth, "Content-Type": "application/json"}
    )
    assert_dx_error(response, 400, 400, message)


# -- LRC rejections ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"payloadHex": "010", "targetPorts": "1"}, 113, "Payload too big or invalid size"),
        ({"payloadHex": "0G", "targetPorts": "1"}, 113, "Payload too big or invalid size"),
        ({"payloadHex": "00" * 251, "targetPorts": "1"}, 113, "Payload too big or invalid size"),
        ({"payloadHex": "", "targetPorts": "1"}, 118, "Invalid payload, must not be empty"),
        ({"targetPorts": "1"}, 118, "Invalid payload, must not be empty"),
        ({}, 118, "Invalid payload, must not be empty"),
        ({"payloadHex": "01", "targetPorts": "0"}, 104, "Invalid LoRa port (must be 1..224)"),
        ({"payloadHex": "01", "targetPorts": 225}, 104, "Invalid LoRa port (must be 1..224)"),
        ({"payloadHex": "01", "targetPorts": "1,2"}, 104, "Invalid LoRa port (must be 1..224)"),
        ({"payloadHex": "01", "targetPorts": True}, 104, "Invalid LoRa port (must be 1..224)"),
        ({"payloadHex": "01"}, 104, "Invalid LoRa port (must be 1..224)"),
        (
            {**SEND, "correlationID": "XYZ"},
            117,
            "Invalid Correlation ID (must be 64-bit hex)",
        ),
        (
            {**SEND, "correlationID": "0" * 17},
            117,
            "Invalid Correlation ID (must be 64-bit hex)",
        ),
        ({**SEND, "securityParams": {}}, 105, "Security Check: AS_ID is mandatory"),
        ({**SEND, "securityParams": {"asId": "other"}}, 107, "Bad AS_ID"),
        (
            {**SEND, "securityParams": {"asId": AS_ID, "asKey": "0" * 32}},
            107,
            "Bad AS_ID",
        ),
    ],
)
def test_lrc_rejections(client, server, auth, body, code, message):
    response = client.post(messages_url(), json=body, headers=auth)
    assert_dx_error(response, 409, code, message)
    assert queue(server) == []


def test_largest_payload_is_accepted(client, auth):
    response = client.post(
        messages_url(), json={"payloadHex": "ab" * 250, "targetPorts": "1"}, headers=auth
    )
    assert response.status_code == 200, response.text


def _world_with(**device_settings) -> dict:
    world = copy.deepcopy(yaml.safe_load(DEFAULT_WORLD.read_text(encoding="utf-8")))
    world["thingpark"]["devices"][0].update(device_settings)
    return world


@pytest.mark.parametrize(
    ("settings", "body", "code", "message"),
    [
        (
            {"confirmed_downlinks": False},
            {**SEND, "confirmDownlink": True},
            103,
            "Confirmed downlink not authorized for this device",
        ),
        ({"security_params_required": True}, SEND, 105, "Security Check: AS_ID is mandatory"),
        ({"downlinks_disabled": True}, SEND, 114, "Downlink transmission disabled"),
    ],
)
def test_device_profile_rules(client, server, settings, body, code, message):
    server.reset(_world_with(**settings))
    auth = bearer(token(client))
    assert_dx_error(client.post(messages_url(), json=body, headers=auth), 409, code, message)
    assert queue(server) == []


def test_security_params_required_and_given(client, server):
    server.reset(_world_with(security_params_required=True))
    auth = bearer(token(client))
    body = {**SEND, "securityParams": {"asId": AS_ID, "asKey": AS_KEY, "creationTime": "x"}}
    assert client.post(messages_url(), json=body, headers=auth).status_code == 200


def test_rejection_status_is_configurable(client, server):
    world = _world_with()
    world["thingpark"]["rejection_status"] = 400
    server.reset(world)
    response = client.post(messages_url(), json={"payloadHex": "0"}, headers=bearer(token(client)))
    assert_dx_error(response, 400, 113, "Payload too big or invalid size")


# -- queue ------------------------------------------------------------------------------------
def test_queue_is_fifo_and_get_lists_it(client, server, auth):
    ids = []
    for payload in ("01", "02", "03"):
        response = client.post(
            messages_url(), json={"payloadHex": payload, "targetPorts": "5"}, headers=auth
        )
        ids.append(response.json()["correlationID"])
    listed = listing(client, auth)
    assert [item["payloadHex"] for item in listed] == ["01", "02", "03"]
    assert [item["correlationID"] for item in listed] == ids
    assert all(item["status"] == "QUEUED" for item in listed)
    assert listing(client, auth, CLASS_C_REF) == []


def test_flush_purges_before_insert(client, server, auth):
    for payload in ("01", "02"):
        client.post(messages_url(), json={"payloadHex": payload, "targetPorts": "1"}, headers=auth)
    response = client.post(
        messages_url() + "?flushDownlinkQueue=true",
        json={"payloadHex": "03", "targetPorts": "1"},
        headers=auth,
    )
    assert response.status_code == 200
    assert response.json()["flushDownlinkQueue"] is True
    assert [item["payloadHex"] for item in listing(client, auth)] == ["03"]


def test_flush_without_payload_empties_the_queue(client, server, auth):
    client.post(messages_url(), json=SEND, headers=auth)
    response = client.post(messages_url(), json={"flushDownlinkQueue": True}, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "FLUSHED"
    assert listing(client, auth) == []


def test_flush_with_a_bad_payload_changes_nothing(client, server, auth):
    client.post(messages_url(), json=SEND, headers=auth)
    response = client.post(
        messages_url(), json={"payloadHex": "1", "flushDownlinkQueue": True}, headers=auth
    )
    assert response.status_code == 409
    assert [item["payloadHex"] for item in listing(client, auth)] == ["0102"]


def test_admin_queued_downlinks_are_listed_in_dx_names(client, server, auth):
    from mockserver.core import Downlink

    device = server.network.get("thingpark.1001")
    server.network.push(device, [Downlink(f_port=3, frm_payload=b"\xab", correlation_ids=("c",))])
    server.network.push(device, [Downlink(f_port=4, frm_payload=b"", correlation_ids=("as:x",))])
    assert listing(client, auth) == [
        {
            "payloadHex": "AB",
            "targetPorts": "3",
            "correlationID": "c",
            "confirmDownlink": False,
            "status": "QUEUED",
        },
        {
            "payloadHex": "",
            "targetPorts": "4",
            "correlationID": "0000000000000000",
            "confirmDownlink": False,
            "status": "QUEUED",
        },
    ]


# -- values that only look valid --------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        # `$` also matches before a trailing newline: these passed the hex check, then failed
        # in bytes.fromhex (500) or were queued with the newline.
        ({"payloadHex": "ABC\n", "targetPorts": "1"}, 113, "Payload too big or invalid size"),
        ({"payloadHex": "ABCDE\n", "targetPorts": "1"}, 113, "Payload too big or invalid size"),
        (
            {**SEND, "correlationID": "0A\n"},
            117,
            "Invalid Correlation ID (must be 64-bit hex)",
        ),
        (
            {**SEND, "correlationID": "00000000000000AA\n"},
            117,
            "Invalid Correlation ID (must be 64-bit hex)",
        ),
        # `\d` and int() read any Unicode decimal digit: Arabic-Indic one, fullwidth one.
        ({"payloadHex": "01", "targetPorts": "\u0661"}, 104, "Invalid LoRa port (must be 1..224)"),
        ({"payloadHex": "01", "targetPorts": "\uff11"}, 104, "Invalid LoRa port (must be 1..224)"),
        # Java's trim() removes ASCII controls and spaces only, not a no-break space.
        ({"payloadHex": "01", "targetPorts": "\u00a07"}, 104, "Invalid LoRa port (must be 1..224)"),
    ],
)
def test_look_alike_values_get_the_lrc_rejection(client, server, auth, body, code, message):
    response = client.post(messages_url(), json=body, headers=auth)
    assert_dx_error(response, 409, code, message)
    assert queue(server) == []


def test_null_fields_are_absent_and_not_echoed(client, server, auth):
    """JSON null reads as "not given" (Jackson leaves the field null) and is not echoed:
    the answer never carries a null where the description has a boolean or an object."""
    body = {
        **SEND,
        "confirmDownlink": None,
        "flushDownlinkQueue": None,
        "securityParams": None,
        "correlationID": None,
    }
    response = client.post(messages_url(), json=body, headers=auth)
    assert response.status_code == 200, response.text
    echoed = response.json()
    assert set(echoed) == {"payloadHex", "targetPorts", "correlationID", "status"}
    assert len(echoed["correlationID"]) == 16
    assert queue(server)[0].confirmed is False
    assert listing(client, auth) == [echoed]


def test_flush_with_null_payload_and_port(client, server, auth):
    client.post(messages_url(), json=SEND, headers=auth)
    body = {"payloadHex": None, "targetPorts": None, "flushDownlinkQueue": True}
    response = client.post(messages_url(), json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"flushDownlinkQueue", "correlationID", "status"}
    assert response.json()["status"] == "FLUSHED"
    assert queue(server) == []


def test_admin_queued_correlation_id_with_a_newline_is_not_listed(client, server, auth):
    from mockserver.core import Downlink

    device = server.network.get("thingpark.1001")
    server.network.push(
        device, [Downlink(f_port=3, frm_payload=b"\xab", correlation_ids=("0A\n",))]
    )
    assert listing(client, auth)[0]["correlationID"] == "0000000000000000"
