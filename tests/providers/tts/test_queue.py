"""Queue semantics over HTTP: push, replace, clear, list, sessions, unknown devices, capacity."""

from __future__ import annotations

import base64
import json
import re

import pytest

from tests.conftest import AUTH
from tests.providers.tts.helpers import (
    APP2_KEY,
    AS_DOWNLINK,
    CAPACITY,
    CAPACITY_MESSAGE,
    NO_SESSION,
    NO_SESSION_MESSAGE,
    app_as_url,
    assert_error,
    bearer,
    body,
    device_not_found,
    list_url,
    queue,
    queues_untouched,
    webhook_url,
)

ROUTES = {
    "webhook": lambda op, device="dev1": webhook_url(op, device),
    "appas": lambda op, device="dev1": app_as_url(op, device),
}


def item(tag: str, f_port: int = 1, **more) -> dict:
    return {"f_port": f_port, "frm_payload": "AQ==", "correlation_ids": [tag], **more}


def tags(server, uid: str = "app1.dev1") -> list[str]:
    return [d.correlation_ids[0] for d in queue(server, uid)]


def send(client, route: str, op: str, *items, device: str = "dev1"):
    response = client.post(ROUTES[route](op, device), content=body(*items), headers=AUTH)
    return response


@pytest.mark.parametrize("route", list(ROUTES))
def test_push_appends_in_order(server, client, route):
    assert send(client, route, "push", item("a"), item("b")).status_code == 200
    assert send(client, route, "push", item("c")).status_code == 200
    assert tags(server) == ["a", "b", "c"]


@pytest.mark.parametrize("route", list(ROUTES))
def test_replace_swaps_the_whole_queue(server, client, route):
    assert send(client, route, "push", item("a"), item("b")).status_code == 200
    assert send(client, route, "replace", item("x"), item("y"), item("z")).status_code == 200
    assert tags(server) == ["x", "y", "z"]
    assert send(client, route, "push", item("after")).status_code == 200
    assert tags(server) == ["x", "y", "z", "after"]


@pytest.mark.parametrize("route", list(ROUTES))
def test_replace_with_an_empty_list_clears(server, client, route):
    assert send(client, route, "push", item("a"), item("b")).status_code == 200
    assert send(client, route, "replace").status_code == 200
    assert queue(server) == []


@pytest.mark.parametrize("route", list(ROUTES))
def test_pushing_an_empty_list_changes_nothing(server, client, route):
    assert send(client, route, "push", item("a")).status_code == 200
    assert send(client, route, "push").status_code == 200
    assert tags(server) == ["a"]


def test_webhook_and_app_as_routes_share_one_queue(server, client):
    assert send(client, "webhook", "push", item("w")).status_code == 200
    assert send(client, "appas", "push", item("g")).status_code == 200
    assert tags(server) == ["w", "g"]
    assert send(client, "appas", "replace", item("r")).status_code == 200
    assert send(client, "webhook", "push", item("w2")).status_code == 200
    assert tags(server) == ["r", "w2"]


def test_queues_are_per_device(server, client):
    assert send(client, "webhook", "push", item("one"), device="dev1").status_code == 200
    assert send(client, "webhook", "push", item("two"), device="dev2").status_code == 200
    assert send(client, "webhook", "replace", device="dev2").status_code == 200
    assert tags(server) == ["one"]
    assert queue(server, "app1.dev2") == []
    assert queue(server, "app2.dev1") == []


# -- list --------------------------------------------------------------------------------------
def test_list_an_empty_queue(server, client):
    response = client.get(list_url(), headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}


