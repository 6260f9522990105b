"""Lists: limit, opaque cursors and absolute links that work, sort, filters and `q`."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from mockserver.contract.documents import bundled_specs_dir, load_specs
from mockserver.providers.kpn.listing import FILTERS
from tests.providers.kpn.helpers import (
    LORA_UUID,
    PROTOCOLS,
    SMS_IMEI,
    assert_problem,
    create,
)


def follow(client, auth, link: str) -> dict:
    parts = urlsplit(link)
    assert parts.scheme == "http" and parts.netloc == "mockserver.invalid"  # the request's host
    response = client.get(f"{parts.path}?{parts.query}", headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("api", PROTOCOLS)
def test_an_empty_list_has_items_and_no_links(client, auth, api):
    assert client.get(f"/{api}/downlinks", headers=auth).json() == {"items": []}


def test_limit_defaults_to_50(client, auth):
    for _ in range(51):
        create(client, auth, "mqtt")
    page = client.get("/mqtt/downlinks", headers=auth).json()
    assert len(page["items"]) == 50
    assert "next" in page and "prev" not in page


def test_next_and_prev_links_walk_the_whole_list(server, client, auth):
    ids = []
    for _ in range(5):
        ids.append(create(client, auth, "sms")["id"])
        server.clock.advance(1)
    first = client.get("/sms/downlinks", params={"limit": 2}, headers=auth).json()
    assert [item["id"] for item in first["items"]] == ids[:2]
    second = follow(client, auth, first["next"])
    third = follow(client, auth, second["next"])
    assert [item["id"] for item in second["items"]] == ids[2:4]
    assert [item["id"] for item in third["items"]] == ids[4:]
    assert "next" not in third
    assert follow(client, auth, second["prev"]) == first
    assert parse_qs(urlsplit(first["next"]).query)["limit"] == ["2"]


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize("limit", ["0", "-1", "1001", "many"])
def test_bad_limits_are_400(client, auth, limit):
    assert_problem(client.get("/lora/downlinks", params={"limit": limit}, headers=auth), 400)


def test_tampered_or_foreign_cursors_are_400(server, client, auth):
    for _ in range(3):
        create(client, auth, "sms")
    page = client.get("/sms/downlinks", params={"limit": 1}, headers=auth).json()
    cursor = parse_qs(urlsplit(page["next"]).query)["cursor"][0]
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[-3] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    for bad in (tampered, "garbage!", "AAAA"):
        response = client.get("/sms/downlinks", params={"cursor": bad}, headers=auth)
        assert_problem(response, 400, "cursor")
    other_query = {"cursor": cursor, "status": "DONE"}
    assert_problem(client.get("/sms/downlinks", params=other_query, headers=auth), 400, "cursor")


def test_sort_by_fields_of_the_representation(server, client, auth):
    first = create(client, auth, "sms")
    server.clock.advance(10)
    second = create(client, auth, "sms", retryLimit=3)
    server.clock.advance(1)  # first is DONE (5 s carrier delay), second EXECUTING
    third = create(client, auth, "sms", retryLimit=1)  # PENDING

    def order(sort: str) -> list[str]:
        page = client.get("/sms/downlinks", params={"sort": sort}, headers=auth).json()
        return [item["id"] for item in page["items"]]

    assert order("createdAt") == [first["id"], second["id"], third["id"]]
    assert order("-createdAt") == [third["id"], second["id"], first["id"]]
    assert order("-retryLimit") == [second["id"], third["id"], first["id"]]
    assert order("-status") == [third["id"], second["id"], first["id"]]
    assert order("dryRun,-createdAt") == [third["id"], second["id"], first["id"]]


def test_sorting_by_an_unknown_field_is_400(client, auth):
    response = client.get("/lora/downlinks", params={"sort": "colour"}, headers=auth)
    assert_problem(response, 400, "colour")
    response = client.get("/downlinks", params={"sort": "deviceId"}, headers=auth)
    assert_problem(response, 400, "deviceId")


def test_filters_device_status_and_times(server, client, auth):
    early = create(client, auth, "lora")
    server.clock.advance(60)
    late = create(client, auth, "lora", deviceId="deveui:0004A30B001A2B3C")
    client.delete(f"/lora/downlinks/{early['id']}", headers=auth)

    def ids(**params: str) -> list[str]:
        page = client.get("/lora/downlinks", params=params, headers=auth).json()
        return [item["id"] for item in page["items"]]

    both = [early["id"], late["id"]]
    assert ids(deviceId=LORA_UUID) == both  # any form naming the device
    assert ids(deviceId="urn:dev:DEVEUI:0004A30B001A2B3C:") == both
    assert ids(deviceId="deveui:0004a30b001a2b3d") == []
    assert ids(status="DONE") == [early["id"]]
    assert ids(status="PENDING") == [late["id"]]
    assert ids(createdBefore="2026-01-01T00:01:00Z") == [early["id"]]
    assert ids(createdSince="2026-01-01T00:01:00Z") == [late["id"]]  # inclusive
    assert ids(createdSince="2026-01-01T00:01:00.001Z") == []
    assert ids(modifiedSince="2026-01-01T00:01:00Z") == both  # the cancel modified `early`
    assert ids(modifiedBefore="2026-01-01T00:01:00Z") == []


@pytest.mark.mockserver_allow_violations
def test_filter_values_that_break_the_spec_are_400(client, auth):
    bad = [
        {"status": "LOST"},
        {"createdBefore": "yesterday"},
        {"deviceId": "not-a-device"},
    ]
    for params in bad:
        assert_problem(client.get("/lora/downlinks", params=params, headers=auth), 400)


def _actuator(client, auth, bn: str, value: str) -> dict:
    response = client.post(
        "/downlinks",
        json={"instruction": [{"bn": bn, "n": "cmd", "vs": value}], "method": {"protocol": "LORA"}},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_q_matches_tags_exactly_and_network_id_or_message_partially(client, auth):
    one = _actuator(client, auth, "urn:dev:DEVEUI:0004A30B001A2B3C:", "0A0B")
    two = _actuator(client, auth, "urn:dev:deveui:0004a30b001a2b3c:", "FFEE")

    def ids(q: str) -> list[str]:
        page = client.get("/downlinks", params={"q": q}, headers=auth).json()
        return [item["id"] for item in page["items"]]

    assert ids("demo-lora") == [one["id"], two["id"]]  # the device's tag, exactly
    assert ids("demo-lor") == []
    assert ids("DEVEUI:0004A3") == [one["id"]]  # part of networkId, case-sensitive
    assert ids("FFEE") == [two["id"]]  # part of the message
    assert ids("ffee") == []


# -- links behind proxies ----------------------------------------------------------------------
def _next_link(client, auth, headers: dict[str, str]) -> str:
    create(client, auth, "sms")
    create(client, auth, "sms")
    page = client.get("/sms/downlinks", params={"limit": 1}, headers={**auth, **headers}).json()
    return page["next"]


@pytest.mark.parametrize(
    ("headers", "base"),
    [
        ({}, "http://mockserver.invalid"),
        (
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example.com:8443"},
            "https://api.example.com:8443",
        ),
        ({"X-Forwarded-Proto": "HTTPS, http"}, "https://mockserver.invalid"),
        ({"X-Forwarded-Host": "gw.example.com, proxy.internal"}, "http://gw.example.com"),
        ({"X-Forwarded-Host": "[2001:db8::1]:8080"}, "http://[2001:db8::1]:8080"),
        ({"X-Forwarded-Proto": "javascript"}, "http://mockserver.invalid"),
        ({"X-Forwarded-Proto": "ht tp://x"}, "http://mockserver.invalid"),
        ({"X-Forwarded-Host": "evil.example/x?y#"}, "http://mockserver.invalid"),
        ({"X-Forwarded-Host": "a b"}, "http://mockserver.invalid"),
        ({"X-Forwarded-Host": "host:99999"}, "http://mockserver.invalid"),
        ({"X-Forwarded-Host": "[zz::1]"}, "http://mockserver.invalid"),
        ({"X-Forwarded-Host": "user@host"}, "http://mockserver.invalid"),
        ({"Host": "bad host/"}, "PUBLIC"),
        ({"Host": "", "X-Forwarded-Host": "x:"}, "PUBLIC"),
    ],
    ids=[
        "plain",
        "proxy",
        "first proto",
        "first host",
        "ipv6",
        "scheme",
        "junk scheme",
        "host with path",
        "host with space",
        "port",
        "ipv6 junk",
        "userinfo",
        "bad host header",
        "no host at all",
    ],
)
def test_links_are_valid_absolute_uris_whatever_the_proxy_headers(
    server, client, auth, headers, base
):
    link = _next_link(client, auth, headers)
    expected = server.public_url if base == "PUBLIC" else base
    assert link.startswith(f"{expected}/sms/downlinks?"), link
    parts = urlsplit(link)
    assert parts.scheme in ("http", "https") and parts.netloc and " " not in link
    assert len(follow_anywhere(client, auth, link)["items"]) == 1


def follow_anywhere(client, auth, link: str) -> dict:
    parts = urlsplit(link)
    response = client.get(f"{parts.path}?{parts.query}", headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


# -- filters the spec declares, and only those -------------------------------------------------
def test_each_list_applies_exactly_the_filters_its_spec_declares():
    documents = {
        spec.name.removeprefix("kpn/"): spec.document
        for spec in load_specs(bundled_specs_dir())
        if spec.provider == "kpn"
    }
    files = {"actuator": "downlinks", **{api: f"{api}-downlinks" for api in PROTOCOLS}}
    for api, name in files.items():
        document = documents[name]
        (path,) = [p for p in document["paths"] if p.endswith("/downlinks")]
        declared = set()
        for parameter in document["paths"][path]["get"]["parameters"]:
            if "$ref" in parameter:
                parameter = document["components"]["parameters"][parameter["$ref"].split("/")[-1]]
            declared.add(parameter["name"])
        assert set(FILTERS[api]) == declared - {"cursor", "limit", "sort"}, api


def test_undeclared_query_parameters_are_ignored(server, client, auth):
    """`status`/`deviceId` are not parameters of `/downlinks`, nor `q` of the protocol
    lists: ignored, as a Spring service ignores parameters it does not bind."""
    one = _actuator(client, auth, "urn:dev:DEVEUI:0004A30B001A2B3C:", "0A0B")
    lora = create(client, auth, "lora")

    def ids(path: str, **params: str) -> list[str]:
        page = client.get(path, params=params, headers=auth).json()
        return [item["id"] for item in page["items"]]

    assert ids("/downlinks", status="DONE", deviceId=LORA_UUID) == [one["id"]]
    assert len(ids("/lora/downlinks", q="nothing matches this")) == 2  # one's LoRa downlink too
    first = client.get("/lora/downlinks", params={"limit": 1, "q": "a"}, headers=auth).json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    again = client.get("/lora/downlinks", params={"cursor": cursor, "q": "b"}, headers=auth)
    assert [item["id"] for item in again.json()["items"]] == [lora["id"]]


# -- q and sort ----------------------------------------------------------------------------------
def test_q_matches_values_of_the_message_in_unicode_and_never_its_keys(client, auth):
    request = {
        "instruction": [
            {"bn": "urn:dev:DEVEUI:0004A30B001A2B3C:", "n": "température", "vs": "ça va"},
            {"n": "niveau", "v": 21.5},
        ],
        "method": {"protocol": "SMS"},
    }
    created = client.post("/downlinks", json=request, headers=auth)
    assert created.status_code == 201, created.text
    one = created.json()["id"]

    def ids(q: str) -> list[str]:
        page = client.get("/downlinks", params={"q": q}, headers=auth).json()
        return [item["id"] for item in page["items"]]

    assert ids("température") == [one]
    assert ids("ça") == [one]
    assert ids("mpé") == [one]
    assert ids("21.5") == [one]
    assert ids("Température") == []  # case-sensitive
    assert ids("\\u00e9") == []  # the text, not an escaped form of it
    assert ids("vs") == [] and ids("bn") == [] and ids('"n":') == []  # keys and syntax


def test_sort_by_feedback_timeout_compares_durations(server, client, auth):
    for timeout in ("PT2H", "PT10M", "P1DT0S", "PT90M", "PT600.5S"):
        create(client, auth, "lora", feedbackTimeout=timeout)

    def order(sort: str) -> list[str]:
        page = client.get("/lora/downlinks", params={"sort": sort}, headers=auth).json()
        return [item["feedbackTimeout"] for item in page["items"]]

    shortest_first = ["PT10M", "PT600.5S", "PT90M", "PT2H", "P1DT0S"]
    assert order("feedbackTimeout") == shortest_first
    assert order("-feedbackTimeout") == shortest_first[::-1]


@pytest.mark.mockserver_allow_violations
def test_device_id_names_a_device_and_lists_its_downlinks_in_any_form(client, auth):
    """docs/providers/kpn.md, Lists: resolved like a create's deviceId; unknown → empty."""
    by_urn = create(client, auth, "lora", deviceId="urn:dev:DEVEUI:0004A30B001A2B3C:")
    by_uuid = create(client, auth, "lora", deviceId=LORA_UUID)

    def listed(path: str, device_id: str) -> list[tuple[str, str]]:
        response = client.get(path, params={"deviceId": device_id}, headers=auth)
        assert response.status_code == 200, response.text
        return [(item["id"], item["deviceId"]) for item in response.json()["items"]]

    both = [(by_urn["id"], by_urn["deviceId"]), (by_uuid["id"], LORA_UUID)]
    assert listed("/lora/downlinks", "DEVEUI:0004a30b001a2b3c") == both
    assert listed("/lora/downlinks", LORA_UUID.upper()) == both
    assert listed("/lora/downlinks", "urn:dev:deveui:0004a30b001a2b3c") == both
    assert listed("/lora/downlinks", "00000000-0000-4000-8000-000000000000") == []
    assert listed("/sms/downlinks", LORA_UUID) == []  # a device, but no SMS downlinks
    response = client.get("/sms/downlinks", params={"deviceId": SMS_IMEI}, headers=auth)
    assert_problem(response, 400, "deviceId")  # the SMS spec's deviceId is a UUID only
