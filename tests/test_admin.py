"""The admin API acts on the same objects as the Python API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")


def test_health_names_providers_and_clock(client):
    body = client.get("/_mock/health").json()
    assert body["status"] == "ok"
    assert body["providers"]["tts"] == ["/api/v3"]
    assert "/core/v141/api" in body["providers"]["thingpark"]
    assert body["providers"]["ttnv2"] == [
        "/ttn",
        "/ttn-eu",
        "/ttn-us-west",
        "/ttn-brazil",
        "/ttn-asia-se",
    ]
    assert body["clock"] == {"kind": "virtual", "now": "2026-01-01T00:00:00Z"}


def test_queue_seen_through_admin_is_the_queue_the_api_filled(client, server):
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 2, "frm_payload": "AQI="}]})
    queue = client.get("/_mock/devices/app1.dev1/queue").json()
    assert [(d["f_port"], d["frm_payload"]) for d in queue] == [(2, "AQI=")]
    assert queue[0]["correlation_ids"][0].startswith("as:downlink:")
    assert len(server.network.get("app1.dev1").queue) == 1
    assert client.delete("/_mock/devices/app1.dev1/queue").status_code == 204
    assert len(server.network.get("app1.dev1").queue) == 0


def test_devices_crud(client, server):
    created = client.post(
        "/_mock/devices",
        json={
            "provider": "tts",
            "application_id": "app1",
            "id": "sensor-9",
            "dev_eui": "70B3D57ED00000A9",
            "class": "C",
            "session": {"dev_addr": "260B00A9"},
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["class"] == "C"
    assert (
        client.post(
            PUSH.replace("dev1", "sensor-9"),
            headers=AUTH,
            json={"downlinks": [{"f_port": 1, "frm_payload": "AA=="}]},
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/_mock/devices", json={"provider": "tts", "application_id": "app1", "id": "sensor-9"}
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/_mock/devices", json={"provider": "tts", "application_id": "app1", "id": "Bad_Id"}
        ).status_code
        == 400
    )
    patched = client.patch("/_mock/devices/app1.sensor-9", json={"class": "A", "session": None})
    assert patched.json()["class"] == "A" and patched.json()["session"] is None
    assert client.delete("/_mock/devices/app1.sensor-9").status_code == 204
    assert client.get("/_mock/devices/app1.sensor-9").status_code == 404
    assert server.network.find("app1.sensor-9") is None


def test_journal_records_each_exchange_with_its_validation_result(client):
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 300, "frm_payload": "AA=="}]})
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 3, "frm_payload": "AA=="}]})
    entries = client.get("/_mock/journal").json()
    assert [(e["response"]["status"], e["valid"]) for e in entries] == [(400, False), (200, True)]
    assert entries[0]["operation"] == "tts.WebhookDownlinkQueuePush"
    assert entries[0]["violations"][0]["where"] == "body.downlinks[0].f_port"
    assert entries[0]["request"]["body"]["downlinks"][0]["f_port"] == 300
    assert client.get("/_mock/journal?limit=1").json()[0]["sequence"] == entries[1]["sequence"]


def test_violations_and_coverage(client, server):
    client.post(PUSH, json={"downlinks": []})  # no credentials: a client violation
    violations = client.get("/_mock/contract/violations").json()["violations"]
    assert [(v["direction"], v["rule"]) for v in violations] == [("request", "security")]
    coverage = client.get("/_mock/contract/coverage").json()
    push = next(
        op for op in coverage["operations"] if op["operation"] == "tts.WebhookDownlinkQueuePush"
    )
    assert push["seen"] == {"401": 1}
    assert push["covered_statuses"] == ["401"]
    assert coverage["operations_exercised"] == 1
    assert coverage["operations_total"] == len(server.contract.operations())
    assert len([op for op in server.contract.operations() if op.spec.provider == "tts"]) == 14


def test_reset_restores_the_world(client, server):
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 1, "frm_payload": "AA=="}]})
    client.post("/_mock/clock/advance", json={"seconds": 60})
    assert client.post("/_mock/reset").status_code == 200
    assert len(server.network.get("app1.dev1").queue) == 0
    assert client.get("/_mock/journal").json() == []
    assert client.get("/_mock/clock").json()["now"] == "2026-01-01T00:00:00Z"


def test_clock_advance_validates_its_input(client):
    assert client.post("/_mock/clock/advance", json={"seconds": -1}).status_code == 400
    assert client.post("/_mock/clock/advance", content=b"{").status_code == 400
    assert client.post("/_mock/clock/advance", json={"seconds": 1.5}).json()["now"] == (
        "2026-01-01T00:00:01.500000Z"
    )


def test_unknown_admin_route_is_a_json_404(client):
    response = client.get("/_mock/nothing")
    assert response.status_code == 404
    assert response.json() == {"error": "no admin route /_mock/nothing"}


def test_paths_outside_every_provider_say_what_is_served(client):
    response = client.get("/somewhere")
    assert response.status_code == 404
    assert response.json()["error"] == "no simulated API is served at this path"


@pytest.mark.parametrize("application_id", ["nope", "app1.dev1", "a.b", {"a": 1}, ["app1"], 5])
def test_a_tts_device_is_only_created_in_an_application_of_the_world(client, application_id):
    response = client.post(
        "/_mock/devices",
        json={"provider": "tts", "application_id": application_id, "id": "sensor-7"},
    )
    assert response.status_code == 400
    assert "not an application of the world" in response.json()["error"]
    assert client.get("/_mock/devices").status_code == 200  # listing still works


@pytest.mark.parametrize(
    "content",
    [
        b'{"seconds": 1e300}',
        b'{"seconds": Infinity}',
        b'{"seconds": -Infinity}',
        b'{"seconds": NaN}',
        b'{"seconds": ' + b"9" * 5000 + b"}",
        b'{"seconds": 3155760001}',  # 100 years and a second
        b'{"seconds": true}',
        b'{"seconds": "60"}',
    ],
    ids=["1e300", "inf", "-inf", "nan", "5000 digits", "over 100 years", "bool", "string"],
)
def test_an_absurd_clock_advance_is_refused_before_the_clock_moves(client, content):
    response = client.post("/_mock/clock/advance", content=content)
    assert response.status_code == 400, response.text
    assert "seconds" in response.json()["error"] or "not JSON" in response.json()["error"]
    assert client.get("/_mock/clock").json()["now"] == "2026-01-01T00:00:00Z"
    assert client.post("/_mock/clock/advance", json={"seconds": 1}).status_code == 200


def test_the_clock_advances_a_hundred_years_but_not_past_the_year_9999(client, server):
    century = 100 * 365.25 * 86_400
    response = client.post("/_mock/clock/advance", json={"seconds": century})
    assert response.json()["now"] == "2126-01-02T00:00:00Z"
    server.clock.advance_to(datetime(9999, 6, 1, tzinfo=UTC))
    response = client.post("/_mock/clock/advance", json={"seconds": 365 * 86_400})
    assert response.status_code == 400
    assert response.json() == {"error": "the clock cannot go past the year 9999"}
    assert client.get("/_mock/clock").json()["now"] == "9999-06-01T00:00:00Z"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"band": "XX"}, "unknown band 'XX'"),
        ({"band": 868}, "band must be a string"),
        ({"rx1_delay": 1e300}, "rx1_delay"),
        ({"rx1_delay": 0}, "rx1_delay"),
        ({"rx1_delay": 16}, "rx1_delay"),
        ({"rx1_delay": 1.5}, "rx1_delay"),
        ({"rx1_delay": True}, "rx1_delay"),
        ({"rx1_delay": "5"}, "rx1_delay"),
        ({"session": {"dev_addr": "1FFFFFFFF"}}, "dev_addr"),
        ({"session": {"dev_addr": 12345678}}, "dev_addr"),
        ({"session": "260B0001"}, "session"),
        ({"class": "C", "band": "EU868", "rx1_delay": 99}, "rx1_delay"),  # none applied
    ],
)
def test_a_patch_that_would_break_later_uplinks_is_refused_and_changes_nothing(
    client, change, reason
):
    before = client.get("/_mock/devices/app1.dev1").json()
    response = client.patch("/_mock/devices/app1.dev1", json=change)
    assert response.status_code == 400, response.text
    assert reason in response.json()["error"]
    assert client.get("/_mock/devices/app1.dev1").json() == before
    uplink = client.post("/_mock/devices/app1.dev1/uplinks", json={"f_port": 1})
    assert uplink.status_code == 201, uplink.text
    assert client.post("/_mock/clock/run-until-idle").status_code == 200


def test_a_valid_patch_of_band_and_rx1_delay_is_used_by_the_next_uplink(client, server):
    response = client.patch("/_mock/devices/app1.dev1", json={"band": "us915", "rx1_delay": 2.0})
    assert response.status_code == 200, response.text
    assert (response.json()["band"], response.json()["rx1_delay"]) == ("us915", 2.0)
    uplink = client.post(
        "/_mock/devices/app1.dev1/uplinks",
        json={"f_port": 1, "data_rate": 0, "frequency": 902_300_000},
    )
    assert uplink.status_code == 201, uplink.text


@pytest.mark.parametrize("provider", [[], {}, 1, None, "nope"])
def test_creating_a_device_of_no_known_provider_is_400(client, provider):
    response = client.post("/_mock/devices", json={"provider": provider, "id": "x"})
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "unknown provider"}


@pytest.mark.parametrize(
    "uplink",
    [
        {"f_port": True},
        {"f_port": "x"},
        {"f_port": 1.5},
        {"data_rate": "5"},
        {"frequency": [868100000]},
        {"confirmed": "yes"},
        {"ack": 1},
        {"frm_payload": 5},
    ],
)
def test_an_uplink_with_a_field_of_the_wrong_type_is_a_clear_400(client, server, uplink):
    response = client.post("/_mock/devices/app1.dev1/uplinks", json=uplink)
    assert response.status_code == 400
    assert response.json()["error"].startswith("invalid uplink: ")
    assert "supported" not in response.text  # no Python wording
    assert client.post("/_mock/devices/app1.dev1/uplinks", json={"f_port": 1}).status_code == 201


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("GET", "/_mock/devices/app1.nope", None, "no device 'app1.nope'"),
        ("PATCH", "/_mock/devices/app1.nope", {"class": "C"}, "no device 'app1.nope'"),
        ("DELETE", "/_mock/devices/app1.nope", None, "no device 'app1.nope'"),
        ("GET", "/_mock/devices/app1.nope/queue", None, "no device 'app1.nope'"),
        ("DELETE", "/_mock/devices/app1.nope/queue", None, "no device 'app1.nope'"),
        ("GET", "/_mock/devices/app1.nope/events", None, "no device 'app1.nope'"),
        ("POST", "/_mock/devices/app1.nope/uplinks", {"f_port": 1}, "no device 'app1.nope'"),
        ("DELETE", "/_mock/tenants/x", None, "no tenant 'x'"),
    ],
)
def test_a_404_says_what_was_not_found(client, method, path, body, message):
    response = client.request(method, path, json=body)
    assert response.status_code == 404
    assert response.json() == {"error": message}


def test_tenants_asked_of_a_tenant_say_the_home_server_has_them(client):
    tenant = {"X-Mockserver-Tenant": "t1"}
    listed = client.get("/_mock/tenants", headers=tenant)
    assert (listed.status_code, listed.json()) == (
        404,
        {"error": "tenants are listed by the home server (no tenant header)"},
    )
    dropped = client.delete("/_mock/tenants/t1", headers=tenant)
    assert (dropped.status_code, dropped.json()) == (
        404,
        {"error": "tenants are dropped by the home server (no tenant header)"},
    )


def test_a_method_a_route_lacks_is_a_405_naming_the_allowed_ones(client):
    response = client.get("/_mock/clock/advance")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {
        "error": "GET is not allowed on /_mock/clock/advance (allowed: POST)"
    }


def test_a_patch_to_an_unknown_class_lists_the_classes(client):
    response = client.patch("/_mock/devices/app1.dev1", json={"class": "D"})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid change: class must be one of A, B, C"}


@pytest.mark.parametrize(
    ("method", "path", "content", "message"),
    [
        ("POST", "/_mock/clock/advance", b"", 'the body must be a JSON object: {"seconds": N}'),
        ("POST", "/_mock/clock/advance", b"{}", 'seconds is required: {"seconds": N}'),
        (
            "POST",
            "/_mock/clock/advance",
            b'{"second": 60}',
            "unknown field 'second' (a clock advance takes seconds)",
        ),
        ("PATCH", "/_mock/devices/app1.dev1", b"", "the body must be a JSON object of the"),
        (
            "PATCH",
            "/_mock/devices/app1.dev1",
            b'{"clas": "C"}',
            "unknown field 'clas' (a PATCH takes band, class, rx1_delay, session)",
        ),
        (
            "PATCH",
            "/_mock/devices/app1.dev1",
            b'{"session": {}}',
            "invalid change: session.dev_addr must be 8 hex digits",
        ),
        (
            "PATCH",
            "/_mock/devices/app1.dev1",
            b'{"session": {"dev_addr": "260B0001", "nwk_s_key": "00"}}',
            "unknown field 'nwk_s_key' (session takes dev_addr)",
        ),
        ("POST", "/_mock/devices", b"", "the body must be a JSON object describing the device"),
        (
            "POST",
            "/_mock/devices/app1.dev1/uplinks",
            b'{"fport": 2}',
            "unknown field 'fport' (an uplink takes ack, confirmed, data_rate, f_port, "
            "frequency, frm_payload)",
        ),
        ("PUT", "/_mock/scenario", b"", "the body must name a bundled scenario"),
    ],
    ids=[
        "advance: no body",
        "advance: no seconds",
        "advance: misspelt",
        "patch: no body",
        "patch: misspelt",
        "patch: empty session",
        "patch: session field",
        "create: no body",
        "uplink: misspelt",
        "scenario: no body",
    ],
)
def test_a_missing_or_misspelt_body_is_a_400_that_changes_nothing(
    client, method, path, content, message
):
    before = [client.get(where).json() for where in STATE]
    response = client.request(method, path, content=content)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(message)
    assert [client.get(where).json() for where in STATE] == before


STATE = (
    "/_mock/clock",
    "/_mock/devices",
    "/_mock/devices/app1.dev1/events",
    "/_mock/scenario",
)


def test_the_journal_limit_is_a_whole_number(client):
    client.post(PUSH, headers=AUTH, json={"downlinks": []})
    client.post(PUSH, headers=AUTH, json={"downlinks": []})
    assert len(client.get("/_mock/journal?limit=1").json()) == 1
    assert client.get("/_mock/journal?limit=0").json() == []
    for bad in ("x", "-1", "1.5", "²"):
        response = client.get("/_mock/journal", params={"limit": bad})
        assert response.status_code == 400
        assert response.json() == {"error": "limit must be a whole number (the last N entries)"}