def test_list_representation(server, client):
    items = [
        {"f_port": 15, "frm_payload": "vu8=", "priority": "NORMAL"},
        {
            "f_port": 2,
            "frm_payload": "-_8",
            "confirmed": True,
            "priority": 6,
            "correlation_ids": ["mine"],
        },
        {"f_port": 3, "frm_payload": "AQ==", "confirmed": False, "priority": "LOWEST"},
    ]
    response = client.post(webhook_url("push", "dev2"), content=body(*items), headers=AUTH)
    assert response.status_code == 200, response.text
    listed = client.get(list_url("dev2"), headers=AUTH)
    assert listed.status_code == 200, listed.text
    assert listed.headers["content-type"] == "application/json"
    assert "\n" not in listed.text and ": " not in listed.text  # compact
    downlinks = listed.json()["downlinks"]
    ids = [d.pop("correlation_ids") for d in downlinks]
    assert downlinks == [
        {"f_port": 15, "frm_payload": "vu8=", "priority": "NORMAL"},
        {
            "f_port": 2,
            "frm_payload": "+/8=",
            "confirmed": True,
            "priority": "HIGHEST",
            "confirmed_retry": {"attempt": 1},  # a confirmed push is its first attempt
        },
        {"f_port": 3, "frm_payload": "AQ=="},  # zero values (false, LOWEST) omitted
    ]
    assert len(ids[0]) == 1 and AS_DOWNLINK.match(ids[0][0])
    assert ids[1][0] == "mine" and AS_DOWNLINK.match(ids[1][1]) and len(ids[1]) == 2
    # the listed ids are the queued ids
    assert [list(d.correlation_ids) for d in queue(server, "app1.dev2")] == ids
    # proto field order: f_port, frm_payload, confirmed, priority, correlation_ids, retry
    raw = json.loads(listed.text)["downlinks"][1]
    assert list(raw) == [
        "f_port",
        "frm_payload",
        "confirmed",
        "priority",
        "correlation_ids",
        "confirmed_retry",
    ]


def test_list_shows_the_queue_in_order_after_replace(server, client):
    assert send(client, "webhook", "push", item("a"), item("b")).status_code == 200
    assert send(client, "appas", "replace", item("c", 7), item("d", 8)).status_code == 200
    listed = client.get(list_url(), headers=AUTH).json()["downlinks"]
    assert [(d["f_port"], d["correlation_ids"][0]) for d in listed] == [(7, "c"), (8, "d")]


def test_list_of_an_unknown_device(server, client):
    response = client.get(list_url("devx"), headers=AUTH)
    assert response.status_code == 404
    assert response.json()["code"] == 5


# -- sessions and unknown devices ----------------------------------------------------------------
@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("op", ["push", "replace"])
@pytest.mark.parametrize("items", [[], [item("x")]], ids=["empty", "one"])
def test_a_device_without_session(seeded, client, route, op, items):
    with queues_untouched(seeded):
        response = send(client, route, op, *items, device="dev3")
        assert_error(response, 400, NO_SESSION_MESSAGE, NO_SESSION, gateway=route == "appas")
    assert queue(seeded, "app1.dev3") == []


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("op", ["push", "replace"])
def test_an_unknown_device(seeded, client, route, op):
    with queues_untouched(seeded):
        response = send(client, route, op, item("x"), device="devx")
        assert_error(
            response,
            404,
            "error:pkg/applicationserver:device_not_found (device `app1.devx` not found)",
            device_not_found("app1.devx"),
            gateway=route == "appas",
        )


def test_device_uid_names_the_routes_application(seeded, client):
    with queues_untouched(seeded):
        response = client.post(
            webhook_url("push", "devy", app="app2", webhook="wh2"),
            content=body(item("x")),
            headers=bearer(APP2_KEY),
        )
        assert_error(
            response,
            404,
            "error:pkg/applicationserver:device_not_found (device `app2.devy` not found)",
            device_not_found("app2.devy"),
        )


# -- capacity ----------------------------------------------------------------------------------
def _many(count: int, prefix: str) -> bytes:
    return json.dumps(
        {
            "downlinks": [
                {"f_port": 1 + i % 200, "frm_payload": "AQ==", "correlation_ids": [f"{prefix}{i}"]}
                for i in range(count)
            ]
        }
    ).encode()


@pytest.fixture(scope="module")
def full_body() -> bytes:
    return _many(10_000, "full-")


@pytest.fixture(scope="module")
def over_body() -> bytes:
    return _many(10_001, "over-")


def test_capacity_is_10000_per_device(server, client, full_body, over_body):
    response = client.post(webhook_url("replace"), content=full_body, headers=AUTH)
    assert response.status_code == 200, response.text[:300]
    assert len(queue(server)) == 10_000
    first, last = queue(server)[0], queue(server)[-1]
    assert (first.correlation_ids[0], last.correlation_ids[0]) == ("full-0", "full-9999")

    with queues_untouched(server):
        for route in ROUTES:
            response = send(client, route, "push", item("one-more"))
            assert_error(response, 429, CAPACITY_MESSAGE, CAPACITY, gateway=route == "appas")
        response = client.post(webhook_url("replace"), content=over_body, headers=AUTH)
        assert_error(response, 429, CAPACITY_MESSAGE, CAPACITY)
        # pushing nothing onto a full queue leaves it at capacity: allowed
        assert send(client, "webhook", "push").status_code == 200
    assert len(queue(server)) == 10_000

    # the full queue can still be replaced
    assert send(client, "webhook", "replace", item("fresh")).status_code == 200
    assert tags(server) == ["fresh"]


def test_replace_with_more_than_capacity_is_429(seeded, client, over_body):
    with queues_untouched(seeded):
        response = client.post(webhook_url("replace"), content=over_body, headers=AUTH)
        assert_error(response, 429, CAPACITY_MESSAGE, CAPACITY)
        response = client.post(app_as_url("replace"), content=over_body, headers=AUTH)
        assert_error(response, 429, CAPACITY_MESSAGE, CAPACITY, gateway=True)
    assert tags(seeded) == ["seed"]


@pytest.mark.parametrize("route", list(ROUTES))
def test_more_than_twice_the_capacity_is_refused_before_any_item_is_checked(seeded, client, route):
    """The Network Server counts the request's items before it looks at any of them."""
    too_long = {"f_port": 1, "frm_payload": base64.b64encode(bytes(243)).decode()}
    content = json.dumps({"downlinks": [too_long] + [item("x")] * 20_000}).encode()
    with queues_untouched(seeded):
        response = client.post(ROUTES[route]("replace"), content=content, headers=AUTH)
        assert_error(response, 429, CAPACITY_MESSAGE, CAPACITY, gateway=route == "appas")


def test_push_up_to_capacity_then_one_more(server, client, full_body):
    # 9 999 by replace, then one push reaches exactly 10 000, the next is refused
    nearly = json.loads(full_body)
    nearly["downlinks"] = nearly["downlinks"][:9_999]
    response = client.post(webhook_url("replace"), content=json.dumps(nearly), headers=AUTH)
    assert response.status_code == 200
    assert send(client, "webhook", "push", item("last")).status_code == 200
    assert len(queue(server)) == 10_000
    with queues_untouched(server):
        response = send(client, "appas", "push", item("too-many"))
        assert_error(response, 429, CAPACITY_MESSAGE, CAPACITY, gateway=True)
    assert tags(server)[-1] == "last"


def test_a_push_that_would_overflow_adds_nothing(server, client, full_body):
    nearly = json.loads(full_body)
    nearly["downlinks"] = nearly["downlinks"][:9_998]
    response = client.post(webhook_url("replace"), content=json.dumps(nearly), headers=AUTH)
    assert response.status_code == 200
    with queues_untouched(server):
        response = send(client, "webhook", "push", item("a"), item("b"), item("c"))
        assert_error(response, 429, CAPACITY_MESSAGE, CAPACITY)
    assert len(queue(server)) == 9_998
    assert not any(re.match(r"^[abc]$", t) for t in tags(server))
